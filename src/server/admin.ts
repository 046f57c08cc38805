/**
 * The admin API under /_mock/: current scenario and state, switch scenario, reset, recent
 * requests, switches and run-time rules. Loopback only, unless an admin token is configured.
 */
import { realpath } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import { EntraError } from '../entra/errors.js';
import { isBuiltinIssuer } from '../issuers/builtin.js';
import type { DeviceCode } from '../oidc/device.js';
import { describeRule } from '../faults/rules.js';
import { managedIdentityEnv } from '../managed-identity/env.js';
import { loadScenarioFile, parseScenario, parseScenarioText, SHIPPED_SCENARIOS, ScenarioError } from '../scenario/load.js';
import { BUILTIN_ISSUERS, type RuleInput, type Scenario, schemas } from '../scenario/schema.js';
import type { RequestRecord } from './log.js';
import { type SignInLog, SIGN_IN_LIMIT } from './signins.js';
import type { WatchStatus } from './watch.js';
import type { World } from './world.js';

export const ADMIN_PREFIX = '/_mock';
const ADMIN_BODY_LIMIT = 1024 * 1024;

export interface AdminHost {
  world(): World;
  /** Validates, builds and switches; throws ScenarioError and leaves the running scenario in force. */
  switchTo(scenario: Scenario | (() => Promise<Scenario>), source: string): Promise<void>;
  recent(): RequestRecord[];
  /** Clears the request log and the sign-in log (on a shared store, every instance's). */
  clearRecent(): void | Promise<void>;
  /** Resolves once changes of rules and switches reached the other instances (a shared store). */
  settled(): Promise<void>;
  signIns: SignInLog;
  token?: string;
  /** The server's own origin: browsers may call the admin API from its dashboard only. */
  origin: string;
  /** The server's IDENTITY_HEADER (App Service's managed identity endpoint). */
  identityHeader: string;
  /** The listener serves HTTPS: a switch that changes tls.certificate then says what changes when. */
  tls?: boolean;
  /** serve --watch's state: GET /_mock/scenario shows it as `watch` (absent without --watch). */
  watch?: () => WatchStatus | undefined;
}

/**
 * What a scenario switch from `before` to `after` does to the TLS certificate, when it changes one
 * (undefined otherwise): it is swapped for new connections only, so a client that keeps a
 * connection open sees the old one until it reconnects.
 */
export function tlsSwitchNote(before: Scenario, after: Scenario): string | undefined {
  const [from, to] = [before.tls.certificate, after.tls.certificate];
  if (from === to) return undefined;
  const what = { trusted: "the local CA's certificate", untrusted: 'a certificate from a CA nobody trusts', 'wrong-host': 'a certificate for another host (wrong-host.invalid)' } as const;
  return `TLS: new connections get ${what[to]} (tls.certificate: ${to}, was ${from}). Connections already open keep the certificate they were made with: a client reusing a keep-alive connection sees the change once it reconnects (idle connections close after 5 s).`;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/, '');
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

/** A request to the admin API or the dashboard, as the access rule sees it. */
export interface AccessRequest {
  remoteAddress?: string;
  /** The Host header, with its port. */
  host: string;
  /** The Authorization header ('' when absent). */
  authorization: string;
  /** The admin token typed into a dashboard form, when the form asks for one. */
  formToken?: string;
  /** The Origin header ('' when absent: curl and other non-browser clients send none). */
  origin: string;
  /** Origins this server answers on: its public origin and the one the request was made to. */
  ownOrigins: string[];
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function hostnameOf(host: string): string {
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/** Basic credentials whose password is the token (browsers prompt for them on the dashboard). */
function basicPassword(authorization: string): string | undefined {
  const m = /^basic\s+(.+)$/i.exec(authorization);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i >= 0 ? decoded.slice(i + 1) : undefined;
}

/**
 * Why a request to the admin API or the dashboard (which shows tokens) is refused, or undefined
 * when it is allowed. With an admin token: whoever presents it (Bearer, Basic password, or the
 * dashboard form). Without: loopback callers only, naming this server in their Host header (a
 * page on another site cannot reach it through DNS rebinding), and never from another site's page.
 */
export function refuseAccess(r: AccessRequest, o: { adminToken?: string; hostnames: string[] }): string | undefined {
  if (r.origin && !r.ownOrigins.includes(r.origin)) return 'Requests from another site are refused: use the dashboard itself, a test, or curl.';
  if (o.adminToken) {
    const t = o.adminToken;
    return r.authorization === `Bearer ${t}` || basicPassword(r.authorization) === t || r.formToken === t ? undefined : 'The admin token is missing or wrong: send Authorization: Bearer <admin token> (the browser asks for it as the password).';
  }
  if (!isLoopback(r.remoteAddress)) return 'The admin API and the dashboard answer only loopback callers unless an admin token is configured (serve --admin-token, MOCK_ENTRA_ADMIN_TOKEN, or start({ adminToken })).';
  const name = hostnameOf(r.host);
  if (!LOOPBACK_NAMES.has(name) && !o.hostnames.includes(name)) return `The Host header names '${name}', not this server: open it as localhost or 127.0.0.1 (a page on another site may be trying DNS rebinding).`;
  return undefined;
}

/** The access facts of a Koa request. */
export function accessRequest(ctx: Context, origin: string, formToken?: string): AccessRequest {
  return {
    remoteAddress: ctx.req.socket.remoteAddress,
    host: ctx.get('host'),
    authorization: ctx.get('authorization'),
    formToken,
    origin: ctx.get('origin'),
    // Koa 3's ctx.origin is the Origin header itself: build the served origin from protocol and host.
    ownOrigins: [new URL(origin).origin, `${ctx.protocol}://${ctx.host}`],
  };
}

/**
 * An admin API error, Entra-shaped (AADSTS90023 with the admin API's own `error` code) and
 * rendered by the one error renderer; `problems` lists what is wrong with a scenario.
 */
function fail(status: number, error: string, detail: string | string[]): never {
  const problems = Array.isArray(detail) ? detail : undefined;
  const text = problems ? `${problems[0]} ${problems.slice(1).join('; ')}` : (detail as string);
  throw new EntraError(90023, { status, error, params: { detail: text }, ...(problems ? { details: { problems } } : {}) });
}

async function readBody(ctx: Context): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of ctx.req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > ADMIN_BODY_LIMIT) fail(413, 'body_too_large', `The body is larger than ${ADMIN_BODY_LIMIT} bytes.`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON body (empty: undefined); anything else is a 400 that says what was expected. */
async function readJson<T>(ctx: Context, expected: string): Promise<T | undefined> {
  const text = await readBody(ctx);
  if (!text.trim()) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    fail(400, 'invalid_json', `The body is not JSON (${(err as Error).message}). Send ${expected}.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(400, 'invalid_json', `The body must be a JSON object: ${expected}.`);
  return value as T;
}

export function describeState(world: World) {
  return {
    source: world.source,
    description: world.scenario.description ?? null,
    tenants: world.directory.tenants.map((t) => ({ id: t.id, domain: t.domain })),
    switches: Object.fromEntries(world.faults.switches),
    rules: world.faults.rules.map((r) => ({ id: r.id, name: r.rule.name ?? null, source: r.source, matched: r.matched, fired: r.fired, explain: describeRule(r.rule) })),
  };
}

/** Parses a rule given as JSON; `once: true` is shorthand for `times: { first: 1 }`. */
export function parseRule(input: RuleInput & { once?: boolean }) {
  const { once, ...rule } = input;
  return schemas().ruleSchema.parse(once ? { ...rule, times: { first: 1 } } : rule);
}

/** The admin API's router; @koa/router loads with it, on the first request under /_mock, not with the server. */
export async function adminRoutes(host: AdminHost): Promise<Router> {
  const { default: Router } = await import('@koa/router');
  const router = new Router({ prefix: ADMIN_PREFIX });
  router.use(async (ctx: Context, next: Next) => {
    const refused = refuseAccess(accessRequest(ctx, host.origin), { adminToken: host.token, hostnames: [new URL(host.origin).hostname] });
    if (refused) fail(host.token && !ctx.get('origin') ? 401 : 403, host.token && !ctx.get('origin') ? 'unauthorized' : 'forbidden', refused);
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/scenario', async (ctx) => {
    // The counters as the store has them (on a shared store, every instance's requests).
    await host.world().faults.refreshCounts();
    const watch = host.watch?.();
    ctx.body = { ...describeState(host.world()), ...(watch ? { watch } : {}) };
  });

  // Body: YAML or JSON scenario text, or JSON { "path": "scenarios/x.yaml" }.
  router.put('/scenario', async (ctx) => {
    const text = await readBody(ctx);
    let source = '<inline>';
    try {
      let scenario: Scenario | (() => Promise<Scenario>);
      const asJson = ctx.is('application/json') ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      if (asJson === null || Array.isArray(asJson) || (asJson !== undefined && typeof asJson !== 'object')) {
        fail(400, 'invalid_scenario', 'The body must be a scenario (YAML, or a JSON object) or { "path": "<scenario file>" }.');
      }
      if (asJson && typeof asJson.path === 'string' && Object.keys(asJson).length === 1) {
        source = asJson.path;
        // Only files beside the running scenario and the shipped ones: the admin API reads no other file.
        const current = host.world().source;
        const allowedRoots = [...new Set([...(current !== '<inline>' ? [await realpath(dirname(resolve(current))).catch(() => '')] : []), await realpath(SHIPPED_SCENARIOS)].filter(Boolean))];
        const file = source;
        // Loaded in its turn, after the switches asked for before it.
        scenario = () => loadScenarioFile(file, { allowedRoots });
      } else {
        scenario = asJson ? parseScenario(asJson) : parseScenarioText(text);
      }
      const before = host.world().scenario;
      await host.switchTo(scenario, source);
      const note = host.tls ? tlsSwitchNote(before, host.world().scenario) : undefined;
      ctx.body = { ...describeState(host.world()), ...(note ? { notes: [note] } : {}) };
    } catch (err) {
      // Named as the caller gave it: the admin API does not reveal where the server's files are.
      if (err instanceof ScenarioError) fail(400, 'invalid_scenario', [`${source === '<inline>' ? err.file : source}: invalid scenario.`, ...err.problems]);
      if (err instanceof SyntaxError) fail(400, 'invalid_scenario', `The body is not JSON (${err.message}): send YAML, or JSON with Content-Type application/json.`);
      throw err;
    }
  });

  // What an app's environment needs for managed identity tokens (IDENTITY_HEADER is per server), and the identities.
  router.get('/managed-identity', (ctx) => {
    const tenant = host.world().directory.tenants[0]!;
    ctx.body = {
      ...managedIdentityEnv(host.origin, host.identityHeader),
      identities: tenant.managedIdentities.map((m) => ({ name: m.name, type: m.kind, clientId: m.clientId, objectId: m.objectId, resourceId: m.resourceId })),
    };
  });

  router.post('/reset', async (ctx) => {
    host.world().faults.reset();
    await host.clearRecent();
    await host.settled();
    ctx.body = describeState(host.world());
  });

  router.get('/requests', (ctx) => {
    const limit = Math.min(Number(ctx.query.limit) || 100, 1000);
    ctx.body = { requests: host.recent().slice(-limit) };
  });

  // The sign-in log, newest first, in Graph's signIn shape: ?user=UPN&app=clientId|name&status=success|failure|interrupted&code=50126&top=N
  router.get('/signins', (ctx) => {
    const one = (name: string) => (typeof ctx.query[name] === 'string' ? (ctx.query[name] as string) : undefined);
    const status = one('status')?.toLowerCase();
    if (status !== undefined && status !== 'success' && status !== 'failure' && status !== 'interrupted') fail(400, 'invalid_request', `status must be success, failure or interrupted, not '${status.slice(0, 40)}'.`);
    const code = one('code');
    if (code !== undefined && !/^\d{1,9}$/.test(code.replace(/^AADSTS/i, ''))) fail(400, 'invalid_request', `code must be an AADSTS number such as 50126, not '${code.slice(0, 40)}'.`);
    const top = one('top');
    if (top !== undefined && !(/^\d{1,4}$/.test(top) && Number(top) >= 1 && Number(top) <= SIGN_IN_LIMIT)) fail(400, 'invalid_request', `top must be a number from 1 to ${SIGN_IN_LIMIT}.`);
    const user = one('user');
    const app = one('app');
    ctx.body = {
      signIns: host.signIns.query({
        ...(user ? { user } : {}),
        ...(app ? { app } : {}),
        ...(status ? { status } : {}),
        ...(code !== undefined ? { code: Number(code.replace(/^AADSTS/i, '')) } : {}),
        ...(top !== undefined ? { top: Number(top) } : {}),
      }),
    };
  });

  router.post('/switches/:name', async (ctx) => {
    const body = await readJson<{ on?: unknown }>(ctx, '{ "on": true } or { "on": false }');
    if (body?.on !== undefined && typeof body.on !== 'boolean') fail(400, 'invalid_json', '"on" must be true or false.');
    const on = body?.on !== false;
    const switches = [...host.world().faults.switches.keys()];
    if (!host.world().faults.flip(String(ctx.params.name), on)) fail(404, 'unknown_switch', `No switch named '${ctx.params.name}'; the scenario has ${switches.length ? switches.join(', ') : 'none'}.`);
    await host.settled();
    ctx.body = { switches: Object.fromEntries(host.world().faults.switches) };
  });

  router.post('/rules', async (ctx) => {
    const input = await readJson<RuleInput>(ctx, 'a rule: { "when": {…}, "then": {…} }');
    let rule: ReturnType<typeof parseRule>;
    try {
      rule = parseRule(input ?? ({} as RuleInput));
    } catch (err) {
      fail(400, 'invalid_rule', err instanceof Error ? err.message : String(err));
    }
    const id = host.world().faults.use(rule);
    await host.settled();
    ctx.status = 201;
    ctx.body = { id, explain: describeRule(rule) };
  });

  // Completes a pending device code as if the user had signed in at /devicelogin (CI without a browser).
  router.post('/devicecodes/:userCode/:action', async (ctx) => {
    const world = host.world();
    const devices = world.runtime.devices;
    const code = await devices.byUserCode(String(ctx.params.userCode));
    const gone = `No pending device code ${ctx.params.userCode}: it expired, was used, or was never issued.`;
    if (!code) fail(404, 'unknown_device_code', gone);
    let settled: DeviceCode | undefined;
    if (ctx.params.action === 'decline') {
      settled = await devices.decline(code);
    } else if (ctx.params.action === 'approve') {
      const upn = (await readJson<{ user?: unknown }>(ctx, '{ "user": "<UPN of a scenario user>" }'))?.user;
      // The code may come from before a scenario switch: its tenant may be gone.
      const tenant = world.directory.tenants.find((t) => t.id === code.tenantId);
      const user = typeof upn === 'string' ? tenant?.users.find((u) => u.upn.toLowerCase() === upn.toLowerCase()) : undefined;
      if (!user) fail(400, 'unknown_user', 'Send { "user": "<UPN of a scenario user>" }.');
      settled = await devices.approve(code, user);
    } else {
      fail(404, 'unknown_action', 'Use /approve or /decline.');
    }
    // Settled meanwhile (on another instance, or by the page): it is not pending any more.
    if (!settled) fail(404, 'unknown_device_code', gone);
    ctx.body = { userCode: settled.userCode, status: settled.status };
  });

  // Key rollover: the other published signing key signs from now on (clients that refetch JWKS keep working).
  router.post('/keys/rotate', async (ctx) => {
    const world = host.world();
    const active = world.scenario.keys.active === 1 ? 2 : 1;
    await host.switchTo({ ...world.scenario, keys: { active } }, world.source);
    ctx.body = { active };
  });

  // A token of a built-in external issuer (workload identity federation), for AZURE_FEDERATED_TOKEN_FILE.
  router.post('/issuers/:name/token', async (ctx) => {
    const name = String(ctx.params.name);
    if (!isBuiltinIssuer(name)) fail(404, 'unknown_issuer', `No built-in issuer '${name}': use one of ${BUILTIN_ISSUERS.join(', ')}.`);
    const expected = '{ "subject": "system:serviceaccount:NAMESPACE:NAME", "audience"?: "api://AzureADTokenExchange", "lifetimeSeconds"?: 3600 }';
    const body = await readJson<{ subject?: unknown; audience?: unknown; lifetimeSeconds?: unknown; claims?: unknown }>(ctx, expected);
    if (typeof body?.subject !== 'string' || body.subject === '') fail(400, 'invalid_request', `"subject" is required: send ${expected}.`);
    if (body.audience !== undefined && (typeof body.audience !== 'string' || body.audience === '')) fail(400, 'invalid_request', '"audience" must be a non-empty string.');
    if (body.lifetimeSeconds !== undefined && !Number.isInteger(body.lifetimeSeconds)) fail(400, 'invalid_request', '"lifetimeSeconds" must be an integer (negative: already expired).');
    if (body.claims !== undefined && (body.claims === null || typeof body.claims !== 'object' || Array.isArray(body.claims))) fail(400, 'invalid_request', '"claims" must be a JSON object of extra claims.');
    const world = host.world();
    const [{ mintFederatedToken }, key] = await Promise.all([import('../issuers/mint.js'), world.runtime.issuerKey(world.keys.certsDir, name)]);
    const minted = mintFederatedToken(world.origin, key, {
      issuer: name,
      subject: body.subject,
      ...(typeof body.audience === 'string' ? { audience: body.audience } : {}),
      ...(typeof body.lifetimeSeconds === 'number' ? { lifetimeSeconds: body.lifetimeSeconds } : {}),
      ...(body.claims ? { claims: body.claims as Record<string, unknown> } : {}),
    });
    ctx.body = { token: minted.token, claims: minted.claims };
  });

  router.delete('/rules/:id', async (ctx) => {
    if (!host.world().faults.remove(String(ctx.params.id))) fail(404, 'unknown_rule', `No run-time rule ${ctx.params.id}; GET /_mock/scenario lists the rules.`);
    await host.settled();
    ctx.status = 204;
  });
  return router;
}
