/**
 * `mock-entra scenario import FILE…`: what a user can download from production, as a scenario.
 * Each file's kind is recognised from its content by one of IMPORTERS (detector + mapper); the
 * apps they yield are written here as one commented scenario that extends the default (or stands
 * alone). SP SAML metadata and HAR / SAML-tracer captures plug in as further importers.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { GRAPH } from '../../entra/urls.js';
import { loadScenarioFile, SCENARIO_FILE_LIMIT, SHIPPED_SCENARIOS } from '../load.js';
import { manifestImporter, slugify } from './manifest.js';
import type { ImportedApp, Importer } from './types.js';
import { YamlOut } from './yaml-out.js';

export type { ImportedApp, Importer } from './types.js';

/** Every kind of input `scenario import` knows, tried in order; the first whose detector accepts a file maps it. */
export const IMPORTERS: Importer[] = [manifestImporter];

/** A file no importer recognises, or cannot be read: the CLI exits 2 with this message. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

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
    if (!st.isFile()) throw new ImportError(`${file}: not a regular file: give the path of a downloaded manifest (JSON)`);
    if (st.size > 4 * SCENARIO_FILE_LIMIT) throw new ImportError(`${file}: larger than ${4 * SCENARIO_FILE_LIMIT} bytes: not a file scenario import knows`);
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
  for (const file of files) {
    const doc = await readInput(file);
    const importer = IMPORTERS.find((i) => i.detect(doc));
    if (!importer) {
      throw new ImportError(
        `${file}: not a file scenario import recognises. It reads: ${IMPORTERS.map((i) => i.kind).join(', ')} ` +
          '(download it from the portal: App registrations > your app > Manifest > Download, or run `az ad app show --id CLIENT_ID > app.json`).',
      );
    }
    const r = importer.map(doc, basename(file));
    apps.push(...r.apps);
    unmapped.push(...r.unmapped);
  }
  // Two imported apps with one display name, or one named like an app of the default it extends,
  // would merge into one (extends merges apps by name): keep each its own.
  const taken = o.standalone ? [] : (await loadScenarioFile(join(SHIPPED_SCENARIOS, 'default.yaml'))).apps.map((a) => a.name);
  const seen = new Set<string>(taken);
  for (const a of apps) {
    let n = taken.includes(a.name) ? `${a.name}-imported` : a.name;
    for (let i = 2; seen.has(n); i++) n = `${a.name}-${i}`;
    a.name = n;
    seen.add(n);
  }
  return { text: writeScenario(apps, unmapped, o), unmapped };
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

function writeScenario(apps: ImportedApp[], unmapped: string[], o: ImportOptions): string {
  const perms = new Map(apps.map((a) => [a, permissionsOf(a, apps, unmapped)] as const));
  const y = new YamlOut();
  const names = apps.map((a) => a.name).join(', ');
  y.comment(`imported — ${apps.map((a) => `${a.displayName} (${a.format}, ${a.source})`).join('; ')}`);
  y.comment('');
  y.comment('Written by `mock-entra scenario import` from what production exports. Secrets are never in a');
  y.comment('manifest: each app gets a generated secret below; use it as client_secret against the mock.');
  y.comment(`Serve it: mock-entra serve -s THIS_FILE; read it: mock-entra scenario explain THIS_FILE.`);
  if (unmapped.length) {
    y.comment('Not mapped (also reported when imported):');
    for (const u of unmapped) y.comment(`  - ${u}`);
  }
  const upn = `${TEST_USER}@${DEFAULT_TENANT.domain}`;
  if (o.standalone) {
    y.field(0, 'description', `${names}, imported from production, in a tenant of its own`);
    y.open(0, 'tenant', 'not in a manifest: replace with your tenant (Overview > Tenant ID, Primary domain) if tokens must match');
    y.field(2, 'id', DEFAULT_TENANT.id);
    y.field(2, 'domain', DEFAULT_TENANT.domain);
  } else {
    const base = relative(o.outDir ?? process.cwd(), join(SHIPPED_SCENARIOS, 'default.yaml')).split(sep).join('/');
    y.field(0, 'extends', base, 'the default tenant, users and sample apps; --standalone writes a tenant of its own');
    y.field(0, 'description', `${names}, imported from production`);
  }
  y.blank();
  y.open(0, 'apps');
  for (const a of apps) writeApp(y, a, perms.get(a) ?? {});
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
  return y.toString();
}

function writeApp(y: YamlOut, a: ImportedApp, perms: Record<string, string[]>): void {
  y.item(2, 'name', a.name, a.name !== a.displayName ? `displayName ${JSON.stringify(a.displayName)}` : undefined);
  y.field(4, 'clientId', a.clientId, 'appId');
  // Secrets: generated; the first passwordCredential gives the name and expiry, so an expired secret in production is expired here too.
  const first = a.passwordCredentials[0];
  const secret = `${first?.hint ?? 'mck'}8Q~${randomBytes(24).toString('base64url')}`;
  y.open(4, 'secrets', 'GENERATED: a manifest never holds secret values; use this one against the mock');
  const name = [first?.displayName, first?.hint && `hint ${first.hint}`].filter(Boolean).join(', ') || 'imported';
  const fields: Record<string, string> = { value: secret, name };
  if (first?.endDateTime) fields.expires = first.endDateTime;
  y.entry(6, fields, first ? `from passwordCredentials[0]${first.endDateTime ? ': same expiry as production' : ''}` : 'the manifest has no client secret');
  for (const p of a.passwordCredentials.slice(1)) y.comment(`another secret in production: ${p.displayName ?? '(no name)'}${p.hint ? `, hint ${p.hint}` : ''}${p.endDateTime ? `, expires ${p.endDateTime}` : ''}`, 6);
  if (a.keyCredentials.length) {
    y.comment('certificates in production (a manifest has no certificate content; add the PEM under certificates: to use one):', 4);
    for (const k of a.keyCredentials) {
      y.comment(`  - ${[k.displayName ?? '(no name)', k.type, k.usage, k.thumbprint && `thumbprint ${k.thumbprint}`, k.endDateTime && `expires ${k.endDateTime}`].filter(Boolean).join(', ')}`, 4);
    }
  }
  const redirects = [...a.redirectUris, ...a.publicClientRedirectUris.filter((u) => !a.redirectUris.includes(u))];
  if (a.redirectUris.length) y.field(4, 'redirectUris', redirects, a.publicClientRedirectUris.length ? 'web, then public client (mobile and desktop) redirect URIs' : 'web redirect URIs');
  else if (redirects.length) y.field(4, 'redirectUris', redirects, 'public client (mobile and desktop) redirect URIs');
  if (a.spaRedirectUris.length) y.field(4, 'spaRedirectUris', a.spaRedirectUris);
  if (a.implicitGrant.idTokens || a.implicitGrant.accessTokens) y.field(4, 'implicitGrant', a.implicitGrant);
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

export { slugify };
