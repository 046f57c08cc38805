/**
 * What a scenario file changes from the scenario it extends, compared after validation (defaults
 * filled in on both sides), so a change is what a client meets, not how the YAML is written. Used
 * by `scenario explain`; each change says what it does to requests in words (`describeChange`).
 */
import { X509Certificate } from 'node:crypto';
import { AADSTS, type AadstsCode, formatText, REMEDIATION } from '../entra/aadsts.js';
import { JWT_GROUPS_LIMIT, SAML_GROUPS_LIMIT } from '../entra/claims.js';
import { codeForStatus, describeRule } from '../faults/rules.js';
import type { Rule, Scenario } from './schema.js';

export type ChangeKind = 'app' | 'user' | 'group' | 'managedIdentity' | 'setting' | 'rule' | 'switch';

/**
 * One difference. `field` is the path inside the entry (`saml.replyUrls`); null when the whole
 * entry is added (`from` null) or removed (`to` null). Values are JSON (dates as ISO strings).
 */
export interface Change {
  kind: ChangeKind;
  /** App name, UPN, group or identity name, settings section (tenant, signIn, tokens, keys, tls), rule name or switch name. */
  name: string;
  field: string | null;
  from: unknown;
  to: unknown;
  /** What a client sees because of it, when that is known. */
  effect: string | null;
}

/** A rule in words with the AADSTS code it answers, the code's message and its cause and fix from the catalogue. */
export interface RuleExplained {
  name: string | null;
  /** true for the rules this file adds (after the ones it extends). */
  added: boolean;
  explain: string;
  description: string | null;
  code: number | null;
  message: string | null;
  cause: string | null;
  fix: string | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** JSON with sorted keys: equality of validated values. */
function canon(v: unknown): string {
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).filter((k) => v[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}
const same = (a: unknown, b: unknown) => canon(a) === canon(b);
const json = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));

/** Leaf differences of two validated values: objects recurse, arrays and scalars compare whole. */
function fieldDiffs(a: unknown, b: unknown, path = ''): Array<{ field: string; from: unknown; to: unknown }> {
  if (isObj(a) && isObj(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => fieldDiffs(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return same(a, b) ? [] : [{ field: path, from: a, to: b }];
}

/** The base's rule count is what the merge keeps first: the file's rules are appended after it. */
export function addedRules(base: Scenario, s: Scenario): Rule[] {
  return s.rules.slice(base.rules.length);
}

/** The code a rule answers with: its error, or the one the gate answers its status with. */
export function ruleCode(r: Rule): AadstsCode | null {
  if (r.then.error !== undefined) return r.then.error as AadstsCode;
  if (r.then.status !== undefined) return codeForStatus(r.then.status);
  return null;
}

export function explainRule(r: Rule, s: Scenario, added: boolean): RuleExplained {
  const code = ruleCode(r);
  const entry = code === null ? undefined : AADSTS[code];
  const app = r.when.app ? s.apps.find((a) => a.name === r.when.app || a.clientId === r.when.app || a.saml?.identifier === r.when.app) : undefined;
  // The message as a client reads it, with what the scenario knows filled in; the rest is per request.
  const message = entry ? formatText(entry.text, { appId: app?.clientId, appName: app?.name, resourceAppId: app?.clientId, tenant: s.tenant.domain }).replace(/\{\w+\}/g, '…') : null;
  const known = code === null ? undefined : REMEDIATION[code];
  return {
    name: r.name ?? null,
    added,
    explain: describeRule(r),
    description: r.description ?? null,
    code,
    message,
    cause: entry ? (known?.cause ?? 'See the message: it names what Entra checked.') : null,
    fix: entry ? (known?.fix ?? 'Do what the message says.') : null,
  };
}

const KEYED = [
  ['apps', 'app', 'name'],
  ['users', 'user', 'upn'],
  ['groups', 'group', 'name'],
  ['managedIdentities', 'managedIdentity', 'name'],
] as const;
const SETTINGS = ['tenant', 'signIn', 'tokens', 'keys', 'tls'] as const;

/** Every difference between `base` and `s` (the file merged over it), in the order explain prints them. */
export function diffScenarios(base: Scenario, s: Scenario): Change[] {
  const out: Change[] = [];
  for (const [list, kind, key] of KEYED) {
    const before = base[list] as Obj[];
    const after = s[list] as Obj[];
    const byKey = (items: Obj[], k: unknown) => items.find((x) => x[key] === k);
    for (const item of after) {
      const name = String(item[key]);
      const old = byKey(before, item[key]);
      if (!old) out.push({ kind, name, field: null, from: null, to: json(item), effect: null });
      else for (const d of fieldDiffs(old, item)) out.push({ kind, name, field: d.field, from: json(d.from), to: json(d.to), effect: effectOf(kind, name, d.field, d.from, d.to, s) });
    }
    for (const item of before) {
      if (!byKey(after, item[key])) out.push({ kind, name: String(item[key]), field: null, from: json(item), to: null, effect: kind === 'app' ? 'requests for it get AADSTS700016' : null });
    }
  }
  for (const section of SETTINGS) {
    for (const d of fieldDiffs(base[section], s[section])) out.push({ kind: 'setting', name: section, field: d.field, from: json(d.from), to: json(d.to), effect: effectOf('setting', section, d.field, d.from, d.to, s) });
  }
  for (const r of addedRules(base, s)) {
    const e = explainRule(r, s, true);
    const effect = e.code === null ? e.explain : `${e.explain} AADSTS${e.code}: ${e.message} Likely cause: ${e.cause} Fix: ${e.fix}`;
    out.push({ kind: 'rule', name: r.name ?? `rules[${s.rules.indexOf(r)}]`, field: null, from: null, to: json(r), effect });
  }
  for (const [name, on] of Object.entries(s.switches)) {
    if (name in base.switches && base.switches[name] === on) continue;
    out.push({ kind: 'switch', name, field: null, from: name in base.switches ? base.switches[name] : null, to: on, effect: switchEffect(name, on, s) });
  }
  return out;
}

function switchEffect(name: string, on: boolean, s: Scenario): string | null {
  const label = (r: Scenario['rules'][number]) => (r.name ? `rule ${r.name}` : 'an unnamed rule');
  const waiting = s.rules.filter((r) => typeof r.times === 'object' && 'until' in r.times && r.times.until === name).map(label);
  const gated = s.rules.filter((r) => typeof r.times === 'object' && 'while' in r.times && r.times.while === name).map(label);
  if (gated.length) {
    const fires = `${gated.join(', ')} fire${gated.length === 1 ? 's' : ''}`;
    return on ? `${fires} while it is on (idp.reset() puts it back on)` : `${fires} only once it is turned on: curl -X POST --cacert certs/ca.pem https://localhost:8443/_mock/switches/${name}, or idp.flip('${name}') in a test`;
  }
  if (!waiting.length) return null;
  return on
    ? `${waiting.join(', ')} no longer fire${waiting.length === 1 ? 's' : ''} (idp.reset() turns the switch off again)`
    : `${waiting.join(', ')} fire${waiting.length === 1 ? 's' : ''} until it is turned on: curl -X POST --cacert certs/ca.pem https://localhost:8443/_mock/switches/${name}, or idp.flip('${name}') in a test`;
}

// ---- words ----

/** How the portal (or the scenario reference) names a field; a field not listed is shown by its path. */
const LABELS: Record<string, string> = {
  'app.clientId': 'client ID',
  'app.secrets': 'client secrets',
  'app.certificates': 'certificate credentials',
  'app.redirectUris': 'redirect URIs',
  'app.spaRedirectUris': 'SPA redirect URIs',
  'app.implicitGrant.idTokens': 'implicit grant of ID tokens',
  'app.implicitGrant.accessTokens': 'implicit grant of access tokens',
  'app.postLogoutRedirectUris': 'post-logout redirect URIs',
  'app.signInAudience': 'supported account types',
  'app.publicClient': 'public client flows',
  'app.api': 'exposed API',
  'app.api.identifierUri': 'Application ID URI',
  'app.api.scopes': 'exposed scopes',
  'app.api.roles': 'app roles it defines',
  'app.api.accessTokenVersion': 'access token version',
  'app.groupMembershipClaims': 'groups claim (groupMembershipClaims)',
  'app.groupClaimNames': 'group names instead of object IDs in the groups claim',
  'app.optionalClaims.idToken': 'optional claims of ID tokens',
  'app.optionalClaims.accessToken': 'optional claims of access tokens',
  'app.assignmentRequired': 'assignment required',
  'app.assignments': 'assigned users and groups',
  'app.saml': 'SAML single sign-on',
  'app.saml.identifier': 'SAML Identifier (Entity ID)',
  'app.saml.replyUrls': 'Reply URLs (ACS)',
  'app.saml.logoutUrl': 'SAML Logout URL',
  'app.saml.relayState': 'Relay State',
  'app.saml.nameIdFormat': 'NameID format',
  'app.saml.claims': 'SAML claims',
  'app.saml.groups': 'SAML group claim',
  'app.saml.requireSignedRequests': 'signed AuthnRequests required',
  'app.saml.encryptionCertificate': 'token encryption certificate',
  'app.saml.verificationCertificates': 'AuthnRequest verification certificates',
  'app.saml.signing.option': 'SAML signing option',
  'app.saml.signing.algorithm': 'SAML signing algorithm',
  'app.saml.signing.expires': 'SAML signing certificate expiry',
  'app.saml.signing.nextCertificateFrom': 'next SAML signing certificate signs from',
  'app.federatedCredentials': 'federated credentials',
  'user.name': 'display name',
  'user.id': 'object ID',
  'user.givenName': 'given name',
  'user.directoryRoles': 'directory roles',
  'group.id': 'object ID',
  'managedIdentity.clientId': 'client ID',
  'managedIdentity.objectId': 'object ID',
  'managedIdentity.subscriptionId': 'subscription ID',
  'managedIdentity.resourceGroup': 'resource group',
  'managedIdentity.resourceId': 'resource ID',
  'setting.tenant.id': 'tenant ID',
  'setting.tenant.domain': 'tenant domain',
  'setting.tenant.name': 'organisation name',
  'setting.tenant.region': 'tenant region (tenant_region_scope)',
  'setting.tenant.subscriptions': 'Azure subscriptions',
  'setting.signIn.autoSignIn': 'sign-in by login_hint without a page',
  'setting.signIn.deviceCode.interval': 'device code polling interval (seconds)',
  'setting.signIn.deviceCode.expiresIn': 'device code lifetime (seconds)',
  'setting.signIn.deviceCode.autoApprove': 'device codes approved at once by',
  'setting.tokens.accessTokenLifetime': 'access token lifetime (seconds)',
  'setting.tokens.idTokenLifetime': 'ID token lifetime (seconds)',
  'setting.keys.active': 'token-signing key',
  'setting.tls.certificate': 'TLS certificate',
};

/** Keys of records (an API's name, a claim's name) are the last part of the path. */
const RECORD_LABELS: Array<[RegExp, (k: string) => string]> = [
  [/^(?:app|managedIdentity)\.permissions\.(.+)$/, (k) => `granted permissions on ${k}`],
  [/^user\.appRoles\.(.+)$/, (k) => `app roles of ${k}`],
  [/^app\.saml\.claims\.(.+)$/, (k) => `SAML claim ${k}`],
];

export function labelOf(kind: ChangeKind, name: string, field: string): string {
  const key = kind === 'setting' ? `setting.${name}.${field}` : `${kind}.${field}`;
  if (LABELS[key]) return LABELS[key];
  for (const [re, label] of RECORD_LABELS) {
    const m = re.exec(key);
    if (m) return label(m[1]!);
  }
  return kind === 'setting' ? `${name}.${field}` : field;
}

/** What "not set" means for a field, where Entra has a default worth naming. */
const UNSET: Record<string, string> = {
  'app.saml.claims': "Entra's default (givenname, surname, emailaddress, name)",
  'app.clientId': 'derived from the name',
  'user.mail': 'none',
};

const LIST_SHOWN = 8;

function fmt(v: unknown, unset = '(not set)'): string {
  if (v === undefined || v === null) return unset;
  if (v === '') return "'' (empty)";
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (v instanceof Date) return fmtDate(v);
  if (typeof v === 'string') {
    if (v.includes('-----BEGIN CERTIFICATE-----')) return `certificate ${thumbprint(v)}`;
    // Dates in JSON-converted values: shown as the date a person wrote.
    return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v) ? fmtDate(new Date(v)) : v;
  }
  if (Array.isArray(v)) return v.length ? listInWords(v) : '(none)';
  if (isObj(v)) {
    const leadKey = ['value', 'name', 'id'].find((k) => v[k] !== undefined);
    if (leadKey) {
      const body = Object.entries(v).filter(([k, x]) => x !== undefined && k !== leadKey).map(([k, x]) => `${k} ${fmt(x)}`).join(', ');
      return body ? `${fmt(v[leadKey])} [${body}]` : fmt(v[leadKey]);
    }
    return Object.entries(v).map(([k, x]) => `${k}: ${fmt(x)}`).join(', ') || '(none)';
  }
  return String(v);
}

/** Items in words, the first few only when there are many. */
export function listInWords(items: unknown[]): string {
  const shown = items.slice(0, LIST_SHOWN).map((x) => fmt(x));
  return items.length > LIST_SHOWN ? `${shown.join(', ')}, … (${items.length} in all; --json lists every one)` : shown.join(', ');
}

function fmtDate(d: Date): string {
  const iso = d.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

function thumbprint(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint.replace(/:/g, '');
  } catch {
    return '(not a certificate)';
  }
}

/** Old -> new in words; lists say which entries went and came, in the order they are listed. */
function fromTo(from: unknown, to: unknown, unset?: string): string {
  if (Array.isArray(from) && Array.isArray(to)) {
    const gone = from.filter((x) => !to.some((y) => same(x, y)));
    const come = to.filter((y) => !from.some((x) => same(x, y)));
    if (gone.length && come.length) return `${listInWords(gone)} -> ${listInWords(come)}`;
    if (come.length) return `added ${listInWords(come)}`;
    if (gone.length) return `removed ${listInWords(gone)}`;
    return `reordered: ${fmt(from)} -> ${fmt(to)}`;
  }
  return `${fmt(from, unset)} -> ${fmt(to, unset)}`;
}

/** One change as a line of `scenario explain`. */
export function describeChange(c: Change): string {
  const effect = c.effect ? ` (${c.effect})` : '';
  const what = c.kind === 'managedIdentity' ? 'managed identity' : c.kind;
  if (c.kind === 'rule') return `rule added: ${c.effect ?? c.name}`;
  if (c.kind === 'switch') return `switch ${c.name}: ${c.from === null ? 'added' : `was ${fmt(c.from)} at start`}, ${fmt(c.to)} at start${effect}`;
  if (c.field === null) return c.to === null ? `${what} ${c.name} removed${effect}` : `${what} ${c.name} added${summary(c.kind, c.to as Obj)}${effect}`;
  const key = c.kind === 'setting' ? `setting.${c.name}.${c.field}` : `${c.kind}.${c.field}`;
  return `${c.name}: ${labelOf(c.kind, c.name, c.field)} ${fromTo(c.from, c.to, UNSET[key])}${effect}`;
}

/** The facts of a new entry a person checks first. */
function summary(kind: ChangeKind, v: Obj): string {
  const parts: string[] = [];
  const list = (label: string, x: unknown) => Array.isArray(x) && x.length && parts.push(`${label} ${fmt(x)}`);
  if (kind === 'app') {
    parts.push(v.clientId ? `client ID ${String(v.clientId)}` : 'client ID derived from the name');
    if (Array.isArray(v.secrets) && v.secrets.length) parts.push(`${v.secrets.length} client secret(s)`);
    list('redirect URIs', v.redirectUris);
    list('SPA redirect URIs', v.spaRedirectUris);
    if (v.publicClient) parts.push('public client flows on');
    if (isObj(v.api)) parts.push(`an API${v.api.identifierUri ? ` at ${String(v.api.identifierUri)}` : ''}`);
    if (isObj(v.saml)) parts.push(`SAML Identifier ${String(v.saml.identifier)}, Reply URLs ${fmt(v.saml.replyUrls)}`);
    if (v.assignmentRequired) parts.push(`assignment required (assigned: ${fmt(v.assignments)})`);
  } else if (kind === 'user') {
    parts.push(String(v.name), `password ${String(v.password)}`);
    list('groups', v.groups);
    if (!v.mail) parts.push('no mail');
  } else if (kind === 'managedIdentity') {
    parts.push(v.type === 'systemAssigned' ? 'system-assigned' : 'user-assigned');
  }
  return parts.length ? `: ${parts.join('; ')}` : '';
}

/** What a changed field does to requests; null where nothing a client sees follows from it alone. */
function effectOf(kind: ChangeKind, name: string, field: string, from: unknown, to: unknown, s: Scenario): string | null {
  const gone = Array.isArray(from) ? from.filter((x) => !(Array.isArray(to) && to.some((y) => same(x, y)))) : [];
  const it = gone.length === 1 ? 'the old one' : 'those';
  if (kind === 'app') {
    const app = s.apps.find((a) => a.name === name);
    switch (field) {
      case 'clientId':
        return `requests with the old client ID ${fmt(from, 'derived from the name')} get AADSTS700016`;
      case 'redirectUris':
      case 'spaRedirectUris':
        return gone.length ? `requests with ${it} get AADSTS50011` : null;
      case 'saml.replyUrls':
        return gone.length ? `SAML requests with ${it} as AssertionConsumerServiceURL get AADSTS50011` : null;
      case 'saml.identifier':
        return `SAML requests whose Issuer is ${fmt(from)} get AADSTS700016`;
      case 'secrets': {
        const values = (x: unknown) => (Array.isArray(x) ? x.map((e) => (isObj(e) ? e.value : e)) : []);
        const dropped = values(from).filter((v) => !values(to).includes(v));
        const expired = (app?.secrets ?? []).filter((e) => typeof e === 'object' && e.expires && e.expires.getTime() < Date.now());
        const said = [dropped.length && `token requests with ${dropped.join(', ')} get AADSTS7000215`, expired.length && `the secret ${expired.map((e) => (typeof e === 'object' ? e.value : e)).join(', ')} has expired: token requests with it get AADSTS7000222`].filter(Boolean);
        return said.join('; ') || null;
      }
      case 'assignmentRequired':
        return to ? 'users not assigned get AADSTS50105' : 'every user may sign in';
      case 'assignments':
        if (!app?.assignmentRequired) return 'no effect while assignment required is off';
        return gone.length ? `${gone.join(', ')} now get${gone.length === 1 ? 's' : ''} AADSTS50105, unless in an assigned group` : null;
      case 'publicClient':
        return to ? 'device code and ROPC work without a secret' : 'requests without a secret get AADSTS7000218';
      case 'signInAudience':
        return to === 'AzureADMyOrg' ? 'sign-ins through /common and /organizations get AADSTS50194' : 'users of any organisation may sign in through /common and /organizations';
      case 'implicitGrant.idTokens':
        return to ? null : 'response_type id_token at /authorize gets AADSTS700054';
      case 'implicitGrant.accessTokens':
        return to ? null : 'response_type token at /authorize gets AADSTS700051';
      case 'groupMembershipClaims':
        return to === 'None' ? 'tokens carry no groups claim' : 'tokens carry the groups claim, with group object IDs';
      case 'saml.requireSignedRequests':
        return to ? 'unsigned AuthnRequests get AADSTS76021' : null;
      case 'saml.groups':
        return to === 'none' ? 'assertions carry no groups attribute' : `assertions carry the groups attribute, with group ${to === 'names' ? 'names' : 'object IDs'}`;
      case 'saml.encryptionCertificate':
        return to ? 'assertions are encrypted for this certificate' : 'assertions are not encrypted';
      case 'saml.signing.nextCertificateFrom': {
        if (!(to instanceof Date)) return null;
        return to.getTime() <= Date.now() ? 'the new SAML certificate already signs: SPs that stored the old one reject the signature until they re-import the metadata' : `metadata lists a second certificate, which signs from ${fmtDate(to)}`;
      }
      default:
        return null;
    }
  }
  if (kind === 'user') {
    switch (field) {
      case 'password':
        return 'sign-ins with the old password get AADSTS50126';
      case 'mail':
        return to ? null : 'tokens carry no email and SAML assertions no mail (user.mail) attribute';
      case 'groups': {
        const n = Array.isArray(to) ? to.length : 0;
        if (n > JWT_GROUPS_LIMIT) return `${n} groups, over ${JWT_GROUPS_LIMIT}: tokens carry _claim_names / _claim_sources (groups overage) instead of groups; SAML assertions (over ${SAML_GROUPS_LIMIT}) carry groups.link`;
        if (n > SAML_GROUPS_LIMIT) return `${n} groups, over ${SAML_GROUPS_LIMIT}: SAML assertions carry groups.link instead of the groups attribute`;
        return null;
      }
      default:
        return null;
    }
  }
  if (kind === 'setting') {
    switch (`${name}.${field}`) {
      case 'tenant.id':
      case 'tenant.domain':
        return `apps configured with ${fmt(from)} get AADSTS90002`;
      case 'signIn.autoSignIn':
        return to ? 'a login_hint naming a known user signs in without a page' : 'every sign-in shows the login page';
      case 'keys.active':
        return `tokens carry the kid of key ${fmt(to)}; apps that pinned the other key reject them`;
      case 'tls.certificate':
        return to === 'untrusted'
          ? 'issued by a CA clients do not trust: HTTPS calls fail with UNABLE_TO_VERIFY_LEAF_SIGNATURE / SELF_SIGNED_CERT_IN_CHAIN'
          : to === 'wrong-host'
            ? 'issued for another host name: HTTPS calls fail with ERR_TLS_CERT_ALTNAME_INVALID'
            : 'issued by the local CA (certs/ca.pem)';
      default:
        return null;
    }
  }
  return null;
}
