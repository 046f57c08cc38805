/**
 * `serve --watch` (start({ watch: true })): the scenario file and the files it extends are reloaded
 * when one of them changes. A reload is all or nothing: the new scenario is loaded and validated in
 * full, then switched to as one world (MockApp.switchTo); an edit that does not load leaves the
 * running world in force, and its problem is kept (status().error) for the dashboard's banner,
 * GET /_mock/scenario and /health until a save loads.
 *
 * The folders of the files are watched, not the files: editors that save by writing a new file and
 * renaming it over the old one (vim, JetBrains) replace the inode a file watch would follow.
 */
import { type FSWatcher, watch } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ScenarioSources, sourceSha as sha, sourcesChanged } from '../scenario/compiled.js';
import { type LoadOptions, ScenarioError } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import type { WatchStatus } from '../ui/dashboard.js';

export type { WatchStatus } from '../ui/dashboard.js';

/** What a watched reload did, for the CLI to print and tests to wait on. */
export type WatchEvent =
  | { kind: 'reloaded'; file: string; files: string[]; notes: string[] }
  | { kind: 'error'; file: string; problems: string[]; message: string };

export interface WatchOptions {
  /** The scenario file, absolute. */
  file: string;
  /** Loads it, collecting the files read and the paths `extends` looked for (loadScenarioFile). */
  load(o: LoadOptions): Promise<Scenario>;
  /**
   * Puts the scenario in force (MockApp.switchTo); resolves with notes to pass on (the TLS
   * certificate changed), or false when the file is no longer the one in force (a switch to another
   * scenario through the admin API or useScenario): the watcher then leaves the world alone.
   */
  apply(scenario: Scenario): Promise<string[] | false>;
  onEvent?(e: WatchEvent): void;
  /** What the running scenario was built from (start's load filled it in): followed from the start, not loaded again. */
  initial: ScenarioSources;
  /** Quiet time after the last change before reloading (an editor's save is several events). Default 100 ms. */
  settleMs?: number;
}

export interface ScenarioWatcher {
  status(): WatchStatus;
  close(): void;
}

export async function watchScenario(o: WatchOptions): Promise<ScenarioWatcher> {
  const settleMs = o.settleMs ?? 100;
  /** What was last put in force (file -> hash of its text): a save that changes nothing reloads nothing. */
  let applied = new Map<string, string>();
  /** Paths whose change means a reload: the files read, and where `extends` looked and found nothing. */
  let watched = new Set<string>();
  const watchers = new Map<string, FSWatcher>();
  const state: WatchStatus & { files: string[] } = { files: [], lastReload: null, error: null };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const follow = (paths: Iterable<string>) => {
    watched = new Set(paths);
    const dirs = new Set([...watched].map((p) => dirname(p)));
    for (const [dir, w] of watchers) {
      if (!dirs.has(dir)) {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          // No name (some platforms): anything in the folder may be ours.
          if (!name || watched.has(join(dir, name.toString()))) schedule();
        });
        w.on('error', () => {
          w.close();
          watchers.delete(dir);
        });
        watchers.set(dir, w);
      } catch {
        // A folder that does not exist (yet): a path extends looked for. Its parent's files are watched already.
      }
    }
  };

  const load = async (): Promise<{ scenario?: Scenario; files: Array<{ file: string; text: string }>; absent: string[]; error?: unknown }> => {
    const files: Array<{ file: string; text: string }> = [];
    const absent: string[] = [];
    try {
      return { scenario: await o.load({ files, absent }), files, absent };
    } catch (error) {
      return { files, absent, error };
    }
  };

  const reload = async () => {
    const r = await load();
    if (closed) return;
    // Keep following what the running world was built from, and whatever this attempt read or looked for.
    const paths = new Set([...(r.error ? watched : []), ...r.files.map((f) => f.file), ...r.absent, o.file]);
    follow(paths);
    const at = new Date();
    if (r.error !== undefined || !r.scenario) {
      const err = r.error;
      const problems = err instanceof ScenarioError ? err.problems : [];
      const e = { file: err instanceof ScenarioError ? err.file : o.file, problems, message: err instanceof ScenarioError ? 'invalid scenario' : err instanceof Error ? err.message : String(err), at };
      state.error = e;
      state.lastReload = { at, ok: false };
      o.onEvent?.({ kind: 'error', file: e.file, problems, message: e.message });
      return;
    }
    const hashes = new Map(r.files.map((f) => [f.file, sha(f.text)]));
    const unchanged = state.error === null && hashes.size === applied.size && [...hashes].every(([f, h]) => applied.get(f) === h);
    if (unchanged) return;
    let notes: string[] | false;
    try {
      notes = await o.apply(r.scenario);
    } catch (err) {
      state.error = { file: o.file, problems: err instanceof ScenarioError ? err.problems : [], message: err instanceof Error ? err.message : String(err), at };
      state.lastReload = { at, ok: false };
      o.onEvent?.({ kind: 'error', file: o.file, problems: [...state.error.problems], message: state.error.message });
      return;
    }
    if (notes === false) return;
    applied = hashes;
    state.files = [...hashes.keys()];
    state.error = null;
    state.lastReload = { at, ok: true };
    o.onEvent?.({ kind: 'reloaded', file: o.file, files: state.files, notes });
  };

  /** One reload at a time; changes during one make one more after it. */
  const run = () => {
    if (running) {
      again = true;
      return;
    }
    running = reload().finally(() => {
      running = undefined;
      if (again && !closed) {
        again = false;
        run();
      }
    });
  };

  function schedule() {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(run, settleMs);
  }

  // What the running world was built from (start loaded it): followed from now on, not loaded again.
  for (const f of o.initial.files) applied.set(f.file, f.sha);
  state.files = o.initial.files.map((f) => f.file);
  follow([...state.files, ...o.initial.absent, o.file]);
  // Changed between start's load and now: load it as an edit.
  if (await sourcesChanged(o.initial)) schedule();

  return {
    status: () => ({ files: [...state.files], lastReload: state.lastReload && { ...state.lastReload }, error: state.error && { ...state.error, problems: [...state.error.problems] } }),
    close: () => {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
