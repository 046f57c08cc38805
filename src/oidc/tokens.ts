/** Issuing user tokens outside the provider's own grants (password, refresh): one path, the same claims. */
import { randomUUID } from 'node:crypto';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { App, User } from '../directory/model.js';
import * as claims from '../entra/claims.js';
import { signJwt } from '../keys/signing.js';
import { type Engine, type OidcState, resourceServerInfo } from './provider.js';
import { resolveScopes } from './scopes.js';

/** The ID token for this request: v1-shaped from the v1 endpoints, v2 otherwise; signed with the active key. */
export function entraIdToken(ctx: KoaContextWithOIDC, i: Omit<claims.IdTokenInput, 'origin' | 'tenant' | 'now'>): string {
  const { tenant, origin, keys } = (ctx.oidc.provider as Engine).options;
  const input = { ...i, origin, tenant, now: Math.floor(Date.now() / 1000) };
  (ctx.state as OidcState).idTokenShaped = true;
  return signJwt(ctx.state.v1 ? claims.idTokenV1(input) : claims.idTokenV2(input), keys.signing[0]!);
}

export interface UserTokenInput {
  user: User;
  client: App;
  /** The scope parameter as sent: OIDC scopes plus one resource's permissions. */
  scope: string;
  grantType: string;
  sid?: string;
  /** Fixed end of the refresh token (SPA); otherwise the usual lifetime from now. */
  refreshTokenExpiresAt?: number;
}

export async function issueUserTokens(ctx: KoaContextWithOIDC, i: UserTokenInput): Promise<Record<string, unknown>> {
  const provider = ctx.oidc.provider as Engine;
  const { tenant } = provider.options;
  const scopes = resolveScopes(tenant, i.scope);
  const oidcClient = ctx.oidc.client!;
  const { AccessToken, RefreshToken, ResourceServer } = provider;
  // Entra consents per app, not per grant, and our refresh grant reads only the refresh token:
  // no Grant is stored (it would pile up in memory, one per ROPC or refresh request).
  const grantId = randomUUID();

  const at = new AccessToken({ accountId: i.user.id, client: oidcClient, grantId, scope: i.scope, gty: i.grantType });
  at.resourceServer = new ResourceServer(scopes.indicator, resourceServerInfo(tenant, scopes.indicator));
  const accessToken = await at.save();

  let refreshToken: string | undefined;
  if (scopes.oidc.has('offline_access')) {
    // Entra's refresh tokens work for any resource the app may call (MRRT); the scope here is informational.
    const rt = new RefreshToken({ accountId: i.user.id, client: oidcClient, grantId, scope: i.scope, gty: i.grantType, ...(i.sid ? { sid: i.sid } : {}) });
    if (i.refreshTokenExpiresAt) {
      rt.exp = i.refreshTokenExpiresAt;
      (ctx.state as OidcState).refreshTokenExpiresAt = i.refreshTokenExpiresAt;
    }
    refreshToken = await rt.save();
  }
  const idToken = scopes.oidc.has('openid') ? entraIdToken(ctx, { client: i.client, user: i.user, scopes: scopes.oidc, sid: i.sid }) : undefined;
  return {
    token_type: 'Bearer',
    scope: i.scope,
    expires_in: at.expiration,
    access_token: accessToken,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    ...(idToken ? { id_token: idToken } : {}),
  };
}

