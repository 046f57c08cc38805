/**
 * README.md's code, run as a reader would run it: every TypeScript or JavaScript block is marked
 * `ts tested` (or `js tested`) and runs here, compiled as is, in a scratch project that has
 * mock-entra installed (node_modules/mock-entra is this checkout, built by `npm test`; the
 * snippets' other packages are this checkout's), as an ES module ("type": "module"), with the CA
 * trusted through NODE_EXTRA_CA_CERTS. A block that talks to a running mock at
 * https://localhost:8443 gets one on a free port: only the port is changed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { runProcess } from '../helpers/process.js';
import { startMock } from '../helpers/server.js';

const ROOT = resolve('.');
const CODE = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);

interface Block {
  lang: string;
  tested: boolean;
  code: string;
  /** The heading it sits under, and its line in README.md. */
  where: string;
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  let heading = '(top)';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    const open = /^```(\S*)\s*(.*)$/.exec(line);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    out.push({ lang: open[1]!, tested: /\btested\b/.test(open[2]!), code: body.join('\n'), where: `${heading}, README.md:${start + 1}` });
  }
  return out;
}

const readme = blocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const code = readme.filter((b) => CODE.has(b.lang));

const project = mkdtempSync(join(tmpdir(), 'mock-entra-readme-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** The scratch project: package.json as `npm init -y` plus "type": "module", and what the snippets import. */
function setUpProject(): void {
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'readme-snippets', version: '1.0.0', type: 'module' }, null, 2));
  const packages = new Set(['mock-entra']);
  for (const b of code) for (const m of b.code.matchAll(/\bfrom\s+'([^'./][^']*)'/g)) packages.add(m[1]!.startsWith('@') ? m[1]!.split('/').slice(0, 2).join('/') : m[1]!.split('/')[0]!);
  for (const name of packages) {
    if (name.startsWith('node:')) continue;
    const link = join(project, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(name === 'mock-entra' ? ROOT : join(ROOT, 'node_modules', name), link, 'dir');
  }
  // The keys the suite made once: `start()`'s default certs directory is ./certs.
  symlinkSync(TEST_CERTS_DIR, join(project, 'certs'), 'dir');
}
setUpProject();

/** Compiles a snippet as written (types erased only) and runs it with node in the scratch project. */
async function runSnippet(b: Block, n: number, mockOrigin?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  let source = b.code;
  if (mockOrigin) source = source.replaceAll('localhost:8443', new URL(mockOrigin).host);
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, reportDiagnostics: true });
  expect(js.diagnostics ?? [], b.where).toEqual([]);
  const file = join(project, `snippet-${n}.mjs`);
  writeFileSync(file, js.outputText);
  return runProcess(process.execPath, [file], { cwd: project, timeoutMs: 30_000 });
}

describe('README.md', () => {
  it('has TypeScript snippets, and every TypeScript or JavaScript block is marked tested', () => {
    expect(code.length).toBeGreaterThanOrEqual(2);
    expect(code.filter((b) => !b.tested).map((b) => b.where)).toEqual([]);
  });

  it.each(code.filter((b) => b.tested).map((b, n) => [b.where, b, n] as const))('the snippet under %s runs to completion without an error', async (_where, b, n) => {
    const needsServer = b.code.includes('localhost:8443');
    const mock = needsServer ? await startMock() : undefined;
    try {
      const r = await runSnippet(b, n, mock?.url);
      expect(r.stderr, r.stdout).toBe('');
      expect(r.status, r.stdout).toBe(0);
      if (mock) expect(mock.requests().filter((q) => q.status < 400).length, 'the snippet reached the mock').toBeGreaterThan(0);
    } finally {
      await mock?.stop();
    }
  });
});
