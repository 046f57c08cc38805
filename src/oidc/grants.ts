/**
 * Every grant of the token endpoint but client credentials runs here: authorization code, ROPC,
 * refresh (multi-resource, not used up), device code, on-behalf-of. Our client authentication
 * already ran (client.ts), so the provider's token route has nothing left to do: the grants run
 * without it, and the provider only keeps what it stores (codes, refresh tokens). Each says once
 * who the user is (tx.identify) and issues through tokens.ts, the one funnel.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { stableGuid } from '../directory/build.js';
import { findResource, findUser, isAssigned } from '../directory/lookup.js';
import type { App, User } from '../directory/model.js';
import { EntraError } from '../entra/errors.js';
import { verifyOwnJwt } from '../keys/signing.js';
import { AlreadyConsumedError } from '../store/types.js';
import { DEFAULTS } from '../scenario/defaults.js';
import type { Transaction } from '../server/transaction.js';
import type { Engine } from './provider.js';
import { OFFLINE_MARKER, resolveScopes } from './scopes.js';
import { type IssuedTokens, tokenResponse, userTokens } from './tokens.js';

type Params = Record<string, string | undefined>;

/** One token request: the client was authenticated (client.ts); `params` is its form. */
interface GrantRequest {
  ctx: Context;
  tx: Transaction;
  engine: Engine;
  client: App;
  params: Params;
}

function require(params: Params, ...names: string[]): void {
  for (const p of names) if (!params[p]) throw new EntraError(900144, { params: { param: p } });
}

interface Issue {
  user: User;
  client: App;
  scope: string;
  grantType: string;
  sid?: string;
  nonce?: string;
  /** Fixed end of the refresh token (SPA); otherwise the usual lifetime from now. */
  refreshTokenExpiresAt?: number;
  /** On-behalf-of answers carry no ID token. */
  idToken?: boolean;
}

/** Tokens for a user, a refresh token when offline_access was asked for, Entra's answer. */
async function issue(g: GrantRequest, i: Issue): Promise<void> {
  const { tx, engine } = g;
  const scope = i.idToken === false ? i.scope.split(/\s+/).filter((s) => s !== 'openid').join(' ') : i.scope;
  const tokens: IssuedTokens = await userTokens(tx, { user: i.user, client: i.client, scope, sid: i.sid, nonce: i.nonce });
  const offline = i.scope.split(/\s+/).some((s) => s === 'offline_access' || s === OFFLINE_MARKER);
  if (offline) {
    // Entra's refresh tokens work for any resource the app may call (MRRT); the scope is informational.
    // Entra consents per app: no Grant is stored (it would pile up, one per ROPC or refresh request).
    const client = (await engine.Client.find(i.client.clientId))!;
    const rt = new engine.RefreshToken({ accountId: i.user.id, client, grantId: randomUUID(), scope: i.scope, gty: i.grantType, ...(i.sid ? { sid: i.sid } : {}) });
    if (i.refreshTokenExpiresAt) rt.exp = i.refreshTokenExpiresAt;
    tokens.refreshToken = await rt.save();
    if (i.refreshTokenExpiresAt) tokens.refreshTokenExpiresAt = i.refreshTokenExpiresAt;
  }
  tokenResponse(g.ctx, tx, tokens);
}

function pkceMatches(verifier: string | undefined, challenge: string, method: string | undefined): boolean {
  if (!verifier) return false;
  const expected = method === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
  const a = Buffer.from(expected);
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** grant_type=authorization_code: the provider stored the code at /authorize; we redeem it. */
async function authorizationCodeGrant(g: GrantRequest): Promise<void> {
  const { engine: provider, tx, params, client } = g;
  require(params, 'code', 'redirect_uri');
  const code = await provider.AuthorizationCode.find(params.code!, { ignoreExpiration: true });
  // (unverified) Entra's code for an unknown or expired code, and for a redirect_uri that differs from the authorize request's.
  if (!code || code.clientId !== client.clientId || code.isExpired) throw new EntraError(70008);
  // The adapter marks a used code (consume()); the provider's typings leave the field out.
  if ((code as unknown as { consumed?: number }).consumed) throw new EntraError(54005);
  if (code.redirectUri !== params.redirect_uri) throw new EntraError(70008);
  if ((code.codeChallenge || params.code_verifier) && !pkceMatches(params.code_verifier, code.codeChallenge ?? '', code.codeChallengeMethod)) throw new EntraError(501481);
  const user = findUser(provider.tenant, code.accountId);
  if (!user) throw new EntraError(9002313, { error: 'invalid_grant' });
  await tx.identify(user, 'authorization_code');
  // Once, across instances: the store refuses a second consume (a replay, or two redemptions at once).
  await code.consume().catch((err: unknown) => {
    throw err instanceof AlreadyConsumedError ? new EntraError(54005) : err;
  });
  const spa = client.spaRedirectUris.includes(params.redirect_uri!);
  // v1 names the resource when redeeming the code (converted to a scope by the route), not when authorizing.
  const scope = tx.protocol === 'v1' && tx.v1Resource ? tx.body.scope! : code.scope!;
  await issue(g, {
    user,
    client,
    scope,
    grantType: 'authorization_code',
    sid: code.sid ? stableGuid('sid', code.sid) : undefined,
    nonce: code.nonce,
    // A SPA's refresh token lives 24 hours, fixed (reference §16).
    ...(spa ? { refreshTokenExpiresAt: Math.floor(Date.now() / 1000) + DEFAULTS.spaRefreshTokenSeconds } : {}),
  });
}

/** grant_type=password: work accounts only, checked against the directory. */
async function passwordGrant(g: GrantRequest): Promise<void> {
  const { engine, params, client } = g;
  require(params, 'username', 'password', 'scope');
  const user = findUser(engine.tenant, params.username);
  if (!user) throw new EntraError(50034, { params: { EmailHidden: params.username, tenant: engine.tenant.domain } });
  if (user.password !== params.password) throw new EntraError(50126);
  await g.tx.identify(user, 'password');
  if (!isAssigned(client, user)) {
    throw new EntraError(50105, { error: 'invalid_grant', params: { appName: client.name, appId: client.clientId } });
  }
  await issue(g, { user, client, scope: params.scope!, grantType: 'password' });
}

/**
 * grant_type=refresh_token: good for any resource the app may call (MRRT), not used up by
 * redemption, expires after 90 days (AADSTS700082).
 */
async function refreshTokenGrant(g: GrantRequest): Promise<void> {
  const { engine: provider, params, client, tx, ctx } = g;
  require(params, 'refresh_token');
  const rt = await provider.RefreshToken.find(params.refresh_token!, { ignoreExpiration: true });
  if (!rt || rt.clientId !== client.clientId) throw new EntraError(9002313, { error: 'invalid_grant' });
  const issued = new Date((rt.iat ?? 0) * 1000).toISOString();
  // A SPA's refresh token has a fixed 24-hour life: the one issued now ends when the first does.
  const spa = rt.exp !== undefined && rt.iat !== undefined && rt.exp - rt.iat <= DEFAULTS.spaRefreshTokenSeconds;
  if (rt.isExpired) throw spa ? new EntraError(700084, { params: { issued } }) : new EntraError(700082, { params: { issued } });
  const user = findUser(provider.tenant, rt.accountId);
  if (!user) throw new EntraError(9002313, { error: 'invalid_grant' });
  // A refresh token is bound to the platform it was issued to (reference §16): a SPA's is redeemed
  // cross-origin only; a Web app's needs the app's credential, whatever Origin the request claims.
  if (spa && !ctx.get('origin')) throw new EntraError(9002327);
  if (!spa && tx.clientAuth === '0' && !client.publicClient) throw new EntraError(7000218);
  await tx.identify(user, 'refresh_token');
  await issue(g, { user, client, scope: params.scope || rt.scope || 'openid', grantType: 'refresh_token', sid: rt.sid, ...(spa ? { refreshTokenExpiresAt: rt.exp } : {}) });
}

/** MSAL sends `device_code`; the RFC's clients send the URN. Entra takes both. */
export const DEVICE_GRANTS = ['device_code', 'urn:ietf:params:oauth:grant-type:device_code'];

async function deviceCodeGrant(g: GrantRequest): Promise<void> {
  const { engine, params, client, tx } = g;
  require(params, 'device_code');
  const code = await tx.runtime.devices.poll(params.device_code!, client.clientId);
  const user = findUser(engine.tenant, code.userId);
  if (!user) throw new EntraError(9002313, { error: 'invalid_grant' });
  await tx.identify(user, 'device_code');
  await issue(g, { user, client, scope: code.scope, grantType: 'device_code' });
}

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * On-behalf-of (jwt-bearer, requested_token_use=on_behalf_of): a middle-tier API trades the user's
 * token for one to a downstream API. The assertion must be ours, unexpired, and for this API.
 */
async function onBehalfOfGrant(g: GrantRequest): Promise<void> {
  const { engine, tx, params, client: api } = g;
  const { tenant } = engine;
  require(params, 'assertion', 'requested_token_use', 'scope');
  if (params.requested_token_use !== 'on_behalf_of') throw new EntraError(90023, { params: { detail: "requested_token_use must be 'on_behalf_of'." } });
  const verified = verifyOwnJwt(params.assertion!, tx.world.keys.signing);
  if (verified === 'malformed') throw new EntraError(50027);
  if (typeof verified === 'string') {
    throw new EntraError(50013, { params: { detail: `Assertion failed signature validation. [Reason - ${verified === 'unknown-key' ? 'The key was not found.' : 'The provided signature value did not match the expected signature value.'}]` } });
  }
  const claims = verified.payload;
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) {
    throw new EntraError(500133, { params: { now: new Date(now * 1000).toISOString(), exp: new Date(Number(claims.exp ?? 0) * 1000).toISOString() } });
  }
  const aud = String(claims.aud ?? '');
  if (findResource(tenant, aud)?.clientId !== api.clientId) {
    throw new EntraError(50013, { params: { detail: `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${aud}' and the expected audience is '${api.clientId}' or one of the Application Ids of the app.` } });
  }
  const user = claims.tid === tenant.id ? findUser(tenant, String(claims.oid ?? '')) : undefined;
  if (!user || claims.idtyp === 'app') throw new EntraError(50013, { params: { detail: 'Assertion contains no user: on-behalf-of needs a delegated (user) token.' } });
  await tx.identify(user, 'on_behalf_of');
  resolveScopes(tenant, params.scope);
  await issue(g, { user, client: api, scope: params.scope!, grantType: JWT_BEARER, idToken: false });
}

const GRANTS: Record<string, (g: GrantRequest) => Promise<void>> = {
  authorization_code: authorizationCodeGrant,
  password: passwordGrant,
  refresh_token: refreshTokenGrant,
  ...Object.fromEntries(DEVICE_GRANTS.map((d) => [d, deviceCodeGrant])),
  [JWT_BEARER]: onBehalfOfGrant,
};

/** The token endpoint, for a request whose client checkTokenRequest authenticated (tx.app): its grant, or Entra's 70003. */
export async function redeem(ctx: Context, tx: Transaction, engine: Engine): Promise<void> {
  const grantType = tx.body.grant_type ?? '';
  const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
  if (!grant) throw new EntraError(70003, { params: { grantType } });
  await grant({ ctx, tx, engine, client: tx.app!, params: tx.body });
}
