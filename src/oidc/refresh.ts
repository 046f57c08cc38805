/**
 * grant_type=refresh_token as Entra does it: a refresh token is good for any resource the app may
 * call (MRRT), is not used up by redemption, and expires after 90 days (AADSTS700082).
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import { findApp, findUser } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import type { Engine } from './provider.js';
import { issueUserTokens } from './tokens.js';

export async function refreshTokenGrant(ctx: KoaContextWithOIDC): Promise<void> {
  const provider = ctx.oidc.provider as Engine;
  const { tenant } = provider.options;
  const params = ctx.oidc.params as Record<string, string | undefined>;
  if (!params.refresh_token) throw new EntraError(900144, { params: { param: 'refresh_token' } });
  const rt = await provider.RefreshToken.find(params.refresh_token, { ignoreExpiration: true });
  const clientId = ctx.oidc.client!.clientId;
  if (!rt || rt.clientId !== clientId) throw new EntraError(9002313, { error: 'invalid_grant' });
  if (rt.isExpired) {
    throw new EntraError(700082, { params: { issued: new Date((rt.iat ?? 0) * 1000).toISOString() } });
  }
  const user = findUser(tenant, rt.accountId);
  const client = findApp(tenant, clientId);
  if (!user || !client) throw new EntraError(9002313, { error: 'invalid_grant' });
  const scope = params.scope || rt.scope || 'openid';
  ctx.body = await issueUserTokens(ctx, { user, client, scope, grantType: 'refresh_token', sid: rt.sid });
}
