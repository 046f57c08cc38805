/**
 * `mock-entra scenario import FILE…`: what a user can download from production, as a scenario.
 * Each file's kind is recognised from its content by one of IMPORTERS (detector + mapper); the
 * apps they yield are written here as one commented scenario that extends the default (or stands
 * alone). Importers yield OIDC apps (manifests), SAML enterprise apps (SP metadata) and, from a
 * capture of a failing sign-in (HAR, SAML-tracer), the app configured to fail the same way plus
 * fault rules and header notes.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { GRAPH } from '../../entra/urls.js';
import { loadScenarioFile, SCENARIO_FILE_LIMIT, SHIPPED_SCENARIOS } from '../load.js';
import { harImporter, samlTracerImporter } from './capture.js';
import { manifestImporter, slugify } from './manifest.js';
import { samlMetadataImporter } from './saml-metadata.js';
import { ImportError, type ImportedApp, type ImportedPart, type ImportedRule, type Importer } from './types.js';
import { YamlOut } from './yaml-out.js';

export type { ImportedApp, ImportedPart, ImportedRule, Importer } from './types.js';
export { ImportError };

/** Every kind of input `scenario import` knows, tried in order; the first whose detector accepts a file maps it. */
export const IMPORTERS: Importer[] = [manifestImporter, samlMetadataImporter, harImporter, samlTracerImporter];

/** Largest input read: HAR files with response content run to megabytes; each importer bounds what it parses further. */
export const IMPORT_FILE_LIMIT = 32 * SCENARIO_FILE_LIMIT;

export interface ImportOptions {
  /** Write a scenario with its own tenant and user instead of `extends` of the default. */
  standalone?: boolean;
  /** The folder the scenario will be written to: `extends` is relative to it. Default: the working directory. */
  outDir?: string;
}

export interface ImportResult {
  /** The scenario, as commented YAML. */
  text: string;
  /** Each field that could not be mapped, and why: one line each. */
  unmapped: string[];
}

const DEFAULT_TENANT = { id: '4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36', domain: 'contoso.onmicrosoft.com' };
const TEST_USER = 'ada';

async function readInput(file: string): Promise<unknown> {
  let text: string;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new ImportError(`${file}: not a regular file: give the path of a downloaded manifest (JSON), SP metadata (XML) or capture (HAR, SAML-tracer JSON)`);
    if (st.size > IMPORT_FILE_LIMIT) throw new ImportError(`${file}: larger than ${IMPORT_FILE_LIMIT} bytes: not a file scenario import knows (for a HAR, record only the sign-in, or save it without content)`);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ImportError) throw err;
    throw new ImportError(`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch {
    return text; // not JSON: an importer for XML or other text may still recognise it
  }
}

/** Reads each file, maps it with the importer that recognises it, and writes the scenario. */
export async function importScenario(files: string[], o: ImportOptions = {}): Promise<ImportResult> {
  const apps: ImportedApp[] = [];
  const unmapped: string[] = [];
  const parts: ImportedPart[] = [];
  for (const file of files) {
    const doc = await readInput(file);
    const importer = IMPORTERS.find((i) => i.detect(doc));
    if (!importer) {
      throw new ImportError(
        `${file}: not a file scenario import recognises. It reads: ${IMPORTERS.map((i) => i.kind).join(', ')} ` +
          '(a manifest: App registrations > your app > Manifest > Download, or `az ad app show --id CLIENT_ID > app.json`; SP metadata: the XML at the application\'s metadata URL; ' +
          'a capture: browser devtools > Network > Save all as HAR, or SAML-tracer > Export).',
      );
    }
    const r = importer.map(doc, basename(file));
    parts.push(r);
    apps.push(...r.apps);
    unmapped.push(...r.unmapped);
  }
  // Two imported apps with one display name, or one named like an app of the default it extends,
  // would merge into one (extends merges apps by name): keep each its own. An app with the client
  // ID of an app of the default (a capture made against the mock) is that app: it takes its name,
  // so the scenario changes it.
  const base = o.standalone ? [] : (await loadScenarioFile(join(SHIPPED_SCENARIOS, 'default.yaml'))).apps;
  const taken = base.map((a) => a.name);
  const seen = new Set<string>(taken);
  for (const a of apps) {
    const same = a.clientId ? base.find((b) => b.clientId === a.clientId.toLowerCase()) : undefined;
    if (same) {
      a.name = same.name;
      continue;
    }
    let n = taken.includes(a.name) ? `${a.name}-imported` : a.name;
    for (let i = 2; seen.has(n); i++) n = `${a.name}-${i}`;
    a.name = n;
    seen.add(n);
  }
  return { text: writeScenario(apps, parts, unmapped, o), unmapped };
}

/** The permissions an app's requiredResourceAccess grants, by API name, for the APIs the scenario has. */
function permissionsOf(app: ImportedApp, apps: ImportedApp[], unmapped: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const push = (api: string, p: string) => {
    const list = (out[api] ??= []);
    if (!list.includes(p)) list.push(p);
  };
  for (const r of app.requiredResourceAccess) {
    if (r.resourceAppId === GRAPH.appId) {
      if (r.name) push(GRAPH.name, r.name);
      else unmapped.push(`${app.source}: requiredResourceAccess Microsoft Graph ${r.type} ${r.id}: not a Graph permission the mock's Graph serves (it serves ${[...new Set([...GRAPH.scopes, ...GRAPH.roles])].join(', ')})`);
      continue;
    }
    const api = apps.find((a) => a.clientId.toLowerCase() === r.resourceAppId.toLowerCase());
    if (!api) {
      unmapped.push(`${app.source}: requiredResourceAccess ${r.resourceAppId} (${r.type} ${r.id}): that API is not in this import; import its manifest with this one (mock-entra scenario import ${app.source} API.json) to grant it`);
      continue;
    }
    const found = r.type === 'Role' ? [...api.roles, ...api.userRoles].find((x) => x.id === r.id) : api.scopes.find((x) => x.id === r.id);
    if (found) push(api.name, found.value);
    else unmapped.push(`${app.source}: requiredResourceAccess ${api.displayName} ${r.type} ${r.id}: ${api.source} defines no ${r.type === 'Role' ? 'app role' : 'scope'} with that ID`);
  }
  return out;
}

function writeScenario(apps: ImportedApp[], parts: ImportedPart[], unmapped: string[], o: ImportOptions): string {
  const perms = new Map(apps.map((a) => [a, permissionsOf(a, apps, unmapped)] as const));
  const y = new YamlOut();
  const names = apps.map((a) => a.name).join(', ');
  const title = apps.length ? apps.map((a) => `${a.displayName} (${a.format}, ${a.source})`).join('; ') : parts.map((p) => p.description).filter(Boolean).join('; ');
  y.comment(`imported — ${title}`);
  y.comment('');
  const notes = parts.flatMap((p) => p.notes ?? []);
  for (const n of notes) y.comment(n);
  if (notes.length) y.comment('');
  const withSecret = apps.filter((a) => !a.noSecret);
  if (withSecret.length && withSecret.every(fromManifest)) {
    y.comment('Written by `mock-entra scenario import` from what production exports. Secrets are never in a');
    y.comment('manifest: each app gets a generated secret below; use it as client_secret against the mock.');
  } else if (withSecret.length) {
    y.comment('Written by `mock-entra scenario import` from what production exports. Secrets are never in');
    y.comment('what it reads: each app gets a generated secret below; use it as client_secret against the mock.');
  } else y.comment('Written by `mock-entra scenario import` from what production exports.');
  y.comment(`Serve it: mock-entra serve -s THIS_FILE; read it: mock-entra scenario explain THIS_FILE.`);
  if (unmapped.length) {
    y.comment('Not mapped (also reported when imported):');
    for (const u of unmapped) y.comment(`  - ${u}`);
  }
  const upn = `${TEST_USER}@${DEFAULT_TENANT.domain}`;
  const described = parts.map((p) => p.description).filter(Boolean);
  const tenant = parts.find((p) => p.tenant)?.tenant;
  if (o.standalone) {
    y.field(0, 'description', described.length === 1 ? described[0] : `${names}, imported from production, in a tenant of its own`);
    y.open(0, 'tenant', tenant ? 'the tenant the capture signed in to' : 'not in a manifest: replace with your tenant (Overview > Tenant ID, Primary domain) if tokens must match');
    y.field(2, 'id', tenant?.id ?? DEFAULT_TENANT.id);
    y.field(2, 'domain', tenant?.domain ?? DEFAULT_TENANT.domain);
  } else {
    const base = relative(o.outDir ?? process.cwd(), join(SHIPPED_SCENARIOS, 'default.yaml')).split(sep).join('/');
    y.field(0, 'extends', base, 'the default tenant, users and sample apps; --standalone writes a tenant of its own');
    y.field(0, 'description', described.length === 1 ? described[0] : `${names}, imported from production`);
    if (tenant && tenant.id !== DEFAULT_TENANT.id && tenant.domain !== DEFAULT_TENANT.domain) {
      y.open(0, 'tenant', 'the tenant the capture signed in to, so the app\'s authority works unchanged');
      if (tenant.id) y.field(2, 'id', tenant.id);
      if (tenant.domain) y.field(2, 'domain', tenant.domain);
    }
  }
  y.blank();
  if (apps.length) {
    y.open(0, 'apps');
    for (const a of apps) writeApp(y, a, perms.get(a) ?? {});
  } else y.field(0, 'apps', [], 'none: the capture\'s app is not registered here, on purpose');
  const roles = apps.filter((a) => a.userRoles.length);
  y.blank();
  y.open(0, 'users', `${upn} signs in (password Passw0rd!)${roles.length ? ' and holds every app role users can hold, so tokens carry the roles claim' : ''}`);
  y.item(2, 'upn', upn);
  if (o.standalone) {
    y.field(4, 'name', 'Ada Lovelace');
    y.field(4, 'password', 'Passw0rd!');
    y.field(4, 'mail', upn);
  }
  if (roles.length) {
    y.open(4, 'appRoles', 'in production: Enterprise applications > the app > Users and groups');
    for (const a of roles) y.field(6, a.name, a.userRoles.map((r) => r.value));
  }
  const rules: ImportedRule[] = parts.flatMap((p) => p.rules ?? []);
  if (rules.length) {
    y.blank();
    y.open(0, 'rules', 'the captured failures the mock cannot produce from configuration');
    for (const r of rules) {
      y.item(2, 'name', r.name);
      y.field(4, 'description', r.description);
      y.field(4, 'when', r.when);
      y.field(4, 'then', r.then);
    }
  }
  return y.toString();
}

function writeApp(y: YamlOut, a: ImportedApp, perms: Record<string, string[]>): void {
  for (const n of a.notes ?? []) y.comment(n, 2);
  y.item(2, 'name', a.name, a.name !== a.displayName ? `displayName ${JSON.stringify(a.displayName)}` : undefined);
  if (a.clientId) y.field(4, 'clientId', a.clientId, 'appId');
  if (!a.noSecret) writeSecrets(y, a);
  writeOidc(y, a, perms);
  if (a.assignmentRequired !== undefined) y.field(4, 'assignmentRequired', a.assignmentRequired, '"Assignment required?" on the enterprise app');
  if (a.assignments) y.field(4, 'assignments', a.assignments, a.assignments.length ? undefined : 'no one is assigned');
  if (a.saml) writeSaml(y, a.saml);
}

const fromManifest = (a: ImportedApp) => a.format.endsWith('manifest');

function writeSecrets(y: YamlOut, a: ImportedApp): void {
  // Secrets: generated; the first passwordCredential gives the name and expiry, so an expired secret in production is expired here too.
  const first = a.passwordCredentials[0];
  const secret = `${first?.hint ?? 'mck'}8Q~${randomBytes(24).toString('base64url')}`;
  y.open(4, 'secrets', `GENERATED: ${fromManifest(a) ? 'a manifest' : 'a capture'} never holds secret values; use this one against the mock`);
  const name = [first?.displayName, first?.hint && `hint ${first.hint}`].filter(Boolean).join(', ') || 'imported';
  const fields: Record<string, string> = { value: secret, name };
  if (first?.endDateTime) fields.expires = first.endDateTime;
  y.entry(6, fields, first ? `from ${fromManifest(a) ? 'passwordCredentials[0]' : 'the capture'}${first.endDateTime ? ': same expiry as production' : ''}` : fromManifest(a) ? 'the manifest has no client secret' : 'the input holds no secret');
  for (const p of a.passwordCredentials.slice(1)) y.comment(`another secret in production: ${p.displayName ?? '(no name)'}${p.hint ? `, hint ${p.hint}` : ''}${p.endDateTime ? `, expires ${p.endDateTime}` : ''}`, 6);
  if (a.keyCredentials.length) {
    y.comment('certificates in production (a manifest has no certificate content; add the PEM under certificates: to use one):', 4);
    for (const k of a.keyCredentials) {
      y.comment(`  - ${[k.displayName ?? '(no name)', k.type, k.usage, k.thumbprint && `thumbprint ${k.thumbprint}`, k.endDateTime && `expires ${k.endDateTime}`].filter(Boolean).join(', ')}`, 4);
    }
  }
}

function writeOidc(y: YamlOut, a: ImportedApp, perms: Record<string, string[]>): void {
  const redirects = [...a.redirectUris, ...a.publicClientRedirectUris.filter((u) => !a.redirectUris.includes(u))];
  if (a.redirectUris.length) y.field(4, 'redirectUris', redirects, a.publicClientRedirectUris.length ? 'web, then public client (mobile and desktop) redirect URIs' : 'web redirect URIs');
  else if (redirects.length) y.field(4, 'redirectUris', redirects, 'public client (mobile and desktop) redirect URIs');
  if (a.spaRedirectUris.length) y.field(4, 'spaRedirectUris', a.spaRedirectUris);
  if (a.implicitGrant.idTokens || a.implicitGrant.accessTokens) y.field(4, 'implicitGrant', a.implicitGrant);
  if (a.frontchannelLogoutUrl) y.field(4, 'frontchannelLogoutUrl', a.frontchannelLogoutUrl, '"Front-channel logout URL" (web.logoutUrl)');
  if (a.signInAudience !== 'AzureADMyOrg') y.field(4, 'signInAudience', a.signInAudience);
  if (a.publicClient) y.field(4, 'publicClient', true, '"Allow public client flows"');
  // The scenario keeps every app role under api.roles (users' appRoles must name one of them).
  if (a.identifierUri || a.scopes.length || a.roles.length || a.userRoles.length || a.accessTokenVersion === 2) {
    y.open(4, 'api');
    if (a.identifierUri) y.field(6, 'identifierUri', a.identifierUri);
    if (a.scopes.length) y.field(6, 'scopes', a.scopes.map((s) => s.value));
    const roles = [...new Set([...a.roles, ...a.userRoles].map((r) => r.value))];
    if (roles.length) y.field(6, 'roles', roles, 'appRoles');
    y.field(6, 'accessTokenVersion', a.accessTokenVersion ?? 1);
  }
  if (Object.keys(perms).length) {
    y.open(4, 'permissions', 'requiredResourceAccess, as if admin consent were granted');
    for (const [api, list] of Object.entries(perms)) y.field(6, api, list);
  }
  if (a.groupMembershipClaims !== 'None') y.field(4, 'groupMembershipClaims', a.groupMembershipClaims);
  if (a.groupClaimNames) y.field(4, 'groupClaimNames', true, 'optionalClaims groups with cloud_displayname');
  if (a.optionalClaims.idToken.length || a.optionalClaims.accessToken.length) {
    y.open(4, 'optionalClaims');
    if (a.optionalClaims.idToken.length) y.field(6, 'idToken', a.optionalClaims.idToken);
    if (a.optionalClaims.accessToken.length) y.field(6, 'accessToken', a.optionalClaims.accessToken);
  }
}

function writeSaml(y: YamlOut, s: NonNullable<ImportedApp['saml']>): void {
  y.open(4, 'saml', 'Single sign-on > SAML > Basic SAML Configuration');
  y.field(6, 'identifier', s.identifier, 'Identifier (Entity ID)');
  y.open(6, 'replyUrls', 'Reply URLs (Assertion Consumer Service), the default first');
  for (const r of s.replyUrls) y.entry(8, r.url, r.note);
  if (s.logoutUrl) y.field(6, 'logoutUrl', s.logoutUrl);
  if (s.nameIdFormat) y.field(6, 'nameIdFormat', s.nameIdFormat, 'Attributes & Claims > Unique User Identifier > name identifier format');
  if (s.claims) {
    y.open(6, 'claims', "Entra's default claims plus the attributes the SP requests");
    for (const [k, v] of Object.entries(s.claims)) y.field(8, JSON.stringify(k), v);
  }
  if (s.requireSignedRequests !== undefined) {
    y.field(6, 'requireSignedRequests', s.requireSignedRequests, s.requireSignedRequests ? 'unsigned AuthnRequests are refused (AADSTS76021)' : 'the SP signs its requests (AuthnRequestsSigned): true refuses unsigned ones, as "Require verification certificates" does');
  }
  if (s.verificationCertificates.length) {
    y.open(6, 'verificationCertificates', "the SP's signing certificates: signed AuthnRequests must verify with one");
    for (const c of s.verificationCertificates) writePem(y, 8, c.pem, c.note, true);
  }
  if (s.encryptionCertificate) {
    y.comment('Token encryption: assertions are encrypted for this certificate (remove it to send them in the clear, Entra\'s default)', 6);
    writePem(y, 6, s.encryptionCertificate.pem, s.encryptionCertificate.note, false, 'encryptionCertificate');
  }
}

/** A PEM certificate as a YAML block scalar (a list entry, or a field). */
function writePem(y: YamlOut, indent: number, pem: string, note: string, entry: boolean, key?: string): void {
  y.comment(note, indent);
  y.block(indent, entry ? '-' : `${key}:`, pem);
}

export { slugify };
