/**
 * Compiled scenarios: a scenario validated once is kept as JSON in the certs directory
 * (`scenario-cache/`), so later starts skip YAML and zod (about a fifth of a cold start).
 *
 * An entry is used only when every file it was built from (the file and what it `extends`) still
 * has the same bytes, no file has appeared where `extends` looked first and found none (an own
 * default.yaml created beside a file that extends the shipped `default`), and the schema, loader and defaults modules are the same as when it was
 * written. Anything else, or an unreadable or damaged entry, loads the scenario in full; writing is
 * best effort (a read-only certs directory just means no cache).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile, parseScenario } from './load.js';
import type { Scenario } from './schema.js';

/** Entries beyond this (oldest first) are removed when one is written: each edit of a scenario makes one. */
const MAX_ENTRIES = 64;
const DATE = '\u0000date';

const sha = (text: string) => createHash('sha256').update(text).digest('base64url');
/** The hash by which a scenario's source files are told apart (the cache's, and serve --watch's). */
export const sourceSha = sha;

/** What a scenario was built from: each file read (the file and what it `extends`) with its hash, and where `extends` looked and found nothing. */
export interface ScenarioSources {
  files: Array<{ file: string; sha: string }>;
  absent: string[];
}

let fingerprint: string | undefined;
/** What the compiled form depends on besides the files: the modules that validate, merge and fill in defaults. */
function codeFingerprint(): string {
  if (fingerprint === undefined) {
    // .ts when run from source (the test suite), .js when built.
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    fingerprint = sha(['schema', 'load', 'defaults'].map((m) => readFileSync(fileURLToPath(new URL(`./${m}${ext}`, import.meta.url)), 'utf8')).join('\0'));
  }
  return fingerprint;
}

/** JSON with the scenario's dates (secret expiry) kept as dates. */
function serialize(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { [DATE]: raw.toISOString() } : v;
  });
}

function revive(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => (v && typeof v === 'object' && typeof (v as Record<string, unknown>)[DATE] === 'string' ? new Date((v as Record<string, string>)[DATE]!) : v));
}

interface Entry {
  fingerprint: string;
  files: Array<{ file: string; sha: string }>;
  /** Where `extends` looked and found nothing: a file there now would be read instead. */
  absent?: string[];
  scenario: string;
}

const entryPath = (cacheDir: string, key: string) => join(cacheDir, `${sha(key)}.json`);

async function readEntry(path: string): Promise<Entry | undefined> {
  try {
    const e = JSON.parse(await readFile(path, 'utf8')) as Entry;
    return e.fingerprint === codeFingerprint() && Array.isArray(e.files) && typeof e.scenario === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}

async function writeEntry(cacheDir: string, path: string, entry: Entry): Promise<void> {
  try {
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(entry), { mode: 0o600 });
    await rename(tmp, path);
    const names = (await readdir(cacheDir)).filter((n) => n.endsWith('.json'));
    if (names.length > MAX_ENTRIES) {
      const aged = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(cacheDir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
      aged.sort((a, b) => a.t - b.t);
      await Promise.all(aged.slice(0, names.length - MAX_ENTRIES).map((a) => rm(join(cacheDir, a.n), { force: true })));
    }
  } catch {
    // Best effort: the scenario is loaded either way.
  }
}

/** Each file the entry was built from still has the same bytes, and `extends` would still resolve to them. */
async function stillValid(e: Pick<Entry, 'files' | 'absent'>): Promise<boolean> {
  for (const f of e.files) {
    const text = await readFile(f.file, 'utf8').catch(() => undefined);
    if (text === undefined || sha(text) !== f.sha) return false;
  }
  for (const file of e.absent ?? []) {
    if (await stat(file).then(() => true, () => false)) return false;
  }
  return true;
}

/** Whether a file of `sources` changed, or one appeared where `extends` found none, since they were read. */
export async function sourcesChanged(sources: ScenarioSources): Promise<boolean> {
  return !(await stillValid(sources));
}

/**
 * loadScenarioFile(), through the cache in `cacheDir`; without one, the plain load. Throws
 * ScenarioError. `sources` (filled in): what the scenario was built from, for serve --watch.
 */
export async function loadCompiledScenario(file: string, cacheDir?: string, sources?: ScenarioSources): Promise<Scenario> {
  const abs = resolve(file);
  const path = cacheDir ? entryPath(cacheDir, `file:${abs}`) : undefined;
  const cached = path ? await readEntry(path) : undefined;
  if (cached && (await stillValid(cached))) {
    sources?.files.push(...cached.files);
    sources?.absent.push(...(cached.absent ?? []));
    return revive(cached.scenario) as Scenario;
  }
  const files: Array<{ file: string; text: string }> = [];
  const absent: string[] = [];
  const scenario = await loadScenarioFile(file, { files, absent });
  const read = files.map((f) => ({ file: f.file, sha: sha(f.text) }));
  sources?.files.push(...read);
  sources?.absent.push(...absent);
  if (cacheDir && path) await writeEntry(cacheDir, path, { fingerprint: codeFingerprint(), files: read, absent, scenario: serialize(scenario) });
  return scenario;
}

/** parseScenario() of a scenario built in code, through the cache (keyed by its content). */
export async function parseCompiledScenario(value: unknown, cacheDir?: string): Promise<Scenario> {
  if (!cacheDir) return parseScenario(value);
  const path = entryPath(cacheDir, `inline:${serialize(value)}`);
  const cached = await readEntry(path);
  if (cached) return revive(cached.scenario) as Scenario;
  const scenario = parseScenario(value);
  await writeEntry(cacheDir, path, { fingerprint: codeFingerprint(), files: [], scenario: serialize(scenario) });
  return scenario;
}

/** Where a certs directory keeps compiled scenarios. */
export const scenarioCacheDir = (certsDir: string) => join(certsDir, 'scenario-cache');
