/**
 * The properties every answer of the mock must have, whatever it was sent:
 * - no 5xx (the suite installs no fault rules, so no 503 either);
 * - no stack trace or file path in the body or the Location;
 * - errors are Entra-shaped in the channel of the route that answered (server/routes.ts):
 *   json -> Entra's JSON error; page -> Entra's HTML page with the AADSTS code; redirect -> a
 *   redirect to a registered redirect URI carrying error + AADSTS error_description, or HTML
 *   (Entra's page, a form_post), never JSON; graph -> Graph's `{ error: { code, message } }`
 *   (an Entra JSON error only when a fault rule fired); the admin API -> Entra's JSON error;
 *   unknown paths -> Entra's JSON 404.
 */
import { ROUTES, type RouteChannel, type RouteDef } from '../../src/server/routes.js';
import type { Answer, FuzzRequest } from './http.js';

/** What an answer is checked against. */
export type Expectation = RouteChannel | 'admin' | 'unknown' | 'wrong-method';

export interface CheckContext {
  /** The scenario file the server runs: the dashboard and GET /_mock/scenario show it by design. */
  scenarioSource: string;
  /** Every redirect URI registered on an app of the scenario (normalizeRedirect'ed): the only places errors may be sent to. */
  redirectUris: Set<string>;
  /** The server's origin (its own pages are not redirect URIs, and need not be registered). */
  origin: string;
  /** Whether a fault rule fired on the request with this trace ID (the request log says). */
  faultFired(traceId: string): boolean;
}

const LEAKS: [RegExp, string][] = [
  [/at .*\(.*:\d+:\d+\)/, 'a stack frame'],
  [/node_modules/, '"node_modules"'],
  [/\/work\//, 'a file path (/work/)'],
  [/file:\/\//, 'a file:// URL'],
];

const NO_ENDPOINT = /No(?:\+|\s|%20)endpoint(?:\+|\s|%20)at/;
const isJsonType = (ct: string) => /^application\/(?:[\w.+-]+\+)?json\b/i.test(ct);
const isHtmlType = (ct: string) => /^text\/html\b/i.test(ct);
const AADSTS_DESCRIPTION = /^AADSTS\d+:/;
const ERROR_PAGE_MARK = /having trouble signing you in/;

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Problems with `body` as Entra's JSON error; empty when it is one. */
export function entraJsonProblems(ct: string, body: string): string[] {
  const p: string[] = [];
  if (!isJsonType(ct)) p.push(`content-type is ${JSON.stringify(ct)}, not JSON`);
  const j = parseJson(body) as Record<string, unknown> | undefined;
  if (!j || typeof j !== 'object' || Array.isArray(j)) return [...p, 'body is not a JSON object'];
  if (typeof j.error !== 'string' || !j.error) p.push('no string "error"');
  if (typeof j.error_description !== 'string' || !AADSTS_DESCRIPTION.test(j.error_description)) p.push('"error_description" does not start with AADSTSnnnn:');
  if (!Array.isArray(j.error_codes) || !j.error_codes.length || !j.error_codes.every((c) => typeof c === 'number')) p.push('no numeric "error_codes"');
  for (const k of ['trace_id', 'correlation_id', 'timestamp']) if (typeof j[k] !== 'string' || !j[k]) p.push(`no "${k}"`);
  return p;
}

function graphEnvelopeProblems(ct: string, body: string): string[] {
  const p: string[] = [];
  if (!isJsonType(ct)) p.push(`content-type is ${JSON.stringify(ct)}, not JSON`);
  const j = parseJson(body) as { error?: { code?: unknown; message?: unknown } } | undefined;
  if (!j || typeof j !== 'object' || typeof j.error !== 'object' || j.error === null) return [...p, "body is not Graph's { error: { code, message } }"];
  if (typeof j.error.code !== 'string' || !j.error.code) p.push('no string error.code');
  if (typeof j.error.message !== 'string') p.push('no string error.message');
  return p;
}

/** The managed identity endpoints' own error bodies (reference §12): App Service's and IMDS's. */
function managedIdentityProblems(kind: 'appService' | 'imds', status: number, ct: string, body: string): string[] {
  const p: string[] = [];
  if (!isJsonType(ct)) p.push(`content-type is ${JSON.stringify(ct)}, not JSON`);
  const j = parseJson(body) as Record<string, unknown> | undefined;
  if (!j || typeof j !== 'object' || Array.isArray(j)) return [...p, 'body is not a JSON object'];
  if (kind === 'appService') {
    if (j.statusCode !== status) p.push(`statusCode ${JSON.stringify(j.statusCode)} is not the HTTP status ${status}`);
    if (typeof j.message !== 'string' || !j.message) p.push('no string "message"');
    if (typeof j.correlationId !== 'string' || !j.correlationId) p.push('no "correlationId"');
  } else {
    if (typeof j.error !== 'string' || !j.error) p.push('no string "error"');
    if (typeof j.error_description !== 'string' || !j.error_description) p.push('no string "error_description"');
  }
  return p;
}

/** The fields of a redirect's query or fragment (the part that carries `error`). */
function redirectFields(location: string): { base: string; fields: URLSearchParams } | undefined {
  const m = /^([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(location);
  if (!m) return undefined;
  const query = new URLSearchParams(m[2] ?? '');
  const fragment = new URLSearchParams(m[3] ?? '');
  if (query.has('error')) return { base: m[1]!, fields: query };
  if (fragment.has('error')) return { base: m[1]!, fields: fragment };
  return undefined;
}

/** A redirect URI as Entra compares it: parsed (so `http://localhost` is `http://localhost/`), loopback ports ignored. */
export function normalizeRedirect(u: string): string {
  try {
    const x = new URL(u);
    if (['localhost', '127.0.0.1', '[::1]'].includes(x.hostname)) x.port = '';
    return x.href;
  } catch {
    return u;
  }
}

/** Hidden inputs of a form_post page. */
function formFields(html: string): Map<string, string> {
  const unesc = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"/g)) out.set(unesc(m[1]!), unesc(m[2]!));
  return out;
}

function pageProblems(a: Answer, ct: string): string[] {
  const p: string[] = [];
  const error = a.status >= 400 || ERROR_PAGE_MARK.test(a.body);
  if (isJsonType(ct)) p.push('a browser-facing route answered JSON');
  if (error) {
    if (!isHtmlType(ct)) p.push(`an error (status ${a.status}) that is not an HTML page (content-type ${JSON.stringify(ct)})`);
    if (!/AADSTS\d+/.test(a.body)) p.push(`an error page (status ${a.status}) without an AADSTS code`);
  }
  return p;
}

function redirectProblems(a: Answer, ct: string, c: CheckContext): string[] {
  const p: string[] = [];
  if (isJsonType(ct)) p.push('an authorize route answered JSON');
  if (a.status >= 300 && a.status < 400) {
    const location = String(a.headers.location ?? '');
    const r = redirectFields(location);
    if (r) {
      const desc = r.fields.get('error_description') ?? '';
      if (!AADSTS_DESCRIPTION.test(desc)) p.push(`a redirect carrying error=${r.fields.get('error')} without an error_description starting AADSTSnnnn:`);
      if (!r.base.startsWith(c.origin) && !c.redirectUris.has(normalizeRedirect(r.base))) p.push(`an error sent to ${JSON.stringify(r.base)}, which no app of the scenario registered`);
    }
    return p;
  }
  const fields = isHtmlType(ct) ? formFields(a.body) : new Map<string, string>();
  if (fields.has('error')) {
    if (!AADSTS_DESCRIPTION.test(fields.get('error_description') ?? '')) p.push('a form_post carrying error without an error_description starting AADSTSnnnn:');
    const action = /<form method="POST" name="hiddenform" action="([^"]*)"/.exec(a.body)?.[1]?.replace(/&amp;/g, '&') ?? '';
    if (!c.redirectUris.has(normalizeRedirect(action))) p.push(`an error posted to ${JSON.stringify(action)}, which no app of the scenario registered`);
    return p;
  }
  return [...p, ...pageProblems(a, ct).filter((x) => !x.includes('answered JSON'))];
}

/** Everything wrong with `a` as the answer to `req`, checked against `expect`; empty when it is fine. */
export function answerProblems(req: FuzzRequest, a: Answer, expect: Expectation, c: CheckContext, route?: RouteDef): string[] {
  const p: string[] = [];
  const ct = String(a.headers['content-type'] ?? '');
  if (a.status >= 500) p.push(`status ${a.status}: a server error (no fault rule is installed)`);
  if (a.status < 100) p.push(`status ${a.status}`);
  const scanned = `${a.body.split(c.scenarioSource).join('<scenario source>')}\n${String(a.headers.location ?? '')}`;
  for (const [re, what] of LEAKS) if (re.test(scanned)) p.push(`the answer shows ${what}: ${JSON.stringify(re.exec(scanned)?.[0]?.slice(0, 120))}`);
  const error = a.status >= 400;
  // A method the route table names for a path (ALL: at least GET and POST) is never answered as an
  // unknown path, i.e. its handler did not fall through. Wildcard routes may: their sub-paths are open-ended.
  const m = req.method.toUpperCase();
  const methods: readonly string[] = route?.methods ?? [];
  const named = methods.includes(m) || (methods.includes('ALL') && (m === 'GET' || m === 'POST'));
  if (route && named && !route.path.includes('*') && NO_ENDPOINT.test(scanned)) p.push(`a route of the table answered "No endpoint at ${req.method} …" (its handler fell through to the unknown-path 404)`);
  switch (expect) {
    case 'json':
    case 'admin':
      if (error) p.push(...entraJsonProblems(ct, a.body).map((x) => `JSON route error: ${x}`));
      break;
    case 'page':
      // The dashboard (routes with no fault endpoint) is the mock's own, not Entra's: its error pages are HTML, without an AADSTS code.
      p.push(...pageProblems(a, ct).filter((x) => route?.endpoint !== undefined || !route || !x.includes('without an AADSTS code')));
      break;
    case 'redirect':
      p.push(...redirectProblems(a, ct, c));
      break;
    case 'graph':
      if (error) {
        const graph = graphEnvelopeProblems(ct, a.body);
        if (graph.length) {
          const trace = (parseJson(a.body) as { trace_id?: unknown } | undefined)?.trace_id;
          const fromFault = typeof trace === 'string' && c.faultFired(trace) && !entraJsonProblems(ct, a.body).length;
          if (!fromFault) p.push(...graph.map((x) => `Graph route error: ${x}`));
        }
      }
      break;
    case 'appService':
    case 'imds':
      if (error) p.push(...managedIdentityProblems(expect, a.status, ct, a.body).map((x) => `managed identity error: ${x}`));
      break;
    case 'unknown':
      if (a.status !== 404) p.push(`an unknown path answered ${a.status}, not 404`);
      p.push(...entraJsonProblems(ct, a.body).map((x) => `unknown path: ${x}`));
      break;
    case 'wrong-method':
      if (a.status !== 404 && a.status !== 405) p.push(`a method the route does not serve answered ${a.status}, not 404/405`);
      p.push(...entraJsonProblems(ct, a.body).map((x) => `wrong method: ${x}`));
      break;
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// Which route answers a (method, path): the first of ROUTES whose method and path match, as
// @koa/router runs them (registration order, case-insensitive, an optional trailing slash).

const ROUTE_MATCHERS = ROUTES.map((def) => ({
  def,
  re: new RegExp(
    `^${def.path
      .split(/(:\w+|\*\w+)/)
      .map((part) => (part.startsWith(':') ? '[^/]+' : part.startsWith('*') ? '.+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('')}/?$`,
    'i',
  ),
}));

const ADMIN_ROUTES: [string, RegExp][] = [
  ['GET', /^\/_mock\/scenario\/?$/i],
  ['PUT', /^\/_mock\/scenario\/?$/i],
  ['POST', /^\/_mock\/reset\/?$/i],
  ['GET', /^\/_mock\/requests\/?$/i],
  ['POST', /^\/_mock\/switches\/[^/]+\/?$/i],
  ['POST', /^\/_mock\/rules\/?$/i],
  ['POST', /^\/_mock\/devicecodes\/[^/]+\/[^/]+\/?$/i],
  ['POST', /^\/_mock\/keys\/rotate\/?$/i],
  ['DELETE', /^\/_mock\/rules\/[^/]+\/?$/i],
];

const pathOnly = (p: string) => p.split('?')[0]!;

/** The route that answers, or 'admin', or undefined for an unknown path (any method). */
export function routeFor(method: string, path: string): { channel: Expectation; name: string; def?: RouteDef } | undefined {
  const pathname = pathOnly(path);
  const m = method.toUpperCase();
  for (const [am, re] of ADMIN_ROUTES) if (re.test(pathname) && (am === m || (am === 'GET' && m === 'HEAD'))) return { channel: 'admin', name: `admin ${am}` };
  for (const { def, re } of ROUTE_MATCHERS) {
    if (!re.test(pathname)) continue;
    const methods: readonly string[] = def.methods;
    const served = methods.includes('ALL') || methods.includes(m) || (m === 'HEAD' && methods.includes('GET'));
    if (served) return { channel: def.channel, name: def.name, def };
  }
  return undefined;
}

/** Whether any route (any method) has this path: a path no route has is an unknown path. */
export function pathKnown(path: string): boolean {
  const pathname = pathOnly(path);
  return ROUTE_MATCHERS.some(({ re }) => re.test(pathname)) || ADMIN_ROUTES.some(([, re]) => re.test(pathname));
}
