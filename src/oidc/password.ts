/** ROPC (grant_type=password): work accounts only, username and password checked against the directory. */
import type { KoaContextWithOIDC } from 'oidc-provider';
import { findApp, findUser, isAssigned } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import type { Engine } from './provider.js';
import { issueUserTokens } from './tokens.js';

export async function passwordGrant(ctx: KoaContextWithOIDC): Promise<void> {
  const { tenant } = (ctx.oidc.provider as Engine).options;
  const params = ctx.oidc.params as Record<string, string | undefined>;
  for (const p of ['username', 'password', 'scope'] as const) {
    if (!params[p]) throw new EntraError(900144, { params: { param: p } });
  }
  const user = findUser(tenant, params.username);
  if (!user || user.password !== params.password) throw new EntraError(50126);
  const client = findApp(tenant, ctx.oidc.client!.clientId)!;
  if (!isAssigned(client, user)) {
    throw new EntraError(50105, { error: 'invalid_grant', params: { appName: client.name, appId: client.clientId } });
  }
  ctx.body = await issueUserTokens(ctx, { user, client, scope: params.scope!, grantType: 'password' });
}
