/** Fault rules as data: which requests a rule matches, and whether this occurrence fires. */
import type { App, Tenant, User } from '../directory/model.js';
import type { AadstsCode } from '../entra/aadsts.js';
import { HOSTILE_SAML_KINDS } from '../saml/hostile-kinds.js';
import type { Endpoint, Rule } from '../scenario/schema.js';

/** The AADSTS code a rule's bare `status` answers with: 429 is Entra's throttling (50196), anything else its service error (90033). */
export const codeForStatus = (status: number): AadstsCode => (status === 429 ? 50196 : 90033);

/** What the front-ends know about a request when they consult the fault layer. */
export interface RequestFacts {
  endpoint: Endpoint;
  tenant?: Tenant;
  app?: App;
  /** The user if known: signed in, or named by login_hint / username. */
  user?: User;
  userHint?: string;
  grantType?: string;
  /** The request's headers, and its parameters from the query or the form ('' when absent). */
  request: { header(name: string): string; param(name: string): string };
}

function sameApp(app: App | undefined, ref: string): boolean {
  if (!app) return false;
  const r = ref.toLowerCase();
  return app.name.toLowerCase() === r || app.clientId === r || app.saml?.identifier.toLowerCase() === r;
}

export function matches(rule: Rule, f: RequestFacts): boolean {
  const w = rule.when;
  if (w.endpoint !== undefined && !(Array.isArray(w.endpoint) ? w.endpoint : [w.endpoint]).includes(f.endpoint)) return false;
  if (w.tenant !== undefined && f.tenant?.id !== w.tenant.toLowerCase() && f.tenant?.domain !== w.tenant.toLowerCase()) return false;
  if (w.app !== undefined && !sameApp(f.app, w.app)) return false;
  if (w.user !== undefined) {
    const upn = (f.user?.upn ?? f.userHint ?? '').toLowerCase();
    if (upn !== w.user.toLowerCase()) return false;
  }
  if (w.grantType !== undefined && f.grantType !== w.grantType) return false;
  for (const [name, value] of Object.entries(w.header ?? {})) if (f.request.header(name) !== value) return false;
  for (const [name, value] of Object.entries(w.param ?? {})) if (f.request.param(name) !== value) return false;
  return true;
}

/** `count` is how many requests this rule has matched, this one included. */
export function fires(times: Rule['times'], count: number, switches: ReadonlyMap<string, boolean>): boolean {
  if (times === 'always') return true;
  if ('first' in times) return count <= times.first;
  if ('every' in times) return count % times.every === 0;
  if ('after' in times) return count > times.after;
  if ('while' in times) return switches.get(times.while) === true;
  return !switches.get(times.until);
}

/** One rule in words, for `scenario explain`, the admin API and the dashboard. */
export function describeRule(rule: Rule): string {
  const w = rule.when;
  const where = [
    w.endpoint ? `${[w.endpoint].flat().join(' or ')} requests` : 'any request',
    w.tenant && `to tenant ${w.tenant}`,
    w.app && `for app ${w.app}`,
    w.user && `by user ${w.user}`,
    w.grantType && `with grant_type ${w.grantType}`,
    w.header && `carrying ${Object.entries(w.header).map(([k, v]) => `${k}: ${v}`).join(', ')}`,
    w.param && `with ${Object.entries(w.param).map(([k, v]) => `${k}=${v}`).join(', ')}`,
  ].filter(Boolean);
  const t = rule.then;
  const what = [
    t.delayMs !== undefined && `wait ${t.delayMs} ms`,
    t.error !== undefined && `fail with AADSTS${t.error}`,
    t.status === 429 && `answer 429 Too Many Requests (Retry-After: ${t.retryAfter})`,
    t.status === 503 && `answer 503 Service Unavailable (Retry-After: ${t.retryAfter})`,
    t.removeClaims && `leave out ${t.removeClaims.join(', ')}`,
    t.setClaims && `set ${Object.keys(t.setClaims).join(', ')}`,
    t.clockSkewSeconds !== undefined && `shift token times by ${t.clockSkewSeconds} s`,
    t.breakSignature && 'break the signature',
    t.swapKey && 'sign with a key that is not published',
    t.samlResponse && `send the hostile SAML Response '${t.samlResponse}' (${HOSTILE_SAML_KINDS[t.samlResponse]})`,
  ].filter(Boolean);
  return `${rule.name ? `${rule.name}: ` : ''}${where.join(' ')}: ${what.join(', then ')}, ${describeTimes(rule.times)}.`;
}

/** How often a rule fires, in words: "every 2nd time", "the first 3 times only", "after the first time". */
function describeTimes(times: Rule['times']): string {
  if (times === 'always') return 'every time';
  if ('first' in times) return `the first ${times.first === 1 ? 'time' : plural(times.first, 'time')} only`;
  if ('every' in times) return times.every === 1 ? 'every time' : `every ${ordinal(times.every)} time`;
  if ('after' in times) return times.after === 0 ? 'every time' : `after the first ${times.after === 1 ? 'time' : plural(times.after, 'time')}`;
  if ('while' in times) return `while switch '${times.while}' is on`;
  return `until switch '${times.until}' is turned on`;
}

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 101st: for counts printed as ordinals (here, `scenario explain`, the CLI). */
export function ordinal(n: number): string {
  const tens = Math.abs(n) % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][Math.abs(n) % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** "1 group", "2 groups", "2 entries", "2 switches": a count with its noun (the plural given, or the English rule). */
export function plural(n: number, noun: string, nouns?: string): string {
  if (n === 1) return `${n} ${noun}`;
  const many = nouns ?? (/[^aeiou]y$/.test(noun) ? `${noun.slice(0, -1)}ies` : /(s|x|z|ch|sh)$/.test(noun) ? `${noun}es` : `${noun}s`);
  return `${n} ${many}`;
}
