/**
 * The fault gate, a pipeline step: before a route's handler runs, the rules are evaluated against
 * what the request is known to be about (endpoint, tenant, app, login_hint / username, grant type,
 * headers). When a front-end later learns who the user is (tx.identify), the user-scoped rules are
 * evaluated again for them. A fired rule answers now (an Entra error, 429, 503, after an optional
 * delay) or leaves issue-time effects for the issuance funnel.
 */
import type { AadstsCode } from '../entra/aadsts.js';
import { EntraError } from '../entra/errors.js';
import type { User } from '../directory/model.js';
import type { Transaction } from '../server/transaction.js';
import type { RequestFacts } from './rules.js';
import { codeForStatus, describeRule } from './rules.js';
import type { Fired } from './state.js';

function facts(tx: Transaction, user?: User): RequestFacts {
  return {
    endpoint: tx.route!.endpoint!,
    tenant: tx.tenant,
    app: tx.app,
    user: user ?? tx.user,
    userHint: tx.userHint,
    grantType: tx.grantType,
    request: tx,
  };
}

/**
 * The pipeline step: runs once per request, on routes that name a fault endpoint and begin a flow.
 * Undefined when no rule fired (nothing to wait for), else what applying the rule does (a delay, an error).
 */
export function gate(tx: Transaction): Promise<void> | undefined {
  if (!tx.route?.endpoint || tx.route.continues) return undefined;
  const known = (tx.user?.upn ?? tx.userHint)?.toLowerCase();
  const faults = tx.world.faults;
  const fired = faults.none ? undefined : faults.evaluate(facts(tx));
  tx.flow.decidedFor = known;
  if (fired instanceof Promise) return fired.then((f) => apply(tx, f));
  return fired ? apply(tx, fired) : undefined;
}

/**
 * tx.identify(): user-scoped rules, for a user the gate did not know. One fault per sign-in: once a
 * rule fired in this flow, no other does.
 */
export async function reevaluateFor(tx: Transaction, user: User): Promise<void> {
  const upn = user.upn.toLowerCase();
  if (!tx.route?.endpoint || tx.flow.decidedFor === upn) return;
  tx.flow.decidedFor = upn;
  if (tx.flow.fault) return;
  await apply(tx, await tx.world.faults.evaluate(facts(tx, user), { userRulesOnly: true }));
}

async function apply(tx: Transaction, fired: Fired | undefined): Promise<void> {
  if (!fired) return;
  const note = { id: fired.id, name: fired.rule.name, rule: fired.rule };
  tx.fired = note;
  tx.flow.fault = note;
  tx.events.emit('fault', {
    traceId: tx.ids.traceId,
    ruleId: fired.id,
    ...(fired.rule.name ? { name: fired.rule.name } : {}),
    ...(tx.route?.endpoint ? { endpoint: tx.route.endpoint } : {}),
    ...(tx.app ? { appId: tx.app.clientId } : {}),
    ...((tx.user?.upn ?? tx.userHint) ? { upn: tx.user?.upn ?? tx.userHint } : {}),
    explain: describeRule(fired.rule),
  });
  const t = fired.rule.then;
  if (t.delayMs) await new Promise((r) => setTimeout(r, t.delayMs));
  if (t.status !== undefined) throw new EntraError(codeForStatus(t.status), { status: t.status, retryAfter: t.retryAfter });
  if (t.error !== undefined) {
    const app = tx.app;
    throw new EntraError(t.error as AadstsCode, {
      params: { appId: app?.clientId, appName: app?.name, resourceAppId: app?.clientId, tenant: tx.tenant?.domain },
    });
  }
  if (t.removeClaims || t.setClaims || t.clockSkewSeconds || t.breakSignature || t.swapKey || t.samlResponse) {
    tx.flow.effects = {
      removeClaims: t.removeClaims,
      setClaims: t.setClaims,
      clockSkewSeconds: t.clockSkewSeconds,
      breakSignature: t.breakSignature,
      samlResponse: t.samlResponse,
      // Made now, so issuing stays synchronous where the provider's hooks need it (front channel).
      ...(t.swapKey ? { rogueKey: await tx.runtime.rogueKey() } : {}),
    };
  }
}
