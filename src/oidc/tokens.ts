/**
 * Entra's tokens for the token endpoint and the front channel: claims from entra/claims.ts for
 * Entra's scope grammar, issued through the one funnel, answered in Entra's response fields (v2
 * numbers, v1 strings). No provider here: client credentials (CI's hot path) never load it.
 */
import type { Context } from 'koa';
import type { App, Tenant, User } from '../directory/model.js';
import * as claims from '../entra/claims.js';
import { noStore } from '../entra/render.js';
import { GRAPH, type Origins } from '../entra/urls.js';
import { issueJwt } from '../issuance/funnel.js';
import type { JwtSignOptions } from '../keys/signing.js';
import { DEFAULTS } from '../scenario/defaults.js';
import type { Transaction } from '../server/transaction.js';
import { delegatedScopes, grantedRoles, OFFLINE_MARKER, resolveScopes } from './scopes.js';

export interface AccessTokenRequest {
  origin: Origins;
  tenant: Tenant;
  client: App;
  /** Absent: an app-only token, whose scope must be `{resource}/.default`. */
  user?: User;
  scope: string;
  clientAuth: '0' | '1' | '2';
  now?: number;
  sid?: string;
  /** Default: the tenant's access-token lifetime. */
  lifetime?: number;
  /** A managed identity's ARM resource ID (xms_mirid). */
  mirid?: string;
}

/**
 * The claims of an access token for `scope`, and how to sign it (v1 tokens carry x5t; Graph's a
 * header nonce). `scopes`: the scope already resolved, when the caller has it.
 */
export function accessTokenFor(r: AccessTokenRequest, scopes = resolveScopes(r.tenant, r.scope, { requireDefault: !r.user })): { payload: claims.Claims; sign: JwtSignOptions; lifetime: number } {
  const lifetime = r.lifetime ?? r.tenant.lifetimes.accessToken;
  const payload = claims.accessToken({
    origin: r.origin,
    tenant: r.tenant,
    client: r.client,
    resource: scopes.resource,
    audience: scopes.indicator,
    ...(r.user ? { user: r.user, scp: delegatedScopes(r.client, scopes) } : { roles: grantedRoles(r.client, scopes.resource) }),
    clientAuth: r.clientAuth,
    now: r.now ?? Math.floor(Date.now() / 1000),
    lifetime,
    ...(r.sid ? { sid: r.sid } : {}),
    ...(r.mirid ? { mirid: r.mirid } : {}),
  });
  return { payload, lifetime, sign: { x5t: scopes.resource.api?.accessTokenVersion !== 2, graphNonce: scopes.resource.clientId === GRAPH.appId } };
}

/** The ID token's claims: v1-shaped from the v1 endpoints, v2 otherwise. */
export function idTokenClaims(protocol: 'v1' | 'v2', i: Omit<claims.IdTokenInput, 'now'>): claims.Claims {
  const input = { ...i, now: Math.floor(Date.now() / 1000) };
  return protocol === 'v1' ? claims.idTokenV1(input) : claims.idTokenV2(input);
}

export interface UserTokenInput {
  user: User;
  client: App;
  /** The scope parameter as sent: OIDC scopes plus one resource's permissions. */
  scope: string;
  sid?: string;
  nonce?: string;
}

export interface IssuedTokens {
  accessToken: string;
  lifetime: number;
  /** Space-separated scopes the response reports. */
  scope?: string;
  idToken?: string;
  refreshToken?: string;
  /** A SPA's refresh token: its fixed end (epoch seconds), reported as refresh_token_expires_in. */
  refreshTokenExpiresAt?: number;
  user?: User;
  /** The access token's delegated scopes (v1 answers report them as `scope`). */
  scp?: string;
}

/** Access token (and ID token when openid was asked for) for a signed-in user, through the funnel. */
export async function userTokens(tx: Transaction, i: UserTokenInput): Promise<IssuedTokens> {
  const tenant = tx.tenant!;
  const scopes = resolveScopes(tenant, i.scope);
  const { payload, sign, lifetime } = accessTokenFor({ origin: tx.world.origin, tenant, client: i.client, user: i.user, scope: i.scope, clientAuth: tx.clientAuth ?? '1', ...(i.sid ? { sid: i.sid } : {}) }, scopes);
  const idToken = scopes.oidc.has('openid')
    ? await issueJwt({ tx, kind: 'id_token', claims: idTokenClaims(tx.protocol, { origin: tx.world.origin, tenant, client: i.client, user: i.user, scopes: scopes.oidc, nonce: i.nonce, sid: i.sid }) })
    : undefined;
  const accessToken = await issueJwt({ tx, kind: 'access_token', claims: payload, sign });
  const scope = i.scope.split(/\s+/).filter((s) => s && s !== OFFLINE_MARKER).join(' ');
  return { accessToken, lifetime, scope, ...(idToken ? { idToken } : {}), user: i.user, ...(typeof payload.scp === 'string' ? { scp: payload.scp } : {}) };
}

/** Client credentials: an app-only token; client and scope were checked (client.ts). */
export async function appTokens(tx: Transaction, client: App, scope: string): Promise<IssuedTokens> {
  const { payload, sign, lifetime } = accessTokenFor({ origin: tx.world.origin, tenant: tx.tenant!, client, scope, clientAuth: tx.clientAuth === '2' ? '2' : '1' });
  return { accessToken: await issueJwt({ tx, kind: 'access_token', claims: payload, sign }), lifetime };
}

/** The token endpoint's answer in Entra's field order; v1 writes numbers as strings and adds expires_on, not_before, resource (reference §5). */
export function tokenResponse(ctx: Context, tx: Transaction, t: IssuedTokens): void {
  const tokens = {
    access_token: t.accessToken,
    ...(t.refreshToken ? { refresh_token: t.refreshToken } : {}),
    ...(t.idToken ? { id_token: t.idToken } : {}),
  };
  const scopes = (t.scope ?? '').split(' ').filter(Boolean);
  if (t.refreshToken && !scopes.includes('offline_access')) scopes.push('offline_access');
  noStore(ctx);
  ctx.type = 'application/json; charset=utf-8';
  if (tx.protocol === 'v1') {
    const now = Math.floor(Date.now() / 1000);
    ctx.body = {
      token_type: 'Bearer',
      ...(t.scp ? { scope: t.scp } : {}),
      expires_in: String(t.lifetime),
      ext_expires_in: String(t.lifetime),
      expires_on: String(now + t.lifetime),
      not_before: String(now - DEFAULTS.backdateSeconds),
      ...(tx.v1Resource ? { resource: tx.v1Resource } : {}),
      ...tokens,
    };
    return;
  }
  ctx.body = {
    token_type: 'Bearer',
    ...(t.user ? { scope: scopes.join(' ') } : {}),
    expires_in: t.lifetime,
    ext_expires_in: t.lifetime,
    ...tokens,
    ...(t.refreshTokenExpiresAt ? { refresh_token_expires_in: t.refreshTokenExpiresAt - Math.floor(Date.now() / 1000) } : {}),
    ...(t.user && tx.body.client_info === '1' ? { client_info: claims.clientInfo(tx.tenant!, t.user) } : {}),
  };
}
