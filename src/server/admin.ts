/**
 * The admin API under /_mock/: current scenario and state, switch scenario, reset, recent
 * requests, switches and run-time rules. Loopback only, unless an admin token is configured.
 */
import { isIP } from 'node:net';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { describeRule } from '../faults/rules.js';
import { loadScenarioFile, parseScenario, parseScenarioText, ScenarioError } from '../scenario/load.js';
import { ruleSchema, type RuleInput, type Scenario } from '../scenario/schema.js';
import type { RequestRecord } from './log.js';
import type { World } from './world.js';

export const ADMIN_PREFIX = '/_mock';
const ADMIN_BODY_LIMIT = 1024 * 1024;

export interface AdminHost {
  world(): World;
  /** Validates, builds and switches; throws ScenarioError and leaves the running scenario in force. */
  switchTo(scenario: Scenario, source: string): Promise<void>;
  recent(): RequestRecord[];
  clearRecent(): void;
  token?: string;
  /** The server's own origin: browsers may call the admin API from its dashboard only. */
  origin: string;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/, '');
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

async function readBody(ctx: Context): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of ctx.req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > ADMIN_BODY_LIMIT) ctx.throw(413, 'body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function fail(ctx: Context, status: number, error: string, detail: string | string[]) {
  ctx.status = status;
  ctx.body = { error, ...(Array.isArray(detail) ? { problems: detail } : { message: detail }) };
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
  return ruleSchema.parse(once ? { ...rule, times: { first: 1 } } : rule);
}

export function adminRoutes(host: AdminHost): Router {
  const router = new Router({ prefix: ADMIN_PREFIX });
  router.use(async (ctx: Context, next: Next) => {
    // A page on another site open in the same browser could post to localhost: refuse foreign Origins.
    const origin = ctx.get('origin');
    if (origin && origin !== new URL(host.origin).origin && origin !== `${ctx.protocol}://${ctx.host}`) {
      return fail(ctx, 403, 'forbidden', 'requests from another site are refused');
    }
    if (host.token) {
      if (ctx.get('authorization') !== `Bearer ${host.token}`) return fail(ctx, 401, 'unauthorized', 'send Authorization: Bearer <admin token>');
    } else if (!isLoopback(ctx.req.socket.remoteAddress)) {
      return fail(ctx, 403, 'forbidden', 'the admin API answers only on loopback unless an admin token is configured');
    }
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/scenario', (ctx) => {
    ctx.body = describeState(host.world());
  });

  // Body: YAML or JSON scenario text, or JSON { "path": "scenarios/x.yaml" }.
  router.put('/scenario', async (ctx) => {
    const text = await readBody(ctx);
    try {
      let scenario: Scenario;
      let source = '<inline>';
      const asJson = ctx.is('application/json') ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      if (asJson && typeof asJson.path === 'string' && Object.keys(asJson).length === 1) {
        source = asJson.path;
        scenario = await loadScenarioFile(source);
      } else {
        scenario = asJson ? parseScenario(asJson) : parseScenarioText(text);
      }
      await host.switchTo(scenario, source);
      ctx.body = describeState(host.world());
    } catch (err) {
      if (err instanceof ScenarioError) return fail(ctx, 400, 'invalid_scenario', [`${err.file}: invalid scenario`, ...err.problems]);
      if (err instanceof SyntaxError) return fail(ctx, 400, 'invalid_scenario', `not JSON: ${err.message}`);
      throw err;
    }
  });

  router.post('/reset', (ctx) => {
    host.world().faults.reset();
    host.clearRecent();
    ctx.body = describeState(host.world());
  });

  router.get('/requests', (ctx) => {
    const limit = Math.min(Number(ctx.query.limit) || 100, 1000);
    ctx.body = { requests: host.recent().slice(-limit) };
  });

  router.post('/switches/:name', async (ctx) => {
    const text = await readBody(ctx);
    const on = text ? (JSON.parse(text) as { on?: boolean }).on !== false : true;
    if (!host.world().faults.flip(String(ctx.params.name), on)) return fail(ctx, 404, 'unknown_switch', `no switch named '${ctx.params.name}'`);
    ctx.body = { switches: Object.fromEntries(host.world().faults.switches) };
  });

  router.post('/rules', async (ctx) => {
    let rule: ReturnType<typeof parseRule>;
    try {
      rule = parseRule(JSON.parse(await readBody(ctx)) as RuleInput);
    } catch (err) {
      return fail(ctx, 400, 'invalid_rule', err instanceof Error ? err.message : String(err));
    }
    ctx.status = 201;
    ctx.body = { id: host.world().faults.use(rule), explain: describeRule(rule) };
  });

  // Completes a pending device code as if the user had signed in at /devicelogin (CI without a browser).
  router.post('/devicecodes/:userCode/:action', async (ctx) => {
    const world = host.world();
    const code = world.devices.byUserCode(String(ctx.params.userCode));
    if (!code) return fail(ctx, 404, 'unknown_device_code', `no pending device code ${ctx.params.userCode}`);
    if (ctx.params.action === 'decline') {
      world.devices.decline(code);
    } else if (ctx.params.action === 'approve') {
      const text = await readBody(ctx);
      const upn = text ? (JSON.parse(text) as { user?: string }).user : undefined;
      const tenant = world.directory.tenants.find((t) => t.id === code.tenantId)!;
      const user = tenant.users.find((u) => u.upn.toLowerCase() === (upn ?? '').toLowerCase());
      if (!user) return fail(ctx, 400, 'unknown_user', 'send { "user": "<UPN of a scenario user>" }');
      world.devices.approve(code, user);
    } else {
      return fail(ctx, 404, 'unknown_action', 'use approve or decline');
    }
    ctx.body = { userCode: code.userCode, status: code.status };
  });

  // Key rollover: the other published signing key signs from now on (clients that refetch JWKS keep working).
  router.post('/keys/rotate', async (ctx) => {
    const world = host.world();
    const active = world.scenario.keys.active === 1 ? 2 : 1;
    await host.switchTo({ ...world.scenario, keys: { active } }, world.source);
    ctx.body = { active };
  });

  router.delete('/rules/:id', (ctx) => {
    if (!host.world().faults.remove(String(ctx.params.id))) return fail(ctx, 404, 'unknown_rule', `no run-time rule ${ctx.params.id}`);
    ctx.status = 204;
  });
  return router;
}
