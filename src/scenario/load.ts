/** Reads a scenario file (YAML or JSON) and validates it; errors name the file, the path inside it and what was expected. */
import { X509Certificate } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
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

/** The nearest of `candidates` to a mistyped `word` (case-insensitive edit distance, or a prefix of three letters or more), if one is near enough to suggest. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const l = c.toLowerCase();
    const d = l === w ? 0 : Math.min(l.length, w.length) >= 3 && (l.startsWith(w) || w.startsWith(l)) ? 1 : editDistance(w, l);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(1, Math.floor(w.length / 3)) ? best : undefined;
}

/** Levenshtein distance, a swap of two neighbours counting once (optimal string alignment). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Infinity;
  const rows = [...Array<number[]>(a.length + 1)].map((_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

const didYouMean = (word: unknown, candidates: Iterable<string>) => {
  const near = typeof word === 'string' ? nearest(word, candidates) : undefined;
  return near === undefined ? '' : `did you mean '${near}'?`;
};

/** "a, b or c". */
const orList = (items: string[]) => (items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}` : (items[0] ?? ''));

const TYPE_NAMES: Record<string, string> = { string: 'a string', number: 'a number', int: 'a whole number', boolean: 'a boolean (true or false)', object: 'an object', array: 'a list', date: 'a date', record: 'an object' };

/** What a value from the file is, for "got …": YAML gives strings, numbers, booleans, null, lists and mappings. */
function got(input: unknown): string {
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  if (input instanceof Date) return `the date ${input.toISOString().slice(0, 10)}`;
  if (typeof input === 'string') return `the string '${input.length > 60 ? `${input.slice(0, 60)}…` : input}'`;
  if (typeof input === 'object') return 'an object';
  return `the ${typeof input} ${String(input)}`;
}

const quote = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));

/** A zod schema's definition, read through the few wrappers a scenario schema uses (optional, default, transforms). */
interface Def {
  type: string;
  innerType?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
  options?: Array<{ _zod: { def: Def } }>;
  shape?: Record<string, { _zod: { def: Def } }>;
  entries?: Record<string, string | number>;
  values?: unknown[];
  element?: { _zod: { def: Def } };
}
function defOf(schema: unknown): Def | undefined {
  let d = (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;
  while (d && (d.type === 'optional' || d.type === 'default' || d.type === 'pipe' || d.type === 'nullable')) d = (d.innerType ?? d.in)?._zod.def;
  return d;
}

/** One accepted form of a value, in words: `always`, `{ first: <number> }`, `a list of these`. */
function formOf(d: Def | undefined): string[] {
  if (!d) return ['a value'];
  if (d.type === 'enum') return Object.values(d.entries ?? {}).map(String);
  if (d.type === 'literal') return (d.values ?? []).map(String);
  if (d.type === 'union') {
    const out: string[] = [];
    for (const o of d.options ?? []) {
      const od = defOf(o);
      const ofValues = od?.type === 'array' && out.length > 0 && ['enum', 'literal'].includes(defOf(od.element)?.type ?? '');
      out.push(...(ofValues ? ['a list of these'] : formOf(od)));
    }
    return out;
  }
  if (d.type === 'object') {
    const keys = Object.keys(d.shape ?? {});
    return [keys.length === 1 ? `{ ${keys[0]}: <${defOf(d.shape![keys[0]!])?.type ?? 'value'}> }` : `an object with ${keys.join(', ')}`];
  }
  return [TYPE_NAMES[d.type] ?? d.type];
}

/** The keys an object schema knows (for unknown keys), across a union's object forms. */
function keysOf(d: Def | undefined): string[] {
  if (!d) return [];
  if (d.type === 'object') return Object.keys(d.shape ?? {});
  if (d.type === 'union') return (d.options ?? []).flatMap((o) => keysOf(defOf(o)));
  return [];
}

const unknownKeys = (keys: string[], known: string[]) =>
  keys.map((k) => `unknown key '${k}': ${didYouMean(k, known) || `(known keys: ${known.join(', ')})`}`.replace(': (', ' (')).join('; ');

/** "of at least 1" for z.number().int().positive() (an exclusive bound of a whole number, made inclusive), "greater than 0.5" otherwise. */
function bound(iss: z.core.$ZodRawIssue, inclusive: string, exclusive: string, limit: number | bigint, step: number): string {
  const checks = (iss.schema as { _zod?: { def?: { checks?: Array<{ _zod: { def: { format?: string } } }> } } } | undefined)?._zod?.def?.checks ?? [];
  const whole = checks.some((c) => /int/.test(c._zod.def.format ?? ''));
  if (iss.inclusive !== false) return `of ${inclusive} ${String(limit)}`;
  return whole ? `of ${inclusive} ${Number(limit) + step}` : `${exclusive} ${String(limit)}`;
}

/**
 * zod's messages, rewritten for a person editing a scenario file: what was found, what is
 * allowed (every value of an enum, every form of a union), and the nearest allowed value or key.
 */
function errorMap(iss: z.core.$ZodRawIssue): string | undefined {
  switch (iss.code) {
    case 'invalid_value': {
      const values = iss.values.map(String);
      const near = didYouMean(iss.input, values);
      return `${quote(iss.input)} is not allowed: expected ${values.length > 2 ? `one of ${values.join(', ')}` : orList(values)}${near ? `; ${near}` : ''}`;
    }
    case 'unrecognized_keys':
      return unknownKeys(iss.keys, keysOf(defOf(iss.inst)));
    case 'invalid_type':
      if (iss.input === undefined || iss.input === null) return `${iss.input === null ? 'empty' : 'missing'}: expected ${TYPE_NAMES[iss.expected] ?? iss.expected}`;
      return `expected ${TYPE_NAMES[iss.expected] ?? iss.expected}, got ${got(iss.input)}`;
    case 'too_small':
      if (iss.origin === 'array') return `expected at least ${iss.minimum === 1 ? 'one entry' : `${String(iss.minimum)} entries`}`;
      if (iss.origin === 'string') return iss.minimum === 1 ? 'expected a non-empty string' : `expected at least ${String(iss.minimum)} characters`;
      return `expected a number ${bound(iss, 'at least', 'greater than', iss.minimum, 1)}`;
    case 'too_big':
      if (iss.origin === 'array') return `expected at most ${String(iss.maximum)} entries`;
      if (iss.origin === 'string') return `expected at most ${String(iss.maximum)} characters`;
      return `expected a number ${bound(iss, 'at most', 'less than', iss.maximum, -1)}`;
    case 'invalid_union': {
      const d = defOf(iss.inst);
      const forms = [...new Set(formOf(d))];
      const keys = keysOf(d);
      const input = iss.input;
      const extra = isObject(input) ? Object.keys(input).filter((k) => !keys.includes(k)) : [];
      const head = extra.length ? `unknown key ${extra.map(quote).join(', ')}` : typeof input === 'string' || typeof input === 'number' ? `${quote(input)} is not allowed` : `got ${got(input)}`;
      const near = extra.length ? didYouMean(extra[0], keys) : didYouMean(input, forms.filter((f) => /^[^\s{<]+$/.test(f)));
      return `${head}: expected ${orList(forms)}${near ? `; ${near}` : ''}`;
    }
    default:
      return undefined;
  }
}

/** A union branch the value was not even the kind of (a string given where an object is expected). */
function wrongKind(issues: z.core.$ZodIssue[], input: unknown): boolean {
  const primitive = input === null || typeof input !== 'object';
  return issues.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || (i.code === 'invalid_value' && !(primitive && i.values.some((v) => typeof v === typeof input)))));
}

/**
 * Each issue as "path: message". A union whose value fits exactly one of its forms (a list of
 * endpoints, a secret as an object) reports that form's own problems, at their own paths; otherwise
 * the union's message lists every form.
 */
function describeIssues(issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length) {
      const fitting = issue.errors.filter((b) => !wrongKind(b, issue.input));
      const keyed = fitting.filter((b) => !b.some((i) => i.path.length === 0 && i.code === 'unrecognized_keys'));
      const only = fitting.length === 1 ? fitting[0] : keyed.length === 1 ? keyed[0] : undefined;
      if (only && !only.every((i) => i.path.length === 0 && i.code === 'invalid_value')) return describeIssues(only, path);
    }
    return [`${formatPath(path)}: ${issue.message}`];
  });
}

/** Validates an already-parsed value (inline scenarios from code or the admin API). */
export function parseScenario(value: unknown, source = '<inline>'): Scenario {
  const result = schemas().scenarioSchema.safeParse(value ?? {}, { error: errorMap, reportInput: true });
  if (!result.success) throw new ScenarioError(source, describeIssues(result.error.issues));
  const scenario = result.data;
  checkReferences(scenario, source);
  return scenario;
}

/** yaml, like zod, loads on first use (synchronously, its CommonJS build): compiled scenarios need neither. */
let yaml: typeof Yaml | undefined;

/** What to do about a YAML syntax error, by the yaml library's code (its own message says what is wrong). */
const YAML_FIXES: Partial<Record<string, string>> = {
  BLOCK_AS_IMPLICIT_KEY: 'quote a value that contains ": " (a: "b: c"), or put the nested keys on their own, indented lines',
  MULTILINE_IMPLICIT_KEY: 'a key and its colon belong on one line: check the indentation of this line and the one before',
  DUPLICATE_KEY: 'each key may appear once in a mapping: remove or merge the repeated one',
  TAB_AS_INDENT: 'indent with spaces',
  BAD_SCALAR_START: 'quote the value',
  BAD_INDENT: 'indent the line under its parent key, and close every [ with ] and every { with }',
  UNEXPECTED_TOKEN: 'check the indentation: entries of one list or mapping start in the same column',
  MISSING_CHAR: 'close what is opened on this line or above',
  BAD_ALIAS: 'define the anchor (&name) before its alias (*name), or quote a value that starts with *',
};

/**
 * A YAML syntax error as `file:line:column: message (what to do)`, the form editors and terminals
 * link; yaml's pretty message (" at line 3, column 1:" and a snippet) is cut to its first clause.
 */
function yamlProblem(source: string, e: { message: string; code?: string; linePos?: Array<{ line: number; col: number }> }): string {
  const pos = e.linePos?.[0];
  const where = pos ? `${source}:${pos.line}:${pos.col}` : source;
  const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?\s*$/, '').replace(/[:\s]+$/, '');
  const fix = (e.code && YAML_FIXES[e.code]) ?? 'check the YAML syntax there';
  return `${where}: ${message} (${fix})`;
}

/** Parses YAML (or JSON) text without validating it; syntax errors throw ScenarioError naming `source`. */
export function parseYaml(text: string, source: string): unknown {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  const doc = yaml.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // One cause often yields several errors at one position: the first says it best.
    const seen = new Set<string>();
    const first = doc.errors.filter((e) => {
      const key = `${e.linePos?.[0]?.line}:${e.linePos?.[0]?.col}`;
      return !seen.has(key) && seen.add(key);
    });
    throw new ScenarioError(source, first.map((e) => yamlProblem(source, e)));
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An alias to no anchor, or aliases beyond maxAliasCount: found only when the document is built.
    throw new ScenarioError(source, [yamlProblem(source, { message: (err as Error).message, code: 'BAD_ALIAS' })]);
  }
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
  /** Collects the paths `extends` looked for and did not find (a file created there later changes what it resolves to). */
  absent?: string[];
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
  const baseRaw = await readRaw(await resolveExtends(base as string, file, o), [...chain, file], o);
  return mergeScenario(baseRaw, rest);
}

/** The names of the shipped scenarios (`default`, `first-test-failure`, …), as `extends` and `--scenario` take them. */
export function shippedScenarioNames(): string[] {
  return readdirSync(SHIPPED_SCENARIOS)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

const exists = (file: string) => stat(file).then(
  () => true,
  () => false,
);

/**
 * Where `extends: REF` points: REF relative to the extending file's folder (also with .yaml added),
 * then, for a bare name (`default`, `default.yaml`), the shipped scenario of that name, found
 * relative to this module, so it works from any folder and from node_modules. A file is never its
 * own base: an own `default.yaml` that says `extends: default` gets the shipped one.
 */
async function resolveExtends(ref: string, from: string, o: LoadOptions): Promise<string> {
  const near = resolve(dirname(from), ref);
  const candidates = [near, ...(extname(ref) ? [] : [`${near}.yaml`])];
  const name = /^[a-z0-9][a-z0-9._-]*$/i.test(ref) ? ref.replace(/\.ya?ml$/i, '') : undefined;
  if (name && shippedScenarioNames().includes(name)) candidates.push(join(SHIPPED_SCENARIOS, `${name}.yaml`));
  for (const c of candidates) {
    if (c === from) continue;
    if (await exists(c)) return c;
    o.absent?.push(c);
  }
  const names = shippedScenarioNames();
  const suggestion = name ? didYouMean(name, names) : '';
  throw new ScenarioError(from, [
    `extends: '${ref}' not found (looked for ${candidates.filter((c) => c !== from).join(', ')}); relative paths are looked up from this file's folder (${dirname(from)}), and shipped scenarios are named without a path (extends: default): ${names.join(', ')} (mock-entra scenario list)${suggestion ? `; ${suggestion}` : ''}`,
  ]);
}

/** Reads a scenario file (YAML or JSON), resolving `extends`, and validates it; throws ScenarioError naming the file by its absolute path. */
export async function loadScenarioFile(file: string, o: LoadOptions = {}): Promise<Scenario> {
  const abs = resolve(file);
  return parseScenario(await readRaw(abs, [], o), abs);
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
    const name = typeof r.times === 'object' ? ('until' in r.times ? ['until', r.times.until] : 'while' in r.times ? ['while', r.times.while] : undefined) : undefined;
    if (name && !(name[1]! in s.switches)) problems.push(`rules[${i}].times.${name[0]}: no switch named '${name[1]}' (declare it under switches)`);
  });
  if (problems.length) throw new ScenarioError(source, problems);
}
