/** App-only tokens (client credentials). Kept apart from the provider so the hot path never loads it. */
import type { Context } from 'koa';
import type { App, Tenant } from '../directory/model.js';
import * as claims from '../entra/claims.js';
import { issueFaults, shapeJwt } from '../faults/shape.js';
import { signJwtAsync } from '../keys/signing.js';
import { GRAPH } from '../entra/urls.js';
import type { KeyMaterial } from '../keys/store.js';
import { grantedRoles, resolveScopes } from './scopes.js';

/**
 * Client credentials, issued without the provider: an app-only token involves no session, grant
 * or interaction, so the provider adds nothing but cost, and this is the hot path of CI suites.
 * The client and scope were already checked (client.ts); claims come from the same module.
 */
export async function clientCredentialsResponse(ctx: Context, o: { origin: string; tenant: Tenant; client: App; keys: KeyMaterial; scope: string; clientAuth: '1' | '2' }) {
  const r = resolveScopes(o.tenant, o.scope, { requireDefault: true });
  const lifetime = o.tenant.lifetimes.accessToken;
  const payload = claims.accessToken({
    origin: o.origin,
    tenant: o.tenant,
    client: o.client,
    resource: r.resource,
    audience: r.indicator,
    roles: grantedRoles(o.client, r.resource),
    clientAuth: o.clientAuth,
    now: Math.floor(Date.now() / 1000),
    lifetime,
  });
  const token = await signJwtAsync(payload, o.keys.signing[0]!, { x5t: r.resource.api?.accessTokenVersion !== 2, graphNonce: r.resource.clientId === GRAPH.appId });
  return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: await shapeJwt(token, issueFaults(ctx), o.keys.signing) };
}
