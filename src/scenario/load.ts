/** Reads a scenario file (YAML or JSON) and validates it; errors name the file, the path inside it and what was expected. */
import { X509Certificate } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { z } from 'zod';
import { ARM, GRAPH } from '../entra/urls.js';
import { type Scenario, schemas } from './schema.js';

/** An invalid scenario: `file` and `problems` (each "path: what was expected") say what to fix. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid scenario\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

/** `apps[0].secrets[1].expires` from zod's path array. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/** Validates an already-parsed value (inline scenarios from code or the admin API). */
export function parseScenario(value: unknown, source = '<inline>'): Scenario {
  const result = schemas().scenarioSchema.safeParse(value ?? {});
  if (!result.success) throw new ScenarioError(source, result.error.issues.map(describeIssue));
  const scenario = result.data;
  checkReferences(scenario, source);
  return scenario;
}

/** yaml, like zod, loads on first use (synchronously, its CommonJS build): compiled scenarios need neither. */
let yaml: typeof Yaml | undefined;

/** Parses YAML (or JSON) text without validating it; syntax errors throw ScenarioError naming `source`. */
export function parseYaml(text: string, source: string): unknown {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  const doc = yaml.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(source, doc.errors.map((e) => e.message.split('\n')[0] ?? e.message));
  }
  return doc.toJS({ maxAliasCount: 100 });
}

/** Parses YAML (a superset of JSON) text, then validates it. `extends` is not available without a file. */
export function parseScenarioText(text: string, source = '<inline>'): Scenario {
  return parseScenario(parseYaml(text, source), source);
}

/** The shipped scenarios (scenarios/ of the package). */
export const SHIPPED_SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** A scenario file is text a person wrote: far below this. */
export const SCENARIO_FILE_LIMIT = 1024 * 1024;

/** Where a scenario file may come from, when confined (the admin API): inside one of these folders. */
export interface LoadOptions {
  allowedRoots?: string[];
  /** Collects every file read (the file and what it extends), for the compiled cache to check later. */
  files?: Array<{ file: string; text: string }>;
}

async function checkFile(file: string, o: LoadOptions): Promise<void> {
  let real: string;
  try {
    real = await realpath(file);
  } catch (err) {
    throw new ScenarioError(file, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  if (o.allowedRoots && !o.allowedRoots.some((root) => real === root || real.startsWith(root.endsWith(sep) ? root : `${root}${sep}`))) {
    throw new ScenarioError(file, [`not in a folder scenarios may be loaded from: ${o.allowedRoots.join(', ')} (the running scenario's folder and the shipped scenarios)`]);
  }
  const st = await stat(real);
  if (!st.isFile()) throw new ScenarioError(file, ['not a regular file: give the path of a .yaml or .json scenario file']);
  if (st.size > SCENARIO_FILE_LIMIT) throw new ScenarioError(file, [`larger than ${SCENARIO_FILE_LIMIT} bytes: not a scenario file`]);
}

async function readRaw(file: string, chain: string[], o: LoadOptions = {}): Promise<unknown> {
  if (chain.includes(file)) throw new ScenarioError(file, [`extends: a cycle (${[...chain, file].join(' -> ')})`]);
  await checkFile(file, o);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  o.files?.push({ file, text });
  const raw = parseYaml(text, file);
  if (!isObject(raw) || typeof raw.extends !== 'string') return raw;
  const { extends: base, ...rest } = raw;
  const baseRaw = await readRaw(resolve(dirname(file), base as string), [...chain, file], o);
  return mergeScenario(baseRaw, rest);
}

/** Reads a scenario file (YAML or JSON), resolving `extends`, and validates it; throws ScenarioError. */
export async function loadScenarioFile(file: string, o: LoadOptions = {}): Promise<Scenario> {
  return parseScenario(await readRaw(resolve(file), [], o), file);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** Lists whose entries merge by a key instead of being replaced: a scenario changes one app without restating the rest. */
const KEYED_LISTS: Record<string, string> = { apps: 'name', users: 'upn', groups: 'name', managedIdentities: 'name' };

/**
 * `extends: default.yaml` merges this file over the base: objects deep-merge, apps/users/groups
 * (and managed identities) merge by name or UPN, rules are appended after the base's, other values replace.
 */
export function mergeScenario(base: unknown, over: unknown, key?: string, nested = false): unknown {
  if (key && KEYED_LISTS[key] && Array.isArray(base) && Array.isArray(over)) {
    const id = KEYED_LISTS[key]!;
    const out = [...base];
    for (const item of over) {
      const i = isObject(item) ? out.findIndex((b) => isObject(b) && b[id] === item[id]) : -1;
      if (i >= 0) out[i] = mergeScenario(out[i], item, undefined, true);
      else out.push(item);
    }
    return out;
  }
  if (key === 'rules' && Array.isArray(base) && Array.isArray(over)) return [...base, ...over];
  if (isObject(base) && isObject(over)) {
    const out: Record<string, unknown> = { ...base };
    // Keyed lists and rules are top-level only: a user's `groups` (names) is replaced, not merged.
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? mergeScenario(base[k], v, nested ? undefined : k, true) : v;
    return out;
  }
  return over;
}

/** Cross-references the schema cannot express: names that must point at something. */
function checkReferences(s: Scenario, source: string): void {
  const problems: string[] = [];
  const groupNames = new Set(s.groups.map((g) => g.name));
  const upns = new Set(s.users.map((u) => u.upn.toLowerCase()));
  const seen = new Map<string, string>();
  const unique = (kind: string, value: string | undefined, where: string) => {
    if (!value) return;
    const key = `${kind}:${value.toLowerCase()}`;
    const first = seen.get(key);
    if (first) problems.push(`${where}: ${kind} '${value}' is already used at ${first}`);
    else seen.set(key, where);
  };
  s.users.forEach((u, i) => {
    unique('user', u.upn, `users[${i}].upn`);
    u.groups.forEach((g, j) => {
      if (!groupNames.has(g)) problems.push(`users[${i}].groups[${j}]: no group named '${g}' (declare it under groups)`);
    });
  });
  for (const [i, g] of s.groups.entries()) unique('group', g.name, `groups[${i}].name`);
  s.apps.forEach((a, i) => {
    unique('app name', a.name, `apps[${i}].name`);
    unique('client ID', a.clientId, `apps[${i}].clientId`);
    unique('Identifier', a.saml?.identifier, `apps[${i}].saml.identifier`);
    for (const [api, perms] of Object.entries(a.permissions)) {
      const firstParty = api === GRAPH.name ? GRAPH : api === ARM.name ? ARM : undefined;
      const target = firstParty ? { api: { roles: [...firstParty.roles] as string[], scopes: [...firstParty.scopes] as string[] } } : s.apps.find((x) => x.name === api);
      if (!target?.api) {
        problems.push(`apps[${i}].permissions.${api}: no app named '${api}' with an api section`);
        continue;
      }
      for (const p of perms) {
        if (!target.api.roles.includes(p) && !target.api.scopes.includes(p)) {
          problems.push(`apps[${i}].permissions.${api}: '${p}' is neither a role nor a scope of ${api} (expected one of ${[...target.api.roles, ...target.api.scopes].join(', ') || 'none'})`);
        }
      }
    }
    // A PEM that is not a certificate would be accepted, then fail every request that uses it.
    const certificate = (pem: string, where: string) => {
      try {
        new X509Certificate(pem);
      } catch (err) {
        problems.push(`${where}: not a certificate (${(err as Error).message.split('\n')[0]}): paste the whole PEM, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----`);
      }
    };
    a.certificates.forEach((c, j) => certificate(c, `apps[${i}].certificates[${j}]`));
    a.saml?.verificationCertificates.forEach((c, j) => certificate(c, `apps[${i}].saml.verificationCertificates[${j}]`));
    if (a.saml?.encryptionCertificate) certificate(a.saml.encryptionCertificate, `apps[${i}].saml.encryptionCertificate`);
    a.assignments.forEach((x, j) => {
      if (!upns.has(x.toLowerCase()) && !groupNames.has(x)) {
        problems.push(`apps[${i}].assignments[${j}]: '${x}' is neither a user UPN nor a group name`);
      }
    });
  });
  s.users.forEach((u, i) => {
    for (const [appName, roles] of Object.entries(u.appRoles)) {
      const target = s.apps.find((x) => x.name === appName);
      if (!target) {
        problems.push(`users[${i}].appRoles.${appName}: no app named '${appName}'`);
        continue;
      }
      for (const r of roles) {
        if (!target.api?.roles.includes(r)) problems.push(`users[${i}].appRoles.${appName}: '${r}' is not an app role of ${appName} (expected one of ${target.api?.roles.join(', ') || 'none'})`);
      }
    }
  });
  // Managed identities: their names and IDs are unique, one system-assigned at most (what a request naming none gets), grants name app roles.
  s.managedIdentities.forEach((m, i) => {
    const where = `managedIdentities[${i}]`;
    unique('managed identity', m.name, `${where}.name`);
    unique('client ID', m.clientId, `${where}.clientId`);
    unique('object ID', m.objectId, `${where}.objectId`);
    if (m.type === 'systemAssigned' && s.managedIdentities.findIndex((x) => x.type === 'systemAssigned') < i) {
      problems.push(`${where}.type: only one systemAssigned identity is allowed (a resource has one); make this one userAssigned`);
    }
    for (const [api, roles] of Object.entries(m.permissions)) {
      const target = api === GRAPH.name ? { api: { roles: [...GRAPH.roles] as string[] } } : s.apps.find((x) => x.name === api);
      if (!target?.api) {
        problems.push(`${where}.permissions.${api}: no app named '${api}' with an api section`);
        continue;
      }
      for (const r of roles) {
        if (!target.api.roles.includes(r)) problems.push(`${where}.permissions.${api}: '${r}' is not an app role of ${api} (managed identities get application permissions only; expected one of ${target.api.roles.join(', ') || 'none'})`);
      }
    }
  });
  s.rules.forEach((r, i) => {
    if (typeof r.times === 'object' && 'until' in r.times && !(r.times.until in s.switches)) {
      problems.push(`rules[${i}].times.until: no switch named '${r.times.until}' (declare it under switches)`);
    }
  });
  if (problems.length) throw new ScenarioError(source, problems);
}
