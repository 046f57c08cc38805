/** Who calls our Microsoft Graph: a bearer access token this server issued, for Graph, unexpired. */
import type { Context } from 'koa';
import type { App, Tenant, User } from '../directory/model.js';
import { findApp, findUser } from '../directory/lookup.js';
import { GraphError } from '../entra/errors.js';
import { isGraphAudience } from '../entra/urls.js';
import { verifyOwnJwt } from '../keys/signing.js';

export interface GraphCaller {
  tenant: Tenant;
  /** The client app the token was issued to. */
  appId: string;
  app?: App;
  /** The signed-in user; absent for app-only tokens. */
  user?: User;
  scopes: Set<string>;
  roles: Set<string>;
}

const invalid = (message: string) => new GraphError(401, 'InvalidAuthenticationToken', message);

export function graphCaller(ctx: Context): GraphCaller {
  const tx = ctx.state.tx;
  const token = /^bearer\s+(.+)$/i.exec(ctx.get('authorization'))?.[1] ?? tx.body.access_token;
  if (!token) throw invalid('Access token is empty.');
  const verified = verifyOwnJwt(token, tx.world.keys.signing);
  if (typeof verified === 'string') throw invalid(verified === 'malformed' ? 'IDX14100: JWT is not well formed.' : 'Access token validation failure.');
  const c = verified.payload;
  if (!isGraphAudience(c.aud)) throw invalid('Access token validation failure. Invalid audience.');
  if (typeof c.exp !== 'number' || c.exp * 1000 < Date.now()) throw invalid('Lifetime validation failed, the token is expired.');
  const tenant = tx.world.directory.tenants.find((t) => t.id === c.tid);
  if (!tenant) throw invalid('Access token validation failure.');
  const appId = String(c.appid ?? c.azp ?? '');
  const user = c.idtyp === 'app' ? undefined : findUser(tenant, String(c.oid ?? ''));
  if (c.idtyp !== 'app' && !user) throw invalid('Access token validation failure.');
  return {
    tenant,
    appId,
    app: findApp(tenant, appId),
    user,
    scopes: new Set(String(c.scp ?? '').split(' ').filter(Boolean)),
    roles: new Set(Array.isArray(c.roles) ? (c.roles as string[]) : []),
  };
}

/** Delegated calls need one of `scopes`; app-only calls one of `roles`. */
export function requirePermission(caller: GraphCaller, scopes: string[], roles: string[]): void {
  const ok = caller.user ? scopes.some((s) => caller.scopes.has(s)) : roles.some((r) => caller.roles.has(r));
  if (!ok) throw new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}
