/** The request pipeline, in order, as one list: log -> Entra errors -> body -> OIDC and SAML routes. */
import Koa from 'koa';
import type { KeyMaterial } from '../keys/store.js';
import { newInternalSecret } from '../oidc/provider.js';
import type { Scenario } from '../scenario/schema.js';
import { buildWorld, type World } from './world.js';
import { oidcRoutes } from '../oidc/routes.js';
import { samlRoutes } from '../saml/sso.js';
import { EntraError } from '../entra/errors.js';
import { readForm } from './body.js';
import { entraErrors } from './errors.js';
import { type LogFormat, type RequestRecord, requestLog } from './log.js';

export interface AppOptions {
  origin: string;
  scenario: Scenario;
  source: string;
  keys: KeyMaterial;
  logFormat: LogFormat;
  onRecord?: (r: RequestRecord) => void;
  /** Separates this server's stored tokens from other servers in the same process. */
  namespace: string;
}

export interface MockApp {
  app: Koa;
  /** The world new requests see; replace it to switch scenario. */
  world: World;
  /** Builds a world for another scenario with this server's keys and secrets. */
  build(scenario: Scenario, source: string): World;
}

export function createApp(o: AppOptions): MockApp {
  const deps = { origin: o.origin, keys: o.keys, internalSecret: newInternalSecret(), cookieKeys: [newInternalSecret()], namespace: o.namespace };
  const app = new Koa({ keys: deps.cookieKeys });
  app.silent = true;
  const mock: MockApp = { app, world: buildWorld(o.scenario, o.source, deps), build: (s, src) => buildWorld(s, src, deps) };
  const routes = oidcRoutes({ origin: o.origin, keys: o.keys, internalSecret: deps.internalSecret });
  const saml = samlRoutes({ origin: o.origin, keys: o.keys });
  // Each request keeps the world it started in (see world.ts).
  const pinWorld = async (ctx: Koa.Context, next: Koa.Next) => {
    ctx.state.world = mock.world;
    await next();
  };

  const pipeline = [
    requestLog(o.origin, o.logFormat, o.onRecord),
    pinWorld,
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
  return mock;
}
