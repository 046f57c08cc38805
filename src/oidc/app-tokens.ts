/**
 * Access tokens built from Entra's scope grammar, outside the provider: client credentials (CI's
 * hot path, so this module never loads the provider), the v1 code redemption, and the offline CLI.
 */
import type { Context } from 'koa';
import type { App, Tenant, User } from '../directory/model.js';
import * as claims from '../entra/claims.js';
import { GRAPH } from '../entra/urls.js';
import { issueFaults, shapeJwt } from '../faults/shape.js';
import { type JwtSignOptions, signJwtAsync } from '../keys/signing.js';
import type { KeyMaterial } from '../keys/store.js';
import { delegatedScopes, grantedRoles, resolveScopes } from './scopes.js';

export interface AccessTokenRequest {
  origin: string;
  tenant: Tenant;
  client: App;
  /** Absent: an app-only token, whose scope must be `{resource}/.default`. */
  user?: User;
  scope: string;
  clientAuth: '0' | '1' | '2';
  now?: number;
}

/** The claims of an access token for `scope`, and how to sign it (v1 tokens carry x5t; Graph's a header nonce). */
export function accessTokenFor(r: AccessTokenRequest): { payload: claims.Claims; sign: JwtSignOptions; lifetime: number } {
  const scopes = resolveScopes(r.tenant, r.scope, { requireDefault: !r.user });
  const lifetime = r.tenant.lifetimes.accessToken;
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
  });
  return { payload, lifetime, sign: { x5t: scopes.resource.api?.accessTokenVersion !== 2, graphNonce: scopes.resource.clientId === GRAPH.appId } };
}

/**
 * Client credentials, issued without the provider: an app-only token involves no session, grant
 * or interaction, so the provider adds nothing but cost. Client and scope were checked (client.ts).
 */
export async function clientCredentialsResponse(ctx: Context, o: { origin: string; tenant: Tenant; client: App; keys: KeyMaterial; scope: string; clientAuth: '1' | '2' }) {
  const { payload, sign, lifetime } = accessTokenFor(o);
  const token = await signJwtAsync(payload, o.keys.signing[0]!, sign);
  return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: await shapeJwt(token, issueFaults(ctx), o.keys.signing) };
}
