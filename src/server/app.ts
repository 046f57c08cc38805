/**
 * The request pipeline, each step once, in this order:
 *   request log (opens the transaction) -> error rendering and security headers (everything below, admin API included)
 *   -> admin API -> for each route of the table (the dashboard's too): body -> tenant resolution
 *   -> channel (the front-end says what the request is about) -> fault gate -> handler.
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
import { Runtime } from './runtime.js';
import { Replica, storedScenario } from './replica.js';
import { type SignInRecord, SignInLog, tagged } from './signins.js';
import { newSecret } from '../store/memory.js';
import type { SharedChannel, SharedSecrets, StoredScenario } from '../store/types.js';
import type { Transaction } from './transaction.js';
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
  const run = async (ctx: Context, def: RouteDef) => {
    let handler = handlers.get(def.name);
    if (!handler) {
      handler = (await frontEnd(def.frontEnd))[def.name as keyof Handlers]!;
      handlers.set(def.name, handler);
    }
    const tx = ctx.state.tx;
    tx.route = def;
    if (def.unlogged) tx.unlogged = true;
    // A redirect route starts on Entra's page: only a trusted redirect URI gets errors back.
    tx.channel = { kind: def.channel === 'redirect' ? 'page' : def.channel };
    // The body is read once the route is known, so a too-large one is refused in the route's channel.
    if (ctx.method === 'POST') await readForm(ctx);
    resolveTenant(ctx, tx, def);
    // Steps that had nothing to wait for are not awaited: a static document answers without a promise of ours.
    const prepared: unknown = typeof handler === 'function' ? undefined : await handler.channel(ctx, tx);
    const fired = gate(tx);
    if (fired) await fired;
    const done = typeof handler === 'function' ? handler(ctx, tx) : handler.handle(ctx, tx, prepared);
    if (done instanceof Promise) await done;
  };
  return (ctx, next) => {
    const m = match(ctx);
    if (!m) return next();
    ctx.params = m.params;
    return run(ctx, m.def);
  };
}

/** Runs the middleware `make` gives (made on the first request for it) for paths under `prefix` only. */
function underPrefix(prefix: string, make: () => Promise<ReturnType<Router['routes']>>): Koa.Middleware {
  let mw: Promise<ReturnType<Router['routes']>> | undefined;
  return (ctx, next) => {
    if (ctx.path !== prefix && !ctx.path.startsWith(`${prefix}/`)) return next();
    mw ??= make();
    return mw.then((m) => m(ctx as Parameters<typeof m>[0], next));
  };
}

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
    recent: () => log.slice(-RECENT_LIMIT),
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
  // Trimmed a hundred at a time, not one record a request: the log is read far less often than written.
  const log: RequestRecord[] = [];
  const mirror = (r: RequestRecord) => {
    log.push(r);
    if (log.length >= RECENT_LIMIT + 100) log.splice(0, log.length - RECENT_LIMIT);
  };
  const keep = (r: RequestRecord) => {
    mirror(r);
    replica?.logRequest(r);
  };
  const keepSignIn = (r: SignInRecord) => {
    mock.signIns.add(r);
    replica?.logSignIn(r);
  };
  if (o.shared) {
    replica = new Replica(o.shared.channel, {
      world: () => mock.world,
      adopt,
      mirrorRequest: mirror,
      mirrorSignIn: (e) => mock.signIns.add(tagged(e.record as SignInRecord, e.tag)),
      clearMirrors: () => {
        log.length = 0;
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
   * Around everything below (admin API included): errors rendered in the request's channel, and
   * the security headers. No answer is sniffed as another type; no page of ours can be framed
   * (clickjacking of the sign-in form) — except the auto-posting forms that deliver tokens and
   * SAML Responses, which silent sign-in may run in a hidden frame.
   */
  const renderErrors = async (ctx: Context, next: Koa.Next) => {
    ctx.res.setHeader('X-Content-Type-Options', 'nosniff');
    try {
      await next();
      // Nothing matched: Entra answers unknown paths with a 404; keep it Entra-shaped.
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new EntraError(90023, { params: { detail: `No endpoint at ${ctx.method} ${ctx.path}. Check the path against the endpoints on the dashboard (/).` }, status: 404 });
      }
    } catch (caught) {
      const tx = ctx.state.tx;
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
      log.length = 0;
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

  app
    .use(requestLog({ origin: o.origin, format: o.logFormat, world: () => mock.world, events, keep, keepSignIn }))
    .use(renderErrors)
    // The admin API's router only sees its own paths: other requests skip its matching.
    .use(underPrefix(ADMIN_PREFIX, admin))
    .use(routeStep(o.origin, frontEnd));
  app.on('error', (err: unknown) => {
    if (o.logFormat === 'silent') return;
    // A damaged key file is the user's to fix: its message names the file and how; no stack.
    if ((err as Error | undefined)?.name === 'KeyFileError') console.error(`mock-entra: ${(err as Error).message}`);
    else console.error('mock-entra: internal error', err);
  });
  return mock;
}
