/** The request pipeline, in order, as one list: log -> admin -> Entra errors -> body -> dashboard, OIDC and SAML routes. */
import Koa from 'koa';
import type { KeyMaterial } from '../keys/store.js';
import { randomBytes } from 'node:crypto';
import type { Scenario } from '../scenario/schema.js';
import { buildWorld, type World } from './world.js';
import { oidcRoutes } from '../oidc/routes.js';
import { graphRoutes } from '../graph/routes.js';
import { samlRoutes } from '../saml/sso.js';
import { EntraError } from '../entra/errors.js';
import { DeviceCodes } from '../oidc/device.js';
import { adminRoutes } from './admin.js';
import { readForm } from './body.js';
import { entraErrors } from './errors.js';
import { type LogFormat, type RequestRecord, requestLog } from './log.js';
import { uiRoutes } from '../ui/routes.js';

export interface AppOptions {
  origin: string;
  scenario: Scenario;
  source: string;
  keys: KeyMaterial;
  logFormat: LogFormat;
  onRecord?: (r: RequestRecord) => void;
  /** Separates this server's stored tokens from other servers in the same process. */
  namespace: string;
  /** When set, the admin API answers anyone presenting it (Bearer); otherwise loopback only. */
  adminToken?: string;
}

export interface MockApp {
  app: Koa;
  /** The world new requests see. */
  world: World;
  /** Switches scenario: builds the new world first, so a failure leaves the old one in force. */
  switchTo(scenario: Scenario, source: string): Promise<void>;
  /** Runs after every switch (start() swaps the TLS certificate there). */
  onSwitch?: (scenario: Scenario) => Promise<void>;
  /** The most recent requests, oldest first. */
  recent: RequestRecord[];
}

const RECENT_LIMIT = 500;
/** Random secrets of one server: the provider's internal client secret and the cookie keys. */
const newSecret = () => randomBytes(32).toString('base64url');

export function createApp(o: AppOptions): MockApp {
  const deps = { origin: o.origin, keys: o.keys, internalSecret: newSecret(), cookieKeys: [newSecret()], devices: new DeviceCodes(), namespace: o.namespace };
  const app = new Koa({ keys: deps.cookieKeys });
  app.silent = true;
  const mock: MockApp = {
    app,
    world: buildWorld(o.scenario, o.source, deps),
    switchTo: async (s, src) => {
      mock.world = buildWorld(s, src, deps);
      await mock.onSwitch?.(s);
    },
    recent: [],
  };
  const onRecord = (r: RequestRecord) => {
    mock.recent.push(r);
    if (mock.recent.length > RECENT_LIMIT) mock.recent.splice(0, mock.recent.length - RECENT_LIMIT);
    o.onRecord?.(r);
  };
  const admin = adminRoutes({
    world: () => mock.world,
    switchTo: (s, src) => mock.switchTo(s, src),
    recent: () => mock.recent,
    clearRecent: () => {
      mock.recent.length = 0;
    },
    token: o.adminToken,
    origin: o.origin,
  });
  const routes = oidcRoutes({ origin: o.origin, keys: o.keys, internalSecret: deps.internalSecret });
  const saml = samlRoutes({ origin: o.origin, keys: o.keys });
  const graph = graphRoutes({ origin: o.origin, keys: o.keys });
  const ui = uiRoutes({ origin: o.origin, keys: o.keys, recent: () => mock.recent, adminToken: o.adminToken });
  // Each request keeps the world it started in (see world.ts).
  const pinWorld = async (ctx: Koa.Context, next: Koa.Next) => {
    ctx.state.world = mock.world;
    await next();
  };

  const pipeline = [
    requestLog(o.origin, o.logFormat, onRecord),
    pinWorld,
    admin.routes(),
    entraErrors,
    readForm,
    ui.routes(),
    routes.routes(),
    saml.routes(),
    graph.routes(),
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
