/**
 * Issue 14 item 13: the bin in a checkout of the repository (npx mock-entra serve, npm start in a
 * fresh clone) builds dist/ from src/ when it has to, saying so before the seconds it takes, and
 * says what to run when it cannot; an installed package (no src/) runs at once.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript (it runs before anything is compiled), without declarations
import { staleReason } from '../../bin/checkout.js';
import { runProcess } from '../helpers/process.js';

const root = mkdtempSync(join(tmpdir(), 'mock-entra-checkout-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const VERSION = '9.8.7';

/** A checkout in miniature: the real bin/, a src/cli/main.ts that prints a line, the build's tsconfig; TypeScript linked in unless `withTypescript` is false. */
function checkout(name: string, withTypescript = true): string {
  const dir = join(root, name);
  cpSync(resolve('bin'), join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'src', 'cli'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mock-entra', version: VERSION, type: 'module' }));
  writeFileSync(join(dir, 'tsconfig.build.json'), JSON.stringify({ compilerOptions: { outDir: 'dist', rootDir: 'src', module: 'nodenext', target: 'es2022', types: [] }, include: ['src'] }));
  writeFileSync(join(dir, 'src', 'cli', 'main.ts'), "declare const process: { argv: string[] };\nconsole.log(`main ran with ${process.argv.slice(2).join(' ')}`);\n");
  if (withTypescript) {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(resolve('node_modules', 'typescript'), join(dir, 'node_modules', 'typescript'), 'dir');
  }
  return dir;
}

const bin = (dir: string, ...args: string[]) => runProcess(process.execPath, [join(dir, 'bin', 'mock-entra.js'), ...args], { cwd: dir, timeoutMs: 60_000 });

describe('the bin in a checkout', () => {
  it('without dist/, says it builds (and why) before building, then runs the command line', async () => {
    const dir = checkout('fresh');
    const r = await bin(dir, 'serve', '--port', '0');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^mock-entra: building dist\/ from src\/ \(this checkout has no build yet; once, a few seconds\)…\nmock-entra: built in \d+\.\d s\n$/);
    expect(r.stdout).toBe('main ran with serve --port 0\n');
    // Built: the next run says nothing and runs at once.
    const again = await bin(dir, '--version');
    expect(again).toEqual({ status: 0, stdout: 'main ran with --version\n', stderr: '' });
  });

  it('rebuilds once a source file is newer than the build, saying so', async () => {
    // The checkout the test above built.
    const dir = join(root, 'fresh');
    expect(staleReason(dir)).toBeUndefined();
    const main = join(dir, 'src', 'cli', 'main.ts');
    writeFileSync(main, "console.log('edited');\n");
    const later = new Date(Date.now() + 5_000);
    utimesSync(main, later, later);
    expect(staleReason(dir)).toBe('src/ changed since the last build');
    const r = await bin(dir);
    expect(r.stderr).toContain('building dist/ from src/ (src/ changed since the last build; once, a few seconds)');
    expect(r.stdout).toBe('edited\n');
  });

  it('without the dev dependencies, exits 2 saying to run npm ci first', async () => {
    const dir = checkout('no-npm-ci', false);
    const r = await bin(dir, 'serve');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`mock-entra: this checkout has no build yet, and its dev dependencies are not installed: run \`npm ci\` in ${dir}/ first, then \`npm start\` (or npx mock-entra serve).\n`);
  });

  it('an installed package (no src/) is never checked, and this repository, built by npm test, is up to date', () => {
    const installed = join(root, 'installed');
    mkdirSync(installed);
    expect(staleReason(installed)).toBeUndefined();
    expect(staleReason(resolve('.'))).toBeUndefined();
  });
});
