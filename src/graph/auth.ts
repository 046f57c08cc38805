/** Who calls our Microsoft Graph: a bearer access token this server issued, for Graph, unexpired. */
import type { Context } from 'koa';
import type { App, Tenant, User } from '../directory/model.js';
import { findApp, findUser } from '../directory/lookup.js';
import { GRAPH, isGraphAudience } from '../entra/urls.js';
import type { SigningKey } from '../keys/store.js';
import { verifyOwnJwt } from '../keys/signing.js';
import { requestBody, requestIds } from '../server/context.js';
import { worldOf } from '../server/world.js';

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

/** Graph's error envelope. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function renderGraphError(ctx: Context, err: GraphError, origin: string): void {
  const ids = requestIds(ctx);
  ctx.status = err.status;
  if (err.status === 401) ctx.set('WWW-Authenticate', `Bearer realm="", authorization_uri="${origin}/common/oauth2/authorize", client_id="${GRAPH.appId}"`);
  ctx.body = { error: { code: err.code, message: err.message, innerError: { date: ids.at.toISOString().slice(0, 19), 'request-id': ids.traceId, 'client-request-id': ids.correlationId } } };
}

const invalid = (message: string) => new GraphError(401, 'InvalidAuthenticationToken', message);

export function graphCaller(ctx: Context, keys: SigningKey[]): GraphCaller {
  const token = /^bearer\s+(.+)$/i.exec(ctx.get('authorization'))?.[1] ?? requestBody(ctx).access_token;
  if (!token) throw invalid('Access token is empty.');
  const verified = verifyOwnJwt(token, keys);
  if (typeof verified === 'string') throw invalid(verified === 'malformed' ? 'IDX14100: JWT is not well formed.' : 'Access token validation failure.');
  const c = verified.payload;
  if (!isGraphAudience(c.aud)) throw invalid('Access token validation failure. Invalid audience.');
  if (typeof c.exp !== 'number' || c.exp * 1000 < Date.now()) throw invalid('Lifetime validation failed, the token is expired.');
  const tenant = worldOf(ctx).directory.tenants.find((t) => t.id === c.tid);
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
