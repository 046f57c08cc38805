/**
 * THE route table: every route the mock serves, as data. It registers the routes (app.ts) and
 * builds every URL the project prints (discovery documents, dashboard, test API, CLI, docs), so a
 * path is written once, in entra/urls.ts, and nowhere else.
 *
 * Per route: its name, methods, path, the channel errors go back on, the fault endpoint rules
 * name it by, where its tenant comes from, and its protocol version.
 */
import { armPaths, type HostClass, type Origins, paths } from '../entra/urls.js';
import type { Endpoint } from '../scenario/schema.js';

export type Method = 'GET' | 'POST' | 'OPTIONS' | 'ALL';

/**
 * Where a route's errors go before the front-end knows more: JSON (back channel), Entra's page
 * (browser-facing), 'redirect' (Entra's page until the app's redirect URI is trusted, then back to
 * the app per response_mode: query, fragment or form_post), Microsoft Graph's envelope, Azure
 * Resource Manager's (`arm`), or the managed identity endpoints' own bodies (App Service's, IMDS's).
 */
export type RouteChannel = 'json' | 'page' | 'redirect' | 'graph' | 'arm' | 'appService' | 'imds';

/**
 * Which front-end answers a route. Front-ends load on their route's first request, so a start
 * that only serves metadata never loads the provider, SAML's XML stack or the dashboard.
 */
export type FrontEnd = 'documents' | 'oidc' | 'saml' | 'graph' | 'ui' | 'management' | 'managedIdentity';

export interface RouteDef {
  readonly name: string;
  readonly frontEnd: FrontEnd;
  readonly methods: readonly Method[];
  readonly path: string;
  readonly channel: RouteChannel;
  /** The `when.endpoint` fault rules name this route by; absent: the gate never runs (the dashboard). */
  readonly endpoint?: Endpoint;
  /** Where the tenant comes from: the `:tenant` segment, `?tenantId=` (else the first tenant), the first tenant, or nowhere. */
  readonly tenant: 'path' | 'query' | 'first' | 'none';
  readonly protocol?: 'v1' | 'v2';
  /**
   * The route continues a sign-in that began at another request (sign-in pages, the resumed
   * authorize): the gate ran there, and only `tx.identify()` evaluates rules here.
   */
  readonly continues?: true;
  /** Not identity-provider traffic (the dashboard looking at itself): kept out of the request log. */
  readonly unlogged?: true;
  /**
   * Which of Microsoft's hosts serves the route (absent: login). Respected only in the as-Microsoft
   * mode, and only on a request to one of Microsoft's host names: any other Host reaches every route.
   */
  readonly host?: HostClass;
}

const r = <const T extends RouteDef>(def: T) => def;

export const ROUTES = [
  // OIDC metadata (reference §1–§3, §9).
  r({ name: 'instanceDiscovery', frontEnd: 'documents', methods: ['GET'], path: paths.instanceDiscovery, channel: 'json', endpoint: 'discovery', tenant: 'none' }),
  r({ name: 'userRealm', frontEnd: 'documents', methods: ['GET'], path: paths.userRealm, channel: 'json', endpoint: 'discovery', tenant: 'none' }),
  r({ name: 'discovery.v2', frontEnd: 'documents', methods: ['GET'], path: paths.v2.discovery, channel: 'json', endpoint: 'discovery', tenant: 'path', protocol: 'v2' }),
  r({ name: 'discovery.v1', frontEnd: 'documents', methods: ['GET'], path: paths.v1.discovery, channel: 'json', endpoint: 'discovery', tenant: 'path', protocol: 'v1' }),
  r({ name: 'jwks.v2', frontEnd: 'documents', methods: ['GET'], path: paths.v2.keys, channel: 'json', endpoint: 'jwks', tenant: 'path', protocol: 'v2' }),
  r({ name: 'jwks.v1', frontEnd: 'documents', methods: ['GET'], path: paths.v1.keys, channel: 'json', endpoint: 'jwks', tenant: 'path', protocol: 'v1' }),
  // OIDC sign-in (reference §6).
  r({ name: 'authorize.v2', frontEnd: 'oidc', methods: ['GET', 'POST'], path: paths.v2.authorize, channel: 'redirect', endpoint: 'authorize', tenant: 'path', protocol: 'v2' }),
  r({ name: 'authorize.v1', frontEnd: 'oidc', methods: ['GET', 'POST'], path: paths.v1.authorize, channel: 'redirect', endpoint: 'authorize', tenant: 'path', protocol: 'v1' }),
  r({ name: 'authorize.resume', frontEnd: 'oidc', methods: ['GET'], path: `${paths.v2.authorize}/:uid`, channel: 'redirect', endpoint: 'authorize', tenant: 'path', continues: true }),
  r({ name: 'login', frontEnd: 'oidc', methods: ['GET', 'POST'], path: paths.login, channel: 'page', endpoint: 'authorize', tenant: 'path', continues: true }),
  r({ name: 'logout.v2', frontEnd: 'oidc', methods: ['ALL'], path: paths.v2.logout, channel: 'page', endpoint: 'logout', tenant: 'path', protocol: 'v2' }),
  r({ name: 'logout.v1', frontEnd: 'oidc', methods: ['ALL'], path: paths.v1.logout, channel: 'page', endpoint: 'logout', tenant: 'path', protocol: 'v1' }),
  // The provider's own sign-out steps (confirm, success) under the logout path.
  r({ name: 'logout.steps', frontEnd: 'oidc', methods: ['ALL'], path: `${paths.v2.logout}/*rest`, channel: 'page', endpoint: 'logout', tenant: 'path', continues: true }),
  // Tokens (reference §5, §8).
  r({ name: 'token.v2', frontEnd: 'oidc', methods: ['POST'], path: paths.v2.token, channel: 'json', endpoint: 'token', tenant: 'path', protocol: 'v2' }),
  r({ name: 'token.v1', frontEnd: 'oidc', methods: ['POST'], path: paths.v1.token, channel: 'json', endpoint: 'token', tenant: 'path', protocol: 'v1' }),
  r({ name: 'token.preflight', frontEnd: 'oidc', methods: ['OPTIONS'], path: paths.v2.token, channel: 'json', tenant: 'none' }),
  r({ name: 'devicecode.v2', frontEnd: 'oidc', methods: ['POST'], path: paths.v2.devicecode, channel: 'json', endpoint: 'token', tenant: 'path', protocol: 'v2' }),
  r({ name: 'devicecode.v1', frontEnd: 'oidc', methods: ['POST'], path: paths.v1.devicecode, channel: 'json', endpoint: 'token', tenant: 'path', protocol: 'v1' }),
  r({ name: 'deviceLogin', frontEnd: 'oidc', methods: ['GET'], path: paths.deviceLogin, channel: 'page', tenant: 'none' }),
  r({ name: 'deviceLogin.code', frontEnd: 'oidc', methods: ['POST'], path: paths.deviceLogin, channel: 'page', tenant: 'none' }),
  r({ name: 'deviceLogin.signIn', frontEnd: 'oidc', methods: ['POST'], path: `${paths.deviceLogin}/:code`, channel: 'page', endpoint: 'authorize', tenant: 'none', continues: true }),
  // SAML (reference §10).
  r({ name: 'saml', frontEnd: 'saml', methods: ['GET', 'POST'], path: paths.saml2, channel: 'page', endpoint: 'saml', tenant: 'path' }),
  r({ name: 'saml.login', frontEnd: 'saml', methods: ['POST'], path: paths.samlLogin, channel: 'page', endpoint: 'saml', tenant: 'path', continues: true }),
  r({ name: 'saml.launch', frontEnd: 'saml', methods: ['GET'], path: paths.samlLaunch, channel: 'page', endpoint: 'saml', tenant: 'query' }),
  r({ name: 'federationMetadata', frontEnd: 'documents', methods: ['GET'], path: paths.federationMetadata, channel: 'json', endpoint: 'metadata', tenant: 'path' }),
  // The small Microsoft Graph (reference §11): the caller's tenant comes from its token.
  r({ name: 'graph.me', frontEnd: 'graph', methods: ['GET'], path: '/v1.0/me', channel: 'graph', endpoint: 'userinfo', tenant: 'none', host: 'graph' }),
  r({ name: 'graph.user', frontEnd: 'graph', methods: ['GET'], path: '/v1.0/users/:id', channel: 'graph', endpoint: 'userinfo', tenant: 'none', host: 'graph' }),
  r({ name: 'graph.me.memberOf', frontEnd: 'graph', methods: ['GET'], path: '/v1.0/me/memberOf', channel: 'graph', endpoint: 'userinfo', tenant: 'none', host: 'graph' }),
  r({ name: 'graph.user.memberOf', frontEnd: 'graph', methods: ['GET'], path: '/v1.0/users/:id/memberOf', channel: 'graph', endpoint: 'userinfo', tenant: 'none', host: 'graph' }),
  r({ name: 'graph.me.getMemberObjects', frontEnd: 'graph', methods: ['POST'], path: '/v1.0/me/getMemberObjects', channel: 'graph', endpoint: 'userinfo', tenant: 'none', host: 'graph' }),
  r({ name: 'graph.me.getMemberGroups', frontEnd: 'graph', methods: ['POST'], path: '/v1.0/me/getMemberGroups', channel: 'graph', endpoint: 'userinfo', tenant: 'none', host: 'graph' }),
  r({ name: 'graph.user.getMemberObjects', frontEnd: 'graph', methods: ['POST'], path: '/v1.0/users/:id/getMemberObjects', channel: 'graph', endpoint: 'userinfo', tenant: 'none', host: 'graph' }),
  r({ name: 'graph.user.getMemberGroups', frontEnd: 'graph', methods: ['POST'], path: '/v1.0/users/:id/getMemberGroups', channel: 'graph', endpoint: 'userinfo', tenant: 'none', host: 'graph' }),
  // Where the groups overage claim points (Azure AD Graph's path shape, reference §4).
  r({ name: 'graph.overage', frontEnd: 'graph', methods: ['POST'], path: '/:tenant/users/:id/getMemberObjects', channel: 'graph', endpoint: 'userinfo', tenant: 'none', host: 'graph' }),
  // Sign-in logs (reference §15): the mock's sign-in log in Graph's shape.
  r({ name: 'graph.signIns', frontEnd: 'graph', methods: ['GET'], path: '/v1.0/auditLogs/signIns', channel: 'graph', endpoint: 'userinfo', tenant: 'none', host: 'graph' }),
  r({ name: 'graph.signIn', frontEnd: 'graph', methods: ['GET'], path: '/v1.0/auditLogs/signIns/:id', channel: 'graph', endpoint: 'userinfo', tenant: 'none', host: 'graph' }),
  r({ name: 'userinfo', frontEnd: 'graph', methods: ['ALL'], path: paths.userinfo, channel: 'graph', endpoint: 'userinfo', tenant: 'none', host: 'graph' }),
  r({ name: 'userinfo.v1', frontEnd: 'graph', methods: ['ALL'], path: paths.v1.userinfo, channel: 'graph', endpoint: 'userinfo', tenant: 'none', protocol: 'v1' }),
  // Azure Resource Manager, just enough for `az login` (reference §14): the caller's tenant comes from its token.
  r({ name: 'arm.subscriptions', frontEnd: 'management', methods: ['GET'], path: armPaths.subscriptions, channel: 'arm', tenant: 'none', host: 'management' }),
  r({ name: 'arm.tenants', frontEnd: 'management', methods: ['GET'], path: armPaths.tenants, channel: 'arm', tenant: 'none', host: 'management' }),
  // The mock's own external issuers for workload identity federation (issuers/builtin.ts): what Entra fetches of an issuer.
  r({ name: 'issuer.discovery', frontEnd: 'documents', methods: ['GET'], path: paths.issuerDiscovery, channel: 'json', endpoint: 'discovery', tenant: 'none' }),
  r({ name: 'issuer.jwks.k8s', frontEnd: 'documents', methods: ['GET'], path: paths.issuerJwksK8s, channel: 'json', endpoint: 'jwks', tenant: 'none' }),
  r({ name: 'issuer.jwks.github', frontEnd: 'documents', methods: ['GET'], path: paths.issuerJwksGithub, channel: 'json', endpoint: 'jwks', tenant: 'none' }),
  // Managed identity (reference §12): App Service's IDENTITY_ENDPOINT and IMDS's token endpoint
  // (AZURE_POD_IDENTITY_AUTHORITY_HOST); the identity is the first tenant's.
  r({ name: 'managedIdentity.appService', frontEnd: 'managedIdentity', methods: ['GET'], path: paths.appServiceIdentity, channel: 'appService', endpoint: 'managedIdentity', tenant: 'first' }),
  r({ name: 'managedIdentity.imds', frontEnd: 'managedIdentity', methods: ['GET'], path: paths.imdsIdentity, channel: 'imds', endpoint: 'managedIdentity', tenant: 'first' }),
  // Entra's error lookup, where every error's `error_uri` points (reference §1): a page per catalogue code; not faulted.
  r({ name: 'errorLookup', frontEnd: 'ui', methods: ['GET'], path: paths.error, channel: 'page', tenant: 'none' }),
  // Liveness for container health checks and scripts (status, scenario, uptime, version): not Entra's, unauthenticated, not faulted, not logged.
  r({ name: 'health', frontEnd: 'documents', methods: ['GET'], path: '/health', channel: 'json', tenant: 'none', unlogged: true }),
  // The dashboard: not Entra's, not faulted, not logged.
  r({ name: 'dashboard', frontEnd: 'ui', methods: ['GET'], path: '/', channel: 'page', tenant: 'none', unlogged: true }),
  r({ name: 'dashboard.requests', frontEnd: 'ui', methods: ['GET'], path: '/requests', channel: 'page', tenant: 'none', unlogged: true }),
  r({ name: 'dashboard.request', frontEnd: 'ui', methods: ['GET'], path: '/requests/:traceId', channel: 'page', tenant: 'none', unlogged: true }),
  // Sign-in logs: one row per sign-in attempt, filters in the query (?format=json downloads them); one record's detail.
  r({ name: 'dashboard.signIns', frontEnd: 'ui', methods: ['GET'], path: '/signins', channel: 'page', tenant: 'none', unlogged: true }),
  r({ name: 'dashboard.signIn', frontEnd: 'ui', methods: ['GET'], path: '/signins/:id', channel: 'page', tenant: 'none', unlogged: true }),
  r({ name: 'dashboard.switch', frontEnd: 'ui', methods: ['POST'], path: '/_mock/ui/switches', channel: 'page', tenant: 'none' }),
] as const;

export type RouteName = (typeof ROUTES)[number]['name'];
/** The routes one front-end answers: its handlers function returns exactly these. */
export type RoutesOf<F extends FrontEnd> = Extract<(typeof ROUTES)[number], { frontEnd: F }>['name'];

const BY_NAME = new Map<string, RouteDef>(ROUTES.map((d) => [d.name, d]));

export function route(name: RouteName): RouteDef {
  return BY_NAME.get(name)!;
}

/**
 * A route's URL: `:name` segments filled from `params`, then `query` appended.
 * @example url('https://localhost:8443', 'token.v2', { tenant: tid }) // https://localhost:8443/{tid}/oauth2/v2.0/token
 */
export function url(origin: Origins | string, name: RouteName, params: Record<string, string> = {}, query?: Record<string, string>): string {
  const def = route(name);
  // Origins: the origin of the route's host (Graph's routes on graph.microsoft.com in the as-Microsoft mode).
  return pathUrl(typeof origin === 'string' ? origin : origin.of(def.host ?? 'login'), def.path, params, query);
}

/** The same for an Entra path the mock advertises but does not serve (kerberos, check_session_iframe, wsfed): on the login host. */
export function pathUrl(origin: Origins | string, path: string, params: Record<string, string> = {}, query?: Record<string, string>): string {
  const filled = path.replace(/:(\w+)/g, (m, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`${path}: no value for ${m}`);
    return encodeURIComponent(v).replace(/%40/g, '@');
  });
  const q = query && Object.keys(query).length ? `?${new URLSearchParams(query)}` : '';
  return `${typeof origin === 'string' ? origin : origin.login}${filled}${q}`;
}

type Ctx = import('koa').Context;
type Tx = import('./transaction.js').Transaction;

/**
 * A route's handler in two steps around the fault gate: `channel` says what the request is about
 * (app, login_hint, grant type) and where its errors go; `handle` answers it, given what `channel`
 * read from the request.
 */
export interface StagedHandler<T> {
  channel(ctx: Ctx, tx: Tx): T | Promise<T>;
  handle(ctx: Ctx, tx: Tx, prepared: Awaited<T>): unknown;
}

/** A front-end's handler for a route: one step (the gate runs before it), or two around the gate. */
// `any`: each route's own T is checked where the handler is written (staged()); the table only needs the shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type Handler = ((ctx: Ctx, tx: Tx) => unknown) | StagedHandler<any>;

/** Types a two-step handler: `handle` gets what `channel` returned. */
export const staged = <T>(h: StagedHandler<T>): StagedHandler<T> => h;

export type Handlers<N extends RouteName = RouteName> = { [K in N]: Handler };

/** A route the request's method and path matched, with its `:name` segments decoded. */
export interface RouteMatch {
  def: RouteDef;
  params: Record<string, string>;
}

/** A decoded path segment; one that does not decode is kept as sent (the handler's lookup then fails cleanly). */
const decodeSegment = (s: string) => {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/**
 * Matches requests against the route table, first route in table order winning: segments compare
 * case-insensitively (Entra's paths do), one trailing slash is ignored, HEAD is answered as GET,
 * `:name` takes one non-empty segment and `*name` the rest of the path. Routes are grouped by
 * their segment count, so a request compares itself with a handful of routes, not the table.
 */
export function routeMatcher(defs: readonly RouteDef[]): (method: string, path: string) => RouteMatch | undefined {
  interface Compiled {
    def: RouteDef;
    /** Lower-case static segments; `:x` a parameter, `*x` the rest. */
    segments: { text: string; param?: string; rest?: true }[];
    methods: ReadonlySet<string>;
    order: number;
  }
  const bySize = new Map<number, Compiled[]>();
  const withRest: Compiled[] = [];
  for (const [order, def] of defs.entries()) {
    const segments = def.path
      .split('/')
      .slice(1)
      .filter((s, i, all) => s !== '' || all.length === 1)
      .map((s) => (s.startsWith(':') ? { text: '', param: s.slice(1) } : s.startsWith('*') ? { text: '', param: s.slice(1), rest: true as const } : { text: s.toLowerCase() }));
    const c: Compiled = { def, segments, methods: new Set(def.methods), order };
    if (segments.at(-1)?.rest) withRest.push(c);
    else {
      const list = bySize.get(segments.length) ?? [];
      list.push(c);
      bySize.set(segments.length, list);
    }
  }
  const allows = (c: Compiled, method: string) => c.methods.has('ALL') || c.methods.has(method) || (method === 'HEAD' && c.methods.has('GET'));
  const matchOne = (c: Compiled, parts: string[], lower: string[]): Record<string, string> | undefined => {
    let params: Record<string, string> | undefined;
    for (let i = 0; i < c.segments.length; i++) {
      const s = c.segments[i]!;
      if (s.rest) {
        if (i >= parts.length) return undefined;
        (params ??= {})[s.param!] = decodeSegment(parts.slice(i).join('/'));
        return params;
      }
      if (s.param !== undefined) {
        if (!parts[i]) return undefined;
        (params ??= {})[s.param] = decodeSegment(parts[i]!);
      } else if (lower[i] !== s.text) return undefined;
    }
    return params ?? {};
  };
  const find = (method: string, path: string): RouteMatch | undefined => {
    const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const parts = trimmed.split('/').slice(1);
    const lower = trimmed.toLowerCase().split('/').slice(1);
    let first: RouteMatch | undefined;
    let firstOrder = Number.POSITIVE_INFINITY;
    for (const c of bySize.get(parts.length) ?? []) {
      if (!allows(c, method)) continue;
      const params = matchOne(c, parts, lower);
      if (params) {
        first = { def: c.def, params };
        firstOrder = c.order;
        break;
      }
    }
    // A `*rest` route wins only where it comes earlier in the table than the fixed-length match.
    for (const c of withRest) {
      if (c.order > firstOrder) break;
      if (!allows(c, method)) continue;
      const params = matchOne(c, parts, lower);
      if (params) return { def: c.def, params };
    }
    return first;
  };
  // The paths a deployment asks for are few and asked again and again: answers are kept (params
  // frozen, as every request with that path shares them). A path of a tenant GUID or an ID in it
  // varies, so the cache is bounded and emptied when full: cost, never correctness.
  const byMethod = new Map<string, Map<string, RouteMatch | null>>();
  return (method, path) => {
    let cache = byMethod.get(method);
    if (!cache) {
      // Methods are few, but they come from the request: an unknown one is matched without a cache.
      if (byMethod.size >= 16) return find(method, path);
      cache = new Map();
      byMethod.set(method, cache);
    }
    const hit = path.length > 512 ? undefined : cache.get(path);
    if (hit !== undefined) return hit ?? undefined;
    const found = find(method, path);
    if (path.length > 512) return found;
    if (cache.size >= MATCH_CACHE) cache.clear();
    if (found) Object.freeze(found.params);
    cache.set(path, found ?? null);
    return found;
  };
}
/** How many path answers a matcher keeps per method. */
const MATCH_CACHE = 1024;
