/** The request pipeline, in order, as one list: log -> Entra errors -> body -> OIDC and SAML routes. */
import Koa from 'koa';
import type { Directory } from '../directory/model.js';
import type { KeyMaterial } from '../keys/store.js';
import { createEngine, type Engine, newInternalSecret } from '../oidc/provider.js';
import { oidcRoutes } from '../oidc/routes.js';
import { samlRoutes } from '../saml/sso.js';
import { EntraError } from '../entra/errors.js';
import { readForm } from './body.js';
import { entraErrors } from './errors.js';
import { type LogFormat, type RequestRecord, requestLog } from './log.js';

export interface AppOptions {
  origin: string;
  directory: Directory;
  keys: KeyMaterial;
  logFormat: LogFormat;
  onRecord?: (r: RequestRecord) => void;
  /** Separates this server's stored tokens from other servers in the same process. */
  namespace: string;
}

export function createApp(o: AppOptions): { app: Koa; engines: Map<string, Engine> } {
  const internalSecret = newInternalSecret();
  const cookieKeys = [newInternalSecret()];
  const engines = new Map<string, Engine>();
  for (const tenant of o.directory.tenants) {
    engines.set(tenant.id, createEngine({ origin: o.origin, tenant, keys: o.keys, internalSecret, cookieKeys, namespace: o.namespace }));
  }
  const app = new Koa({ keys: cookieKeys });
  app.silent = true;
  const routes = oidcRoutes({ origin: o.origin, directory: o.directory, keys: o.keys, engines, internalSecret });
  const saml = samlRoutes({ origin: o.origin, directory: o.directory, keys: o.keys });

  const pipeline = [
    requestLog(o.origin, o.logFormat, o.onRecord),
    entraErrors,
    readForm,
    routes.routes(),
    saml.routes(),
  ];
  for (const mw of pipeline) app.use(mw);
  // Nothing matched: Entra answers unknown paths with a 404 page; keep it Entra-shaped JSON.
  app.use(async (ctx) => {
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new EntraError(90023, { params: { detail: `No endpoint at ${ctx.method} ${ctx.path}.` }, status: 404 });
    }
  });
  app.on('error', (err: unknown) => {
    if (o.logFormat !== 'silent') console.error('mock-entra: internal error', err);
  });
  return { app, engines };
}
