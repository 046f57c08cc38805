/**
 * The grants Entra runs differently from the provider's defaults, registered with
 * registerGrantType: ROPC, refresh (multi-resource, not used up), device code, on-behalf-of.
 * All issue through tokens.ts, so their claims match the provider's own grants.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import { findApp, findResource, findUser, isAssigned } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import { DEFAULTS } from '../scenario/defaults.js';
import { verifyOwnJwt } from '../keys/signing.js';
import type { Engine } from './provider.js';
import { issueUserTokens } from './tokens.js';

type Params = Record<string, string | undefined>;
const paramsOf = (ctx: KoaContextWithOIDC) => ctx.oidc.params as Params;
const engineOf = (ctx: KoaContextWithOIDC) => ctx.oidc.provider as Engine;

function require(params: Params, ...names: string[]): void {
  for (const p of names) if (!params[p]) throw new EntraError(900144, { params: { param: p } });
}

/** grant_type=password: work accounts only, checked against the directory. */
export async function passwordGrant(ctx: KoaContextWithOIDC): Promise<void> {
  const { tenant } = engineOf(ctx).options;
  const params = paramsOf(ctx);
  require(params, 'username', 'password', 'scope');
  const user = findUser(tenant, params.username);
  if (!user || user.password !== params.password) throw new EntraError(50126);
  const client = findApp(tenant, ctx.oidc.client!.clientId)!;
  if (!isAssigned(client, user)) {
    throw new EntraError(50105, { error: 'invalid_grant', params: { appName: client.name, appId: client.clientId } });
  }
  ctx.body = await issueUserTokens(ctx, { user, client, scope: params.scope!, grantType: 'password' });
}

/**
 * grant_type=refresh_token: good for any resource the app may call (MRRT), not used up by
 * redemption, expires after 90 days (AADSTS700082).
 */
export async function refreshTokenGrant(ctx: KoaContextWithOIDC): Promise<void> {
  const provider = engineOf(ctx);
  const { tenant } = provider.options;
  const params = paramsOf(ctx);
  require(params, 'refresh_token');
  const rt = await provider.RefreshToken.find(params.refresh_token!, { ignoreExpiration: true });
  const clientId = ctx.oidc.client!.clientId;
  if (!rt || rt.clientId !== clientId) throw new EntraError(9002313, { error: 'invalid_grant' });
  const issued = new Date((rt.iat ?? 0) * 1000).toISOString();
  // A SPA's refresh token has a fixed 24-hour life: the one issued now ends when the first does.
  const spa = rt.exp !== undefined && rt.iat !== undefined && rt.exp - rt.iat <= DEFAULTS.spaRefreshTokenSeconds;
  if (rt.isExpired) throw spa ? new EntraError(700084, { params: { issued } }) : new EntraError(700082, { params: { issued } });
  const user = findUser(tenant, rt.accountId);
  const client = findApp(tenant, clientId);
  if (!user || !client) throw new EntraError(9002313, { error: 'invalid_grant' });
  ctx.body = await issueUserTokens(ctx, { user, client, scope: params.scope || rt.scope || 'openid', grantType: 'refresh_token', sid: rt.sid, ...(spa ? { refreshTokenExpiresAt: rt.exp } : {}) });
}

/** MSAL sends `device_code`; the RFC's clients send the URN. Entra takes both. */
export const DEVICE_GRANTS = ['device_code', 'urn:ietf:params:oauth:grant-type:device_code'];

export async function deviceCodeGrant(ctx: KoaContextWithOIDC): Promise<void> {
  const { tenant, devices } = engineOf(ctx).options;
  const params = paramsOf(ctx);
  require(params, 'device_code');
  const clientId = ctx.oidc.client!.clientId;
  const code = devices.poll(params.device_code!, clientId);
  const user = findUser(tenant, code.userId);
  const client = findApp(tenant, clientId);
  if (!user || !client) throw new EntraError(9002313, { error: 'invalid_grant' });
  ctx.body = await issueUserTokens(ctx, { user, client, scope: code.scope, grantType: 'device_code' });
}

export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * On-behalf-of (jwt-bearer, requested_token_use=on_behalf_of): a middle-tier API trades the user's
 * token for one to a downstream API. The assertion must be ours, unexpired, and for this API.
 */
export async function onBehalfOfGrant(ctx: KoaContextWithOIDC): Promise<void> {
  const { tenant, keys } = engineOf(ctx).options;
  const params = paramsOf(ctx);
  require(params, 'assertion', 'requested_token_use', 'scope');
  if (params.requested_token_use !== 'on_behalf_of') throw new EntraError(90023, { params: { detail: "requested_token_use must be 'on_behalf_of'." } });
  const verified = verifyOwnJwt(params.assertion!, keys.signing);
  if (verified === 'malformed') throw new EntraError(50027);
  if (typeof verified === 'string') {
    throw new EntraError(50013, { params: { detail: `Assertion failed signature validation. [Reason - ${verified === 'unknown-key' ? 'The key was not found.' : 'The provided signature value did not match the expected signature value.'}]` } });
  }
  const claims = verified.payload;
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) {
    throw new EntraError(500133, { params: { now: new Date(now * 1000).toISOString(), exp: new Date(Number(claims.exp ?? 0) * 1000).toISOString() } });
  }
  const api = findApp(tenant, ctx.oidc.client!.clientId)!;
  const aud = String(claims.aud ?? '');
  if (findResource(tenant, aud)?.clientId !== api.clientId) {
    throw new EntraError(50013, { params: { detail: `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${aud}' and the expected audience is '${api.clientId}' or one of the Application Ids of the app.` } });
  }
  const user = claims.tid === tenant.id ? findUser(tenant, String(claims.oid ?? '')) : undefined;
  if (!user || claims.idtyp === 'app') throw new EntraError(50013, { params: { detail: 'Assertion contains no user: on-behalf-of needs a delegated (user) token.' } });
  const { id_token: _omitted, ...body } = await issueUserTokens(ctx, { user, client: api, scope: params.scope!, grantType: JWT_BEARER });
  ctx.body = body;
}
