/**
 * The request pipeline, each step once, in this order, as one koa middleware:
 *   request log (opens the transaction) -> admin API -> for each route of the table (the dashboard's
 *   too): body -> tenant resolution -> channel (the front-end says what the request is about) -> fault
 *   gate -> handler; then, whatever happened above: error rendering and security headers -> request
 *   log (the sign-in record, the request record). A step that has nothing to wait for returns no
 *   promise, and the next runs at once.
 */
import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import Koa, { type Context } from 'koa';
import { findTenant } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import { asClientError, renderError } from '../entra/render.js';
import { type HostClass, type Origins, TENANT_SEGMENT } from '../entra/urls.js';
import { gate } from '../faults/gate.js';
import type { KeyMaterial } from '../keys/store.js';
import type { Scenario } from '../scenario/schema.js';
import { ADMIN_PREFIX, adminRoutes } from './admin.js';
import { readForm } from './body.js';
import { documentHandlers } from './documents.js';
import { MockEvents } from './events.js';
import { type LogFormat, type RequestRecord, requestLog } from './log.js';
import { type FrontEnd, type Handler, type Handlers, ROUTES, type RouteDef, type RoutesOf, routeMatcher } from './routes.js';
import { RecentRequests } from './recent.js';
import { Runtime } from './runtime.js';
import { Replica, storedScenario } from './replica.js';
import { LoggedSignIn, type SignInRecord, SignInLog } from './signins.js';
import { newSecret } from '../store/memory.js';
import type { SharedChannel, SharedSecrets, StoredScenario } from '../store/types.js';
import { ROUTE_CHANNELS, type Transaction } from './transaction.js';
import type { WatchStatus } from './watch.js';
import { buildWorld, type World, type WorldDeps } from './world.js';

export interface AppOptions {
  /** Where clients reach the server: its own origin, or Microsoft's hosts (as-Microsoft mode). */
  origin: Origins;
  scenario: Scenario;
  source: string;
  keys: KeyMaterial;
  logFormat: LogFormat;
  /** When set, the admin API answers anyone presenting it (Bearer); otherwise loopback only. */
  adminToken?: string;
  /** IDENTITY_HEADER: what App Service's managed identity endpoint expects in X-IDENTITY-HEADER. Default: a random GUID per server. */
  identityHeader?: string;
  /** The server's runtime state, in its store (default: a new one in memory). */
  runtime?: Runtime;
  /** Secrets the instances of a shared store share (default: new ones). */
  secrets?: SharedSecrets;
  /** On a shared store: its channel, the scenario it holds (the one to start with) and the digest of the scenario the instances were started with. */
  shared?: { channel: SharedChannel; stored: StoredScenario; digest: string };
  /** The listener serves HTTPS (the admin API then says when a switch changes the TLS certificate). */
  tls?: boolean;
  /** serve --watch's state (server/watch.ts), read at each request: the dashboard's banner, GET /_mock/scenario's `watch`, /health. */
  watch?: () => WatchStatus | undefined;
}

export interface MockApp {
  app: Koa;
  /** The world new requests see. */
  world: World;
  /**
   * Switches scenario: builds the new world first, so a failure leaves the old one in force.
   * Switches run in the order they were asked for, loading included (give a loader for a file).
   */
  switchTo(scenario: Scenario | (() => Promise<Scenario>), source: string): Promise<void>;
  /** Runs after every switch (start() swaps the TLS certificate there). */
  onSwitch?: (scenario: Scenario) => Promise<void>;
  /** The most recent requests (at most 500), oldest first: a copy. */
  recent(): RequestRecord[];
  /** The sign-in log: one record per sign-in attempt, the newest 1,000. */
  signIns: SignInLog;
  events: MockEvents;
  runtime: Runtime;
  /** The server's IDENTITY_HEADER (App Service's managed identity endpoint). */
  identityHeader: string;
  /** On a shared store: this instance's part in it. */
  replica?: Replica;
  /** Resolves once this instance's changes (rules, switches, resets) reached the other instances. */
  settled(): Promise<void>;
}

const RECENT_LIMIT = 500;

/** The tenant of a route: from the path, `?tenantId=`, or the scenario's first. Unknown: AADSTS90002; malformed: 900023. */
function resolveTenant(ctx: Context, tx: Transaction, def: RouteDef): void {
  if (def.tenant === 'none') return;
  const { directory } = tx.world;
  const given = def.tenant === 'path' ? ctx.params.tenant : def.tenant === 'query' && typeof ctx.query.tenantId === 'string' ? ctx.query.tenantId : undefined;
  const segment = given ?? directory.tenants[0]!.id;
  if (!TENANT_SEGMENT.test(segment)) throw new EntraError(900023, { params: { tenant: segment } });
  const tenant = findTenant(directory, segment);
  if (!tenant) throw new EntraError(90002, { params: { tenant: segment } });
  tx.tenant = tenant;
  tx.segment = segment;
}

/** A front-end's handlers, made on its first request (concurrent first requests share the load). */
type FrontEnds = { [F in FrontEnd]: () => Handlers<RoutesOf<F>> | Promise<Handlers<RoutesOf<F>>> };

/**
 * The route step: matches the route table, then for the matched route reads the body, resolves
 * the tenant, asks the front-end what the request is about, runs the fault gate and the handler.
 */
function routeStep(origins: Origins, frontEnd: (f: FrontEnd) => Promise<Partial<Handlers>>): Koa.Middleware {
  const matchAny = routeMatcher(ROUTES);
  // As Microsoft, a request to one of Microsoft's hosts reaches that host's routes only; any other Host reaches them all.
  const byHost = new Map<HostClass, ReturnType<typeof routeMatcher>>(
    (['login', 'graph', 'management'] as const).map((h) => [h, routeMatcher(ROUTES.filter((d: RouteDef) => (d.host ?? 'login') === h))]),
  );
  const match = origins.asMicrosoft
    ? (ctx: Context) => {
        const h = origins.classOf(ctx.hostname);
        return (h ? byHost.get(h)! : matchAny)(ctx.method, ctx.path);
      }
    : (ctx: Context) => matchAny(ctx.method, ctx.path);
  /** Handlers by route name, once their front-end has loaded. */
  const handlers = new Map<string, Handler>();
  // Each step is awaited only when it returned a promise: a static document answers without one of ours.
  const run = (ctx: Context, def: RouteDef): unknown => {
    const handler = handlers.get(def.name);
    if (!handler) {
      return frontEnd(def.frontEnd).then((loaded) => {
        handlers.set(def.name, loaded[def.name as keyof Handlers]!);
        return run(ctx, def);
      });
    }
    const tx = ctx.state.tx;
    tx.route = def;
    if (def.unlogged) tx.unlogged = true;
    // A redirect route starts on Entra's page: only a trusted redirect URI gets errors back.
    tx.channel = ROUTE_CHANNELS[def.channel];
    // The body is read once the route is known, so a too-large one is refused in the route's channel.
    if (ctx.method === 'POST') return readForm(ctx).then(() => handle(ctx, tx, def, handler));
    return handle(ctx, tx, def, handler);
  };
  const handle = (ctx: Context, tx: Transaction, def: RouteDef, handler: Handler): unknown => {
    resolveTenant(ctx, tx, def);
    if (typeof handler !== 'function') {
      // The front-end says what the request is about before the gate runs.
      return Promise.resolve(handler.channel(ctx, tx)).then(async (prepared) => {
        const fired = gate(tx);
        if (fired) await fired;
        await handler.handle(ctx, tx, prepared);
      });
    }
    const fired = gate(tx);
    if (fired) return fired.then(() => handler(ctx, tx));
    return handler(ctx, tx);
  };
  return (ctx, next) => {
    const m = match(ctx);
    if (!m) return next();
    ctx.params = m.params;
    return run(ctx, m.def);
  };
}

/** Paths under `prefix` go to the middleware `make` gives (made on the first request for it), then to `otherwise`; others to `otherwise` alone. */
function underPrefix(prefix: string, make: () => Promise<ReturnType<Router['routes']>>, otherwise: Koa.Middleware): Koa.Middleware {
  const slashed = `${prefix}/`;
  let mw: Promise<ReturnType<Router['routes']>> | undefined;
  return (ctx, next) => {
    const path = ctx.path;
    if (path !== prefix && !path.startsWith(slashed)) return otherwise(ctx, next);
    mw ??= make();
    return mw.then((m) => m(ctx as Parameters<typeof m>[0], () => otherwise(ctx, next)));
  };
}

/** What a step threw; `none` when it threw nothing. */
const NONE: unique symbol = Symbol('none');

export function createApp(o: AppOptions): MockApp {
  const startedAt = Date.now();
  const runtime = o.runtime ?? new Runtime();
  const secrets = o.secrets ?? { internalSecret: newSecret(), cookieKeys: [newSecret()], identityHeader: o.identityHeader ?? randomUUID() };
  let replica: Replica | undefined;
  const deps: WorldDeps = {
    origin: o.origin,
    keys: o.keys,
    internalSecret: secrets.internalSecret,
    cookieKeys: secrets.cookieKeys,
    runtime,
    ...(o.shared ? { faultSync: (generation: string) => replica!.faultSync(generation) } : {}),
  };
  const app = new Koa({ keys: deps.cookieKeys });
  app.silent = true;
  const events = new MockEvents();
  // App Service's IDENTITY_HEADER is a GUID, rotated; ours lives as long as the server (all its instances).
  const identityHeader = secrets.identityHeader;
  // Switches run one at a time, so the world and its TLS certificate always belong to the same scenario.
  let switching: Promise<unknown> = Promise.resolve();
  const serialized = (step: () => Promise<void>) => {
    const run = switching.then(step);
    switching = run.catch(() => undefined);
    return run;
  };
  const initial = o.shared?.stored;
  const mock: MockApp = {
    app,
    world: undefined as unknown as World,
    switchTo: (s, src) =>
      serialized(async () => {
        const scenario = typeof s === 'function' ? await s() : s;
        if (!replica) {
          mock.world = buildWorld(scenario, src, deps);
          await mock.onSwitch?.(scenario);
          return;
        }
        // Stored first, then this instance's world, then the others are told (and wait for nothing from it).
        const stored = storedScenario(scenario, src);
        const world = buildWorld(scenario, src, deps, stored);
        await replica.store(stored);
        mock.world = world;
        await mock.onSwitch?.(scenario);
        await replica.announce(stored.generation).catch(() => undefined);
      }),
    recent: () => requests.list(),
    signIns: new SignInLog(),
    events,
    runtime,
    identityHeader,
    settled: () => replica?.settled() ?? Promise.resolve(),
  };
  // Another instance switched: the store's scenario (already checked there) replaces this one's, in the switches' order.
  const adopt = (stored: StoredScenario) =>
    serialized(async () => {
      if (stored.generation === mock.world.generation) return;
      const scenario = stored.scenario as Scenario;
      const world = buildWorld(scenario, stored.source, deps, stored);
      world.faults.apply(await o.shared!.channel.loadControl(stored.generation, stored.generation));
      mock.world = world;
      await mock.onSwitch?.(scenario);
    });
  const keepSignIn = (e: LoggedSignIn) => {
    mock.signIns.add(e);
    replica?.logSignIn(e);
  };
  const requests = requestLog({ origin: o.origin, format: o.logFormat, world: () => mock.world, events, recent: new RecentRequests(RECENT_LIMIT), replicate: (r) => replica?.logRequest(r), keepSignIn });
  if (o.shared) {
    replica = new Replica(o.shared.channel, {
      world: () => mock.world,
      adopt,
      mirrorRequest: (r) => requests.mirror(r),
      mirrorSignIn: (e) => mock.signIns.add(LoggedSignIn.of(e.record as SignInRecord, e.tag)),
      clearMirrors: () => {
        requests.clear();
        mock.signIns.clear();
      },
    }, o.shared.digest);
    mock.replica = replica;
  }
  mock.world = initial ? buildWorld(initial.scenario as Scenario, initial.source, deps, initial) : buildWorld(o.scenario, o.source, deps);
  // Only the documents load with the server: the provider, SAML's XML stack, Graph and the dashboard on first use.
  const frontEnds: FrontEnds = {
    documents: () => documentHandlers({ origin: o.origin, startedAt, watchError: () => Boolean(o.watch?.()?.error) }),
    oidc: async () => (await import('../oidc/routes.js')).oidcHandlers({ origin: o.origin, internalSecret: deps.internalSecret }),
    saml: async () => (await import('../saml/sso.js')).samlHandlers({ origin: o.origin, keys: o.keys }),
    graph: async () => (await import('../graph/routes.js')).graphHandlers({ origin: o.origin, signIns: mock.signIns }),
    management: async () => (await import('../management/routes.js')).managementHandlers({ origin: o.origin }),
    managedIdentity: async () => (await import('../managed-identity/routes.js')).managedIdentityHandlers({ identityHeader }),
    ui: async () => (await import('../ui/routes.js')).uiHandlers({ origin: o.origin, keys: o.keys, recent: mock.recent, signIns: mock.signIns, adminToken: o.adminToken, identityHeader, watch: o.watch }),
  };
  const loaded = new Map<FrontEnd, Promise<Partial<Handlers>>>();
  const frontEnd = (f: FrontEnd) => {
    let p = loaded.get(f);
    if (!p) {
      const make: () => Partial<Handlers> | Promise<Partial<Handlers>> = frontEnds[f];
      p = Promise.resolve().then(make);
      loaded.set(f, p);
    }
    return p;
  };

  /**
   * Once the steps below are done (admin API included): errors rendered in the request's channel,
   * and the security headers. No answer is sniffed as another type (set when the transaction
   * opens); no page of ours can be framed (clickjacking of the sign-in form) — except the
   * auto-posting forms that deliver tokens and SAML Responses, which silent sign-in may run in a hidden frame.
   */
  const answerErrors = (ctx: Context, tx: Transaction, thrown: unknown) => {
    try {
      if (thrown !== NONE) throw thrown;
      // Nothing matched: Entra answers unknown paths with a 404; keep it Entra-shaped.
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new EntraError(90023, { params: { detail: `No endpoint at ${ctx.method} ${ctx.path}. Check the path against the endpoints on the dashboard (/).` }, status: 404 });
      }
    } catch (caught) {
      const { err, internal } = asClientError(caught);
      if (internal) ctx.app.emit('error', caught, ctx);
      if (err instanceof EntraError) {
        tx.aadsts = err.code;
        tx.failureReason = err.text;
        tx.answered = err;
      }
      renderError(ctx, err, tx.channel, tx.ids);
    }
    // The header as set, not ctx.response.is('html'): that parses a media type on every request.
    const type = ctx.res.getHeader('Content-Type');
    if (typeof type === 'string' && type.startsWith('text/html') && !(typeof ctx.body === 'string' && ctx.body.includes('document.forms[0].submit()'))) {
      ctx.set('X-Frame-Options', 'DENY');
      ctx.set('Content-Security-Policy', "frame-ancestors 'none'; base-uri 'none'; object-src 'none'");
    }
  };
  const admin = () => adminRoutes({
    world: () => mock.world,
    switchTo: (s, src) => mock.switchTo(s, src),
    recent: mock.recent,
    clearRecent: () => {
      requests.clear();
      mock.signIns.clear();
      return replica?.clearLogs();
    },
    settled: mock.settled,
    signIns: mock.signIns,
    token: o.adminToken,
    origin: o.origin.login,
    identityHeader,
    tls: o.tls,
    watch: o.watch,
  }).then((r) => r.routes());

  // The admin API's router only sees its own paths: other requests skip its matching.
  const steps = underPrefix(ADMIN_PREFIX, admin, routeStep(o.origin, frontEnd));
  const close = (ctx: Context, tx: Transaction, started: number, thrown: unknown = NONE) => {
    try {
      answerErrors(ctx, tx, thrown);
    } finally {
      requests.close(ctx, tx, started);
    }
  };
  // One middleware: the steps run as the header says, and a request that needed no promise of ours is answered without one.
  app.use((ctx, next) => {
    const started = performance.now();
    const tx = requests.open(ctx);
    ctx.res.setHeader('X-Content-Type-Options', 'nosniff');
    let done: unknown;
    try {
      done = steps(ctx, next);
    } catch (caught) {
      return close(ctx, tx, started, caught);
    }
    if (done instanceof Promise) return done.then(() => close(ctx, tx, started), (caught: unknown) => close(ctx, tx, started, caught));
    return close(ctx, tx, started);
  });
  app.on('error', (err: unknown) => {
    if (o.logFormat === 'silent') return;
    // A damaged key file is the user's to fix: its message names the file and how; no stack.
    if ((err as Error | undefined)?.name === 'KeyFileError') console.error(`mock-entra: ${(err as Error).message}`);
    else console.error('mock-entra: internal error', err);
  });
  return mock;
}
