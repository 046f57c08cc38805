/**
 * Graph's `GET /v1.0/auditLogs/signIns[/{id}]` over the mock's sign-in log (reference §15): who may
 * read it, and the `$filter` / `$top` subset tools use (eq on the record's members, startsWith on
 * names, UPN and IP, ge / le / gt / lt on createdDateTime; clauses joined by `and`).
 */
import { GraphError } from '../entra/errors.js';
import { DIRECTORY_ROLES } from '../entra/urls.js';
import type { SignInRecord } from '../server/signins.js';
import { SIGN_IN_LIMIT } from '../server/signins.js';
import type { GraphCaller } from './auth.js';

const PERMISSION = 'AuditLog.Read.All';
/** Delegated callers need a role that may read reports too (Graph's docs: the least privileged is Reports Reader). */
const READER_ROLES = ['Global Administrator', 'Global Reader', 'Security Administrator', 'Security Reader', 'Reports Reader'].map((n) => DIRECTORY_ROLES[n]);

/** The app-only caller needs the application permission; a user the delegated one and a reports role. Else Graph's 403 (reference §15). */
export function requireAuditLogReader(c: GraphCaller): void {
  const ok = c.user ? c.scopes.has(PERMISSION) && c.user.directoryRoles.some((r) => READER_ROLES.includes(r)) : c.roles.has(PERMISSION);
  if (!ok) throw new GraphError(403, 'Authentication_MSGraphPermissionMissing', `Calling principal does not have required MSGraph permissions ${PERMISSION}`);
}

type Test = (r: SignInRecord) => boolean;

/** Members `eq` can test, by their path in the filter. */
const EQ_MEMBERS: Record<string, (r: SignInRecord) => string | number | boolean | null> = {
  id: (r) => r.id,
  userPrincipalName: (r) => r.userPrincipalName,
  userDisplayName: (r) => r.userDisplayName,
  userId: (r) => r.userId,
  appId: (r) => r.appId,
  appDisplayName: (r) => r.appDisplayName,
  ipAddress: (r) => r.ipAddress,
  clientAppUsed: (r) => r.clientAppUsed,
  correlationId: (r) => r.correlationId,
  conditionalAccessStatus: (r) => r.conditionalAccessStatus,
  isInteractive: (r) => r.isInteractive,
  resourceId: (r) => r.resourceId,
  resourceDisplayName: (r) => r.resourceDisplayName,
  'status/errorCode': (r) => r.status.errorCode,
};
const STARTS_WITH = new Set(['userPrincipalName', 'userDisplayName', 'appDisplayName', 'ipAddress']);

const invalid = (detail: string) =>
  new GraphError(400, 'BadRequest', `Invalid filter clause: ${detail} Supported: eq on ${Object.keys(EQ_MEMBERS).join(', ')}; startsWith(${[...STARTS_WITH].join('|')},'x'); createdDateTime ge|le|gt|lt 2024-01-01T00:00:00Z; joined by 'and'.`);

/** An OData literal: 'string' (with '' for a quote), a number, true / false, or an unquoted date-time. */
function literal(text: string): string | number | boolean {
  const t = text.trim();
  if (/^'(?:[^']|'')*'$/.test(t)) return t.slice(1, -1).replace(/''/g, "'");
  if (/^-?\d+$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)$/.test(t)) return t;
  throw invalid(`'${t.slice(0, 80)}' is not a literal (quote strings: 'value').`);
}

function clause(text: string): Test {
  const c = text.trim().replace(/^\((.*)\)$/s, '$1').trim();
  const starts = /^startsWith\(\s*([\w/]+)\s*,\s*('(?:[^']|'')*')\s*\)$/i.exec(c);
  if (starts) {
    const member = starts[1]!;
    if (!STARTS_WITH.has(member)) throw invalid(`startsWith is not supported on '${member}'.`);
    const prefix = String(literal(starts[2]!)).toLowerCase();
    const get = EQ_MEMBERS[member]!;
    return (r) => String(get(r) ?? '').toLowerCase().startsWith(prefix);
  }
  const cmp = /^([\w/]+)\s+(eq|ge|le|gt|lt)\s+(.+)$/i.exec(c);
  if (!cmp) throw invalid(`'${c.slice(0, 80)}' is not a comparison.`);
  const member = cmp[1]!;
  const op = cmp[2]!.toLowerCase();
  const value = literal(cmp[3]!);
  if (member === 'createdDateTime') {
    const at = Date.parse(String(value));
    if (Number.isNaN(at)) throw invalid(`'${String(value).slice(0, 80)}' is not a date-time.`);
    const ops: Record<string, (a: number) => boolean> = { eq: (a) => a === at, ge: (a) => a >= at, le: (a) => a <= at, gt: (a) => a > at, lt: (a) => a < at };
    const f = ops[op]!;
    return (r) => f(Date.parse(r.createdDateTime));
  }
  const get = EQ_MEMBERS[member];
  if (!get) throw invalid(`'${member}' cannot be filtered on.`);
  if (op !== 'eq') throw invalid(`'${op}' is supported on createdDateTime only.`);
  return (r) => {
    const v = get(r);
    return typeof v === 'string' && typeof value === 'string' ? v.toLowerCase() === value.toLowerCase() : v === value;
  };
}

/** `$filter`'s clauses, all of which must hold. */
export function parseFilter(filter: string): Test {
  if (/\s+or\s+/i.test(filter.replace(/'(?:[^']|'')*'/g, "''"))) throw invalid("'or' is not supported: send one request per alternative.");
  const parts = filter.split(/\s+and\s+/i).filter((p) => p.trim());
  const tests = parts.map(clause);
  return (r) => tests.every((t) => t(r));
}

/** `$top`: 1 to 1,000 (Graph's page size and the log's size). */
export function parseTop(top: string | undefined): number {
  if (top === undefined) return SIGN_IN_LIMIT;
  if (!/^\d{1,4}$/.test(top) || Number(top) < 1 || Number(top) > SIGN_IN_LIMIT) throw new GraphError(400, 'BadRequest', `Invalid $top value '${top.slice(0, 20)}': give a number from 1 to ${SIGN_IN_LIMIT}.`);
  return Number(top);
}

/**
 * The page size when `$top` is absent: 1,000, Graph's maximum for signIns and the log's size (the
 * reference says `$top` defaults to it), so an unpaged call reads the whole log in one page.
 */
export const DEFAULT_PAGE_SIZE = SIGN_IN_LIMIT;

const badSkipToken = (sent: string) =>
  // Graph's text for a skiptoken it cannot read (unverified: the envelope is Graph's, the words ours).
  new GraphError(400, 'BadRequest', `Invalid $skiptoken '${sent.slice(0, 60)}': use the @odata.nextLink of the previous page as it is; a token goes stale once its records leave the log (it keeps the newest ${SIGN_IN_LIMIT}).`);

/** A `$skiptoken`: the ID of the last record of the previous page, base64url (opaque to callers, as Graph's are). */
export const skipTokenOf = (lastId: string) => Buffer.from(`after:${lastId}`, 'utf8').toString('base64url');

function afterOf(token: string): string {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(token)) throw badSkipToken(token);
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const m = /^after:([0-9a-f-]{36})$/.exec(text);
  if (!m) throw badSkipToken(token);
  return m[1]!;
}

/** The query of a signIns list request, each parameter as sent (undefined when absent). */
export interface SignInsListQuery {
  $filter?: string;
  $top?: string;
  $skiptoken?: string;
}

/**
 * One page of a signIns list: the records that match, newest first, from after the skiptoken's
 * record, at most `$top`; `@odata.nextLink` (same $filter and $top, a new $skiptoken) when more match.
 * A skiptoken naming a record no longer in the matching list answers 400, as a stale one would.
 */
export function signInsPage(records: readonly SignInRecord[], q: SignInsListQuery, base: string): { '@odata.context': string; '@odata.nextLink'?: string; value: SignInRecord[] } {
  const top = q.$top === undefined ? DEFAULT_PAGE_SIZE : parseTop(q.$top);
  const test = q.$filter ? parseFilter(q.$filter) : () => true;
  const matching = records.filter(test);
  let start = 0;
  if (q.$skiptoken !== undefined) {
    const after = afterOf(q.$skiptoken);
    const at = matching.findIndex((r) => r.id === after);
    if (at < 0) throw badSkipToken(q.$skiptoken);
    start = at + 1;
  }
  const value = matching.slice(start, start + top).map(forGraph);
  const page: { '@odata.context': string; '@odata.nextLink'?: string; value: SignInRecord[] } = { '@odata.context': `${base}/$metadata#auditLogs/signIns`, value };
  const last = value.at(-1);
  if (last && start + top < matching.length) {
    const next = new URLSearchParams();
    if (q.$filter) next.set('$filter', q.$filter);
    if (q.$top !== undefined) next.set('$top', String(top));
    next.set('$skiptoken', skipTokenOf(last.id));
    page['@odata.nextLink'] = `${base}/auditLogs/signIns?${next.toString().replace(/%24/g, '$')}`;
  }
  return page;
}

/**
 * A record as Graph answers it: the mock's member without the tokens and SAML messages issued
 * (a Graph caller with AuditLog.Read.All must not read other people's tokens; the dashboard and
 * the admin API, loopback or admin-token only, show them).
 */
export function forGraph(r: SignInRecord): SignInRecord {
  return { ...r, mockEntra: { ...r.mockEntra, artifacts: [] } };
}
