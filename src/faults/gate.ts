/**
 * The fault gate: front-ends call it once per request with what they know. It answers now
 * (an Entra error, 429, 503, after an optional delay) or notes effects for issue time (shape.ts).
 */
import type { Context } from 'koa';
import type { AadstsCode } from '../entra/aadsts.js';
import { EntraError } from '../entra/errors.js';
import { worldOf } from '../server/world.js';
import type { RequestFacts } from './rules.js';
import type { IssueFaults } from './shape.js';

export interface FaultNote {
  id: string;
  name?: string;
}

export async function gate(ctx: Context, facts: Omit<RequestFacts, 'header'>): Promise<void> {
  const fired = worldOf(ctx).faults.evaluate({ ...facts, header: (n) => ctx.get(n) });
  if (!fired) return;
  ctx.state.fault = { id: fired.id, name: fired.rule.name } satisfies FaultNote;
  const t = fired.rule.then;
  if (t.delayMs) await new Promise((r) => setTimeout(r, t.delayMs));
  if (t.status !== undefined) {
    ctx.set('Retry-After', String(t.retryAfter));
    throw new EntraError(t.status === 429 ? 50196 : 90033, { status: t.status });
  }
  const params = {
    appId: facts.app?.clientId,
    appName: facts.app?.name,
    resourceAppId: facts.app?.clientId,
    tenant: facts.tenant?.domain,
    uri: undefined,
  };
  if (t.error !== undefined) throw new EntraError(t.error as AadstsCode, { params });
  const issue: IssueFaults = {
    removeClaims: t.removeClaims,
    setClaims: t.setClaims,
    clockSkewSeconds: t.clockSkewSeconds,
    breakSignature: t.breakSignature,
    swapKey: t.swapKey,
  };
  ctx.state.issueFaults = issue;
}
