/**
 * The dashboard's Sign-in logs, as the portal's blade shows them: one row per sign-in attempt,
 * newest first, filtered by a GET form (so a filtered view has a URL and a JSON download), and one
 * record's detail in words: who, which app, what failed and how to fix it, how the user
 * authenticated, the request's parameters (secrets redacted) and the tokens or assertion issued.
 */
import { url } from '../server/routes.js';
import type { SignInFlowKind, SignInQuery, SignInRecord, SignInRequestParams } from '../server/signins.js';
import { artifactHtml, json, kv, layout, row, textRow } from './dashboard.js';
import { breakable, esc } from './pages.js';

/** The filter form's fields, as sent ('' when empty). */
export interface SignInFilters {
  user: string;
  app: string;
  status: string;
  code: string;
  from: string;
  to: string;
}

const FIELDS = ['user', 'app', 'status', 'code', 'from', 'to'] as const;
const STATUSES = ['success', 'failure', 'interrupted'] as const;

/**
 * A time the form sent: `datetime-local`'s `2026-12-02T08:15` (seconds optional), read as UTC like
 * every time on the dashboard, or an ISO time with its zone.
 */
function timeOf(text: string): Date | undefined {
  const t = text.trim();
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)?$/.test(t)) return undefined;
  const d = new Date(/(Z|[+-]\d\d:\d\d)$/.test(t) ? t : `${t}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The form's fields as a query of the sign-in log, and what was wrong with any of them (in words). */
export function parseFilters(param: (name: string) => string): { filters: SignInFilters; query: SignInQuery; problems: string[] } {
  const filters = Object.fromEntries(FIELDS.map((f) => [f, param(f).trim().slice(0, 256)])) as unknown as SignInFilters;
  const query: SignInQuery = {};
  const problems: string[] = [];
  if (filters.user) query.user = filters.user;
  if (filters.app) query.app = filters.app;
  const status = filters.status.toLowerCase();
  if (status) {
    if ((STATUSES as readonly string[]).includes(status)) query.status = status as SignInQuery['status'];
    else problems.push(`Status must be Success, Failure or Interrupted, not '${filters.status}'.`);
  }
  if (filters.code) {
    const code = filters.code.replace(/^AADSTS/i, '');
    if (/^\d{1,9}$/.test(code)) query.code = Number(code);
    else problems.push(`Error code must be a number such as 50126 (AADSTS50126 works too), not '${filters.code}'.`);
  }
  for (const edge of ['from', 'to'] as const) {
    if (!filters[edge]) continue;
    const at = timeOf(filters[edge]);
    if (at) query[edge] = at;
    else problems.push(`'${edge === 'from' ? 'From' : 'To'}' must be a date and time such as 2026-12-02T08:15 (UTC), not '${filters[edge]}'.`);
  }
  return { filters, query, problems };
}

/** The filters as a query string ('' when none), to carry them from the list to a detail and back. */
function filterQuery(f: SignInFilters, extra: Record<string, string> = {}): Record<string, string> {
  const q: Record<string, string> = {};
  for (const k of FIELDS) if (f[k]) q[k] = f[k];
  return { ...q, ...extra };
}

export const FLOW_NAMES: Record<SignInFlowKind, string> = {
  authorizationCode: 'Authorization code',
  implicit: 'Implicit grant',
  ropc: 'Resource owner password credentials (ROPC)',
  deviceCode: 'Device code',
  samlSpInitiated: 'SAML, SP-initiated',
  samlIdpInitiated: 'SAML, IdP-initiated',
  clientCredentials: 'Client credentials',
  onBehalfOf: 'On-behalf-of',
  refreshToken: 'Refresh token',
};

const outcomeHtml = (r: SignInRecord) => {
  const o = r.mockEntra.outcome;
  return `<span class="${o === 'Success' ? 'ok' : o === 'Failure' ? 'bad' : ''}">${o}</span>`;
};
const none = (text = 'none') => `<span class="muted">${esc(text)}</span>`;
const codeLink = (code: number) => `<a href="${esc(url('', 'errorLookup', {}, { code: String(code) }))}">AADSTS${code}</a>`;
const userText = (r: SignInRecord) => r.userPrincipalName ?? (r.servicePrincipalName ? `${r.servicePrincipalName} (app only)` : '');

function signInRow(r: SignInRecord, f: SignInFilters): string {
  const href = url('', 'dashboard.signIn', { id: r.id }, filterQuery(f));
  const app = r.appDisplayName ?? r.appId ?? '';
  return `<tr data-id="${esc(r.id)}"><td><a href="${esc(href)}"><time datetime="${esc(r.createdDateTime)}">${esc(r.createdDateTime.replace('T', ' ').slice(0, 19))}</time></a></td><td>${r.userPrincipalName ? `<span class="upn">${esc(r.userPrincipalName)}</span>` : esc(userText(r))}</td><td>${esc(app)}</td><td>${outcomeHtml(r)}</td><td>${r.status.errorCode ? esc(String(r.status.errorCode)) : ''}</td><td>${esc(FLOW_NAMES[r.mockEntra.flow])}</td></tr>`;
}

function filterForm(f: SignInFilters, records: readonly SignInRecord[]): string {
  const distinct = (values: Array<string | null>) => [...new Set(values.filter((v): v is string => Boolean(v)))].slice(0, 200);
  const options = (id: string, values: string[]) => `<datalist id="${id}">${values.map((v) => `<option value="${esc(v)}"></option>`).join('')}</datalist>`;
  const input = (name: keyof SignInFilters, label: string, attrs: string) =>
    `<label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" value="${esc(f[name])}" ${attrs}>`;
  const status = `<label for="f-status">Status</label><select id="f-status" name="status"><option value="">Any</option>${STATUSES.map(
    (s) => `<option value="${s}"${f.status.toLowerCase() === s ? ' selected' : ''}>${s[0]!.toUpperCase()}${s.slice(1)}</option>`,
  ).join('')}</select>`;
  return `<form method="get" action="${esc(url('', 'dashboard.signIns'))}" class="filters" aria-label="Filter sign-ins">
${input('user', 'User (UPN)', 'type="text" list="users" autocomplete="off"')}${options('users', distinct(records.map((r) => r.userPrincipalName)))}
${input('app', 'Application (name or ID)', 'type="text" list="apps" autocomplete="off"')}${options('apps', distinct(records.flatMap((r) => [r.appDisplayName, r.appId])))}
${status}
${input('code', 'Error code', 'type="text" inputmode="numeric" placeholder="50126" size="10"')}
${input('from', 'From (UTC)', 'type="datetime-local" step="1"')}
${input('to', 'To (UTC)', 'type="datetime-local" step="1"')}
<button type="submit">Apply</button> <a href="${esc(url('', 'dashboard.signIns'))}">Clear filters</a></form>`;
}

/** The list: filters, the table newest first, and the download of what it shows. */
export function signInsPage(records: readonly SignInRecord[], all: readonly SignInRecord[], f: SignInFilters, problems: string[]): string {
  const rows = records.map((r) => signInRow(r, f)).join('\n');
  const download = url('', 'dashboard.signIns', {}, filterQuery(f, { format: 'json' }));
  const alert = problems.length ? `<div role="alert" class="bad" id="problems"><p>The filter was not applied:</p><ul class="plain">${problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul></div>` : '';
  const filtered = FIELDS.some((k) => f[k]);
  const empty = filtered ? 'No sign-in matches these filters: widen them, or clear them.' : 'No sign-ins yet: sign in to an app, and the attempt shows here.';
  return layout(
    'Sign-in logs',
    'signins',
    `<h1>Sign-in logs</h1><p>One row per sign-in attempt, newest first (the log keeps the last 1,000; a reset clears it). Open a row's date for its details: what failed, how to fix it, the request's parameters and the tokens issued.</p>
${filterForm(f, all)}${alert}
<p><a id="download" href="${esc(download)}" download>Download JSON</a> <span class="muted">(${records.length} ${records.length === 1 ? 'sign-in' : 'sign-ins'}${filtered ? ', filtered' : ''})</span></p>
<table id="signins"><caption class="sr-only">Sign-ins</caption><thead><tr><th scope="col">Date (UTC)</th><th scope="col">User</th><th scope="col">Application</th><th scope="col">Status</th><th scope="col">Sign-in error code</th><th scope="col">Flow</th></tr></thead>
<tbody>${rows || `<tr><td colspan="6" class="muted">${esc(empty)}</td></tr>`}</tbody></table>`,
  );
}

function paramsTable(id: string, title: string, p: SignInRequestParams): string {
  const entries = Object.entries(p.parameters);
  const body = entries.length
    ? `<table id="${id}"><thead><tr><th scope="col">Parameter</th><th scope="col">Value</th></tr></thead><tbody>${entries.map(([k, v]) => `<tr><td><code>${esc(k)}</code></td><td><code>${breakable(v)}</code></td></tr>`).join('')}</tbody></table>`
    : `<p id="${id}" class="muted">No parameters.</p>`;
  return `<h3>${esc(title)}: <code>${esc(p.method)} ${breakable(p.path)}</code></h3>${body}`;
}

/** One sign-in, every field in words. */
export function signInDetailPage(r: SignInRecord, f: SignInFilters): string {
  const m = r.mockEntra;
  const code = r.status.errorCode;
  const basic = kv([
    textRow('Date (UTC)', `<time datetime="${esc(r.createdDateTime)}">${esc(r.createdDateTime)}</time>`),
    row('Request ID', r.id),
    row('Correlation ID', r.correlationId),
    textRow('Status', outcomeHtml(r)),
    textRow('Sign-in error code', code ? `${esc(String(code))} (${codeLink(code)}: what it means and how to fix it)` : none('0 (no error)')),
    textRow('Failure reason', r.status.failureReason ? esc(r.status.failureReason) : none()),
    textRow('Additional details', r.status.additionalDetails ? esc(r.status.additionalDetails) : none()),
    textRow('User', r.userPrincipalName ? `${esc(r.userDisplayName ?? '')} <code class="upn">${esc(r.userPrincipalName)}</code>` : none(r.servicePrincipalName ? 'none: the app signed in as itself' : 'unknown')),
    textRow('User ID', r.userId ? `<code>${esc(r.userId)}</code>` : none()),
    textRow('Application', r.appDisplayName || r.appId ? `${esc(r.appDisplayName ?? 'not in this scenario')} <code>${esc(r.appId ?? '')}</code>` : none('unknown')),
    textRow('Resource', r.resourceId ? `${esc(r.resourceDisplayName ?? '')} <code>${esc(r.resourceId)}</code>` : none()),
    textRow('Client app', esc(r.clientAppUsed)),
    textRow('Flow', esc(FLOW_NAMES[m.flow])),
    textRow('Interactive', r.isInteractive ? 'Yes' : 'No'),
    textRow('Sign-in event type', esc(r.signInEventTypes.join(', '))),
    textRow('IP address', `<code>${esc(r.ipAddress)}</code>`),
    textRow('Tenant ID', `<code>${esc(m.tenantId)}</code>`),
  ]);
  const troubleshooting = code
    ? `<h2 id="troubleshooting">Troubleshooting</h2><section class="card" aria-labelledby="troubleshooting">${kv([
        textRow('What to fix', m.remediation ? esc(m.remediation) : none()),
        textRow('Scenario rule', m.rule ? `<code>${esc(m.rule)}</code>` : none('none: the mock’s own checks answered (a setting of the scenario, or the request itself)')),
        textRow('Rule description', m.ruleDescription ? esc(m.ruleDescription) : none()),
        textRow('Error lookup', `${codeLink(code)}: the code's message, its likely cause and fix, and what in this scenario produces it`),
      ])}</section>`
    : '';
  const steps = r.authenticationDetails.length
    ? `<table id="authentication"><thead><tr><th scope="col">Date (UTC)</th><th scope="col">Authentication method</th><th scope="col">Method detail</th><th scope="col">Succeeded</th><th scope="col">Result detail</th><th scope="col">Requirement</th></tr></thead><tbody>${r.authenticationDetails
        .map(
          (d) =>
            `<tr><td>${esc(d.authenticationStepDateTime)}</td><td>${esc(d.authenticationMethod)}</td><td>${esc(d.authenticationMethodDetail ?? '')}</td><td class="${d.succeeded ? 'ok' : 'bad'}">${d.succeeded ? 'Yes' : 'No'}</td><td>${esc(d.authenticationStepResultDetail)}</td><td>${esc(d.authenticationStepRequirement)}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : `<p id="authentication" class="muted">No authentication step: the attempt ended before anyone authenticated.</p>`;
  const ca = r.appliedConditionalAccessPolicies.length
    ? `<table id="conditional-access-policies"><thead><tr><th scope="col">Policy</th><th scope="col">Grant controls</th><th scope="col">Result</th></tr></thead><tbody>${r.appliedConditionalAccessPolicies
        .map((p) => `<tr><td>${esc(p.displayName)}</td><td>${esc(p.enforcedGrantControls.join(', '))}</td><td class="bad">${esc(p.result)}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p class="muted">No Conditional Access policy applied.</p>';
  const requests = [paramsTable('params-ended', 'The request that ended the attempt', m.request.ended), m.request.started ? paramsTable('params-started', 'The request that started it', m.request.started) : ''].join('');
  const kept = m.artifacts.filter((a) => a.value !== undefined);
  const omitted = m.artifacts.filter((a) => a.value === undefined).map((a) => `<li>${esc(a.name)}: ${esc(a.omitted ?? 'not kept')}</li>`);
  const artifacts =
    kept.map((a, n) => artifactHtml({ name: a.name, kind: a.kind, direction: a.direction, value: a.value! }, n)).join('\n') +
    (omitted.length ? `<ul class="plain">${omitted.join('')}</ul>` : '') ||
    `<p class="muted">${m.flow === 'authorizationCode' && m.outcome === 'Success' ? 'The app got an authorization code; it redeems it for tokens at the token endpoint, a request of its own in Requests.' : 'Nothing was issued in the request that ended this attempt.'}</p>`;
  const back = url('', 'dashboard.signIns', {}, filterQuery(f));
  const title = `${m.outcome}: ${userText(r) || 'unknown user'} to ${r.appDisplayName ?? r.appId ?? 'unknown app'}`;
  return layout(
    title,
    'signins',
    `<p><a href="${esc(back)}">← Sign-in logs</a></p><h1>${esc(title)}</h1>
<h2 id="basic">Basic info</h2><section class="card" aria-labelledby="basic">${basic}</section>
${troubleshooting}
<h2 id="auth-details">Authentication details</h2><section class="card" aria-labelledby="auth-details">${steps}</section>
<h2 id="conditional-access">Conditional Access</h2><section class="card" aria-labelledby="conditional-access"><p>Status: ${esc(r.conditionalAccessStatus)}</p>${ca}</section>
<h2 id="request">Request parameters</h2><section class="card" aria-labelledby="request"><p class="muted">Secrets (passwords, client secrets, codes, refresh tokens, assertions, SAML Responses) show as (redacted).</p>${requests}</section>
<h2 id="issued">Tokens and SAML messages</h2><section class="card" aria-labelledby="issued">${artifacts}</section>
<details><summary>The record as JSON</summary>${json(r)}</details>`,
  );
}

export function signInNotFoundPage(id: string): string {
  return layout('Sign-in not found', 'signins', `<h1>Sign-in not found</h1><p>No sign-in with request ID <code>${esc(id)}</code> is in the log; it keeps the last 1,000 sign-ins, and a reset clears it.</p><p><a href="${esc(url('', 'dashboard.signIns'))}">All sign-ins</a></p>`);
}
