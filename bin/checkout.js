/**
 * In a checkout of the mock-entra repository (src/ beside dist/), the bin builds dist/ from src/
 * when dist/ is missing or older than a source file, saying so first: it takes several seconds, and
 * a first `npx mock-entra serve` or `npm start` in a fresh clone must not sit silent (nor fail with
 * "mock-entra: not found", nor run a build older than the sources). An installed package has no
 * src/: nothing is checked there. Plain JavaScript, since it runs before anything is compiled.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const mtime = (file) => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
};

/** The newest modification time under `dir` (0 when it does not exist). */
function newest(dir) {
  let t = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : mtime(p));
  }
  return t;
}

/**
 * Why `root` (a checkout) needs building, or undefined when it does not (an installed package, or
 * dist/ at least as new as src/ and the build's configuration).
 */
export function staleReason(root) {
  if (!existsSync(join(root, 'src'))) return undefined;
  const built = mtime(join(root, 'dist', 'cli', 'main.js'));
  if (!built) return 'this checkout has no build yet';
  const sources = Math.max(newest(join(root, 'src')), mtime(join(root, 'tsconfig.json')), mtime(join(root, 'tsconfig.build.json')), mtime(join(root, 'package-lock.json')));
  return sources > built ? 'src/ changed since the last build' : undefined;
}

/**
 * Builds dist/ in checkout `root` when staleReason says so, as `npm run build` does (dist/ removed,
 * then tsc -p tsconfig.build.json), telling `say` first and after. Returns the exit code to end with
 * when it cannot (no TypeScript: `npm ci` not run; a compile error), else undefined.
 */
export function buildIfStale(root, say = (line) => process.stderr.write(`${line}\n`)) {
  const reason = staleReason(root);
  if (!reason) return undefined;
  let tsc;
  try {
    tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    say(`mock-entra: ${reason}, and its dev dependencies are not installed: run \`npm ci\` in ${root} first, then \`npm start\` (or npx mock-entra serve).`);
    return 2;
  }
  say(`mock-entra: building dist/ from src/ (${reason}; once, a few seconds)…`);
  const began = Date.now();
  rmSync(join(root, 'dist'), { recursive: true, force: true });
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    say(`mock-entra: the build failed (tsc's errors above): fix src/ and run it again, or \`npm run build\` to see them alone.`);
    return 1;
  }
  say(`mock-entra: built in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  return undefined;
}
