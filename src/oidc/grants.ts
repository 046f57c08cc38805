/**
 * Every grant of the token endpoint runs here, registered with registerGrantType so the provider
 * keeps its storage (codes, refresh tokens) but issues nothing itself: authorization code, ROPC,
 * refresh (multi-resource, not used up), device code, on-behalf-of. Each says once who the user
 * is (tx.identify) and issues through tokens.ts, the one funnel.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { stableGuid } from '../directory/build.js';
import { findApp, findResource, findUser, isAssigned } from '../directory/lookup.js';
import type { App, User } from '../directory/model.js';
import { EntraError } from '../entra/errors.js';
import { verifyOwnJwt } from '../keys/signing.js';
import { DEFAULTS } from '../scenario/defaults.js';
import type { Engine } from './provider.js';
import { OFFLINE_MARKER, resolveScopes } from './scopes.js';
import { type IssuedTokens, tokenResponse, userTokens } from './tokens.js';

type Params = Record<string, string | undefined>;
const paramsOf = (ctx: KoaContextWithOIDC) => ctx.oidc.params as Params;
const engineOf = (ctx: KoaContextWithOIDC) => ctx.oidc.provider as Engine;

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
async function issue(ctx: KoaContextWithOIDC, i: Issue): Promise<void> {
  const tx = ctx.state.tx;
  const scope = i.idToken === false ? i.scope.split(/\s+/).filter((s) => s !== 'openid').join(' ') : i.scope;
  const tokens: IssuedTokens = await userTokens(tx, { user: i.user, client: i.client, scope, sid: i.sid, nonce: i.nonce });
  const offline = i.scope.split(/\s+/).some((s) => s === 'offline_access' || s === OFFLINE_MARKER);
  if (offline) {
    // Entra's refresh tokens work for any resource the app may call (MRRT); the scope is informational.
    // Entra consents per app: no Grant is stored (it would pile up, one per ROPC or refresh request).
    const { RefreshToken } = engineOf(ctx);
    const rt = new RefreshToken({ accountId: i.user.id, client: ctx.oidc.client!, grantId: randomUUID(), scope: i.scope, gty: i.grantType, ...(i.sid ? { sid: i.sid } : {}) });
    if (i.refreshTokenExpiresAt) rt.exp = i.refreshTokenExpiresAt;
    tokens.refreshToken = await rt.save();
    if (i.refreshTokenExpiresAt) tokens.refreshTokenExpiresAt = i.refreshTokenExpiresAt;
  }
  tokenResponse(ctx, tx, tokens);
}

const clientOf = (ctx: KoaContextWithOIDC): App => findApp(engineOf(ctx).tenant, ctx.oidc.client!.clientId)!;

function pkceMatches(verifier: string | undefined, challenge: string, method: string | undefined): boolean {
  if (!verifier) return false;
  const expected = method === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
  const a = Buffer.from(expected);
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** grant_type=authorization_code: the provider stored the code at /authorize; we redeem it. */
export async function authorizationCodeGrant(ctx: KoaContextWithOIDC): Promise<void> {
  const provider = engineOf(ctx);
  const tx = ctx.state.tx;
  const params = paramsOf(ctx);
  require(params, 'code', 'redirect_uri');
  const code = await provider.AuthorizationCode.find(params.code!, { ignoreExpiration: true });
  // (unverified) Entra's code for an unknown or expired code, and for a redirect_uri that differs from the authorize request's.
  if (!code || code.clientId !== ctx.oidc.client!.clientId || code.isExpired) throw new EntraError(70008);
  // The adapter marks a used code (consume()); the provider's typings leave the field out.
  if ((code as unknown as { consumed?: number }).consumed) throw new EntraError(54005);
  if (code.redirectUri !== params.redirect_uri) throw new EntraError(70008);
  if ((code.codeChallenge || params.code_verifier) && !pkceMatches(params.code_verifier, code.codeChallenge ?? '', code.codeChallengeMethod)) throw new EntraError(501481);
  const user = findUser(provider.tenant, code.accountId);
  if (!user) throw new EntraError(9002313, { error: 'invalid_grant' });
  await tx.identify(user, 'authorization_code');
  await code.consume();
  const client = clientOf(ctx);
  const spa = client.spaRedirectUris.includes(params.redirect_uri!);
  // v1 names the resource when redeeming the code (converted to a scope by the route), not when authorizing.
  const scope = tx.protocol === 'v1' && tx.v1Resource ? tx.body.scope! : code.scope!;
  await issue(ctx, {
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
export async function passwordGrant(ctx: KoaContextWithOIDC): Promise<void> {
  const { tenant } = engineOf(ctx);
  const params = paramsOf(ctx);
  require(params, 'username', 'password', 'scope');
  const user = findUser(tenant, params.username);
  if (!user || user.password !== params.password) throw new EntraError(50126);
  const client = clientOf(ctx);
  await ctx.state.tx.identify(user, 'password');
  if (!isAssigned(client, user)) {
    throw new EntraError(50105, { error: 'invalid_grant', params: { appName: client.name, appId: client.clientId } });
  }
  await issue(ctx, { user, client, scope: params.scope!, grantType: 'password' });
}

/**
 * grant_type=refresh_token: good for any resource the app may call (MRRT), not used up by
 * redemption, expires after 90 days (AADSTS700082).
 */
export async function refreshTokenGrant(ctx: KoaContextWithOIDC): Promise<void> {
  const provider = engineOf(ctx);
  const params = paramsOf(ctx);
  require(params, 'refresh_token');
  const rt = await provider.RefreshToken.find(params.refresh_token!, { ignoreExpiration: true });
  const clientId = ctx.oidc.client!.clientId;
  if (!rt || rt.clientId !== clientId) throw new EntraError(9002313, { error: 'invalid_grant' });
  const issued = new Date((rt.iat ?? 0) * 1000).toISOString();
  // A SPA's refresh token has a fixed 24-hour life: the one issued now ends when the first does.
  const spa = rt.exp !== undefined && rt.iat !== undefined && rt.exp - rt.iat <= DEFAULTS.spaRefreshTokenSeconds;
  if (rt.isExpired) throw spa ? new EntraError(700084, { params: { issued } }) : new EntraError(700082, { params: { issued } });
  const user = findUser(provider.tenant, rt.accountId);
  const client = findApp(provider.tenant, clientId);
  if (!user || !client) throw new EntraError(9002313, { error: 'invalid_grant' });
  // A refresh token is bound to the platform it was issued to (reference §16): a SPA's is redeemed
  // cross-origin only; a Web app's needs the app's credential, whatever Origin the request claims.
  const tx = ctx.state.tx;
  if (spa && !ctx.get('origin')) throw new EntraError(9002327);
  if (!spa && tx.clientAuth === '0' && !client.publicClient) throw new EntraError(7000218);
  await tx.identify(user, 'refresh_token');
  await issue(ctx, { user, client, scope: params.scope || rt.scope || 'openid', grantType: 'refresh_token', sid: rt.sid, ...(spa ? { refreshTokenExpiresAt: rt.exp } : {}) });
}

/** MSAL sends `device_code`; the RFC's clients send the URN. Entra takes both. */
export const DEVICE_GRANTS = ['device_code', 'urn:ietf:params:oauth:grant-type:device_code'];

export async function deviceCodeGrant(ctx: KoaContextWithOIDC): Promise<void> {
  const { tenant } = engineOf(ctx);
  const params = paramsOf(ctx);
  require(params, 'device_code');
  const clientId = ctx.oidc.client!.clientId;
  const code = ctx.state.tx.runtime.devices.poll(params.device_code!, clientId);
  const user = findUser(tenant, code.userId);
  const client = findApp(tenant, clientId);
  if (!user || !client) throw new EntraError(9002313, { error: 'invalid_grant' });
  await ctx.state.tx.identify(user, 'device_code');
  await issue(ctx, { user, client, scope: code.scope, grantType: 'device_code' });
}

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * On-behalf-of (jwt-bearer, requested_token_use=on_behalf_of): a middle-tier API trades the user's
 * token for one to a downstream API. The assertion must be ours, unexpired, and for this API.
 */
export async function onBehalfOfGrant(ctx: KoaContextWithOIDC): Promise<void> {
  const { tenant } = engineOf(ctx);
  const tx = ctx.state.tx;
  const params = paramsOf(ctx);
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
  const api = clientOf(ctx);
  const aud = String(claims.aud ?? '');
  if (findResource(tenant, aud)?.clientId !== api.clientId) {
    throw new EntraError(50013, { params: { detail: `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${aud}' and the expected audience is '${api.clientId}' or one of the Application Ids of the app.` } });
  }
  const user = claims.tid === tenant.id ? findUser(tenant, String(claims.oid ?? '')) : undefined;
  if (!user || claims.idtyp === 'app') throw new EntraError(50013, { params: { detail: 'Assertion contains no user: on-behalf-of needs a delegated (user) token.' } });
  await tx.identify(user, 'on_behalf_of');
  resolveScopes(tenant, params.scope);
  await issue(ctx, { user, client: api, scope: params.scope!, grantType: JWT_BEARER, idToken: false });
}
