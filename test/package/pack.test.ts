/**
 * The package as users get it: `npm pack`, installed into a fresh project (`npm init -y`, then the
 * `"type": "module"` docs/testing.md asks for) from the tarball (npm's cache first, the registry for what it lacks:
 * a range install reads package metadata npm ci never stored), with no warning; then the installed bin serves HTTPS that a client trusting only
 * the freshly generated CA accepts, `mock-entra --version` is the package's, `import { start } from
 * 'mock-entra'` works, and docs/testing.md's vitest setup runs there as written, without a warning.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { TENANT_ID } from '../helpers/ids.js';
import { serve } from '../cli/spawn.js';

const exec = promisify(execFile);
const INSTALL_TIMEOUT = 180_000;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let tmp: string;
let project: string;
let packed: { filename: string; version: string; files: Array<{ path: string }> };
/** What `npm install <tarball>` printed. */
let installed: string;

/** The environment of a user's shell: none of this suite's own settings (vitest's, the CA it trusts). */
const userEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(VITEST|TEST$|NODE_EXTRA_CA_CERTS$|NODE_ENV$)/.test(k)));

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mock-entra-pack-'));
  project = join(tmp, 'project');
  // dist is built by `npm test`; --ignore-scripts skips a second build by "prepack".
  const { stdout } = await exec(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: resolve('.'), timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  packed = (JSON.parse(stdout) as Array<typeof packed>)[0]!;
  mkdirSync(project);
  const opts = { cwd: project, env: userEnv(), timeout: INSTALL_TIMEOUT, maxBuffer: 16 * 1024 * 1024 };
  await exec(npm, ['init', '-y'], opts);
  await exec(npm, ['pkg', 'set', 'type=module'], opts);
  // --prefer-offline: the dependencies come from npm's cache where `npm ci` put them; what a fresh
  // cache lacks (npm ci stores tarballs, not every package's metadata a range install reads) comes
  // from the registry, as for a user.
  const r = await exec(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', join(tmp, packed.filename)], opts);
  installed = `${r.stdout}${r.stderr}`;
}, INSTALL_TIMEOUT + 60_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** GET over HTTPS trusting only `ca` (an explicit `ca` replaces Node's root store). */
function getTrusting(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    request(url, { ca, agent: false }, (r) => {
      let body = '';
      r.on('data', (d: Buffer) => (body += d.toString()));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    })
      .on('error', rej)
      .end();
  });
}

describe('the npm package', () => {
  it('ships the compiled code, its types, the scenarios and no private keys or sources', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'dist/start.js', 'scenarios/default.yaml', 'scenarios/first-test-failure.yaml', 'package.json', 'README.md']));
    expect(paths.filter((p) => p.endsWith('.pem'))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('src/') || p.startsWith('test/'))).toEqual([]);
  });

  it('installs from the tarball without a warning: dist is shipped built, no install-time script runs', () => {
    expect(installed.split('\n').filter((l) => /\bwarn/i.test(l))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules', 'mock-entra', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    expect(Object.keys(pkg.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(s))).toEqual([]);
    expect(existsSync(join(project, 'node_modules', 'mock-entra', 'dist', 'cli', 'main.js'))).toBe(true);
  });

  it('ships a LICENSE with the MIT text package.json names, and the CHANGELOG', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'CHANGELOG.md']));
    const installedDir = join(project, 'node_modules', 'mock-entra');
    expect((JSON.parse(readFileSync(join(installedDir, 'package.json'), 'utf8')) as { license: string }).license).toBe('MIT');
    const license = readFileSync(join(installedDir, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 mock-entra contributors\n/);
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
  });

  it('`npx mock-entra --version` in the project prints mock-entra\'s version, not the project\'s', async () => {
    const project_ = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { version: string };
    expect(project_.version).not.toBe(packed.version);
    const { stdout } = await exec('npx', ['--offline', 'mock-entra', '--version'], { cwd: project, env: userEnv(), timeout: 30_000 });
    expect(stdout.trim()).toBe(packed.version);
  });

  it('installs from the tarball; its bin serves discovery over HTTPS trusted through the CA it generated', async () => {
    const bin = join(project, 'node_modules', '.bin', 'mock-entra');
    expect(existsSync(bin)).toBe(true);
    const certs = join(tmp, 'certs');
    const served = await serve(['--certs-dir', certs], { bin: [bin] });
    try {
      const ca = readFileSync(join(certs, 'ca.pem'), 'utf8');
      const r = await getTrusting(`${served.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`, ca);
      expect(r.status).toBe(200);
      expect((JSON.parse(r.body) as { issuer: string }).issuer).toBe(`${served.url}/${TENANT_ID}/v2.0`);
    } finally {
      await served.stop();
    }
  });

  it('`import { start } from "mock-entra"` serves the shipped default scenario and signs a user in', async () => {
    // The certs directory the bin made above (it makes one if that test did not run): keys are not what this is about.
    writeFileSync(
      join(project, 'smoke.mjs'),
      `import { start, defineScenario } from 'mock-entra';
const idp = await start({ certsDir: ${JSON.stringify(join(tmp, 'certs'))} });
const tokens = await idp.signIn({ user: 'ada@contoso.onmicrosoft.com', app: 'sample-web' });
const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url'));
console.log(JSON.stringify({ tenantId: idp.tenantId, preferred_username: claims.preferred_username, defineScenario: typeof defineScenario }));
await idp.stop();
`,
    );
    const { stdout } = await exec(process.execPath, ['smoke.mjs'], { cwd: project, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ tenantId: TENANT_ID, preferred_username: 'ada@contoso.onmicrosoft.com', defineScenario: 'function' });
  });

  it("docs/testing.md's vitest setup (global setup trusting the CA, a test file) passes there without a warning", async () => {
    const docs = readFileSync(resolve('docs/testing.md'), 'utf8');
    expect(docs).toContain('npm pkg set type=module');
    // The blocks that name their file on the first line: vitest.config.ts, test/trust-mock-entra.ts, test/login.test.ts.
    const files = new Map([...docs.matchAll(/```ts\n\/\/ ([\w./-]*\w)[^\n]*\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!]));
    for (const name of ['vitest.config.ts', 'test/trust-mock-entra.ts', 'test/login.test.ts']) {
      expect(files.has(name), `docs/testing.md has a block for ${name}`).toBe(true);
      mkdirSync(dirname(join(project, name)), { recursive: true });
      writeFileSync(join(project, name), files.get(name)!);
    }
    // vitest as the user would have it (a dev dependency), from this checkout; the keys the suite made
    // as ./certs, as a later run finds them.
    symlinkSync(resolve('node_modules/vitest'), join(project, 'node_modules', 'vitest'), 'dir');
    symlinkSync(TEST_CERTS_DIR, join(project, 'certs'), 'dir');
    const r = await exec(process.execPath, [join(project, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=verbose'], { cwd: project, env: { ...userEnv(), NO_COLOR: '1' }, timeout: 60_000 });
    const out = `${r.stdout}${r.stderr}`;
    expect(out).toMatch(/✓ test\/login\.test\.ts > signs ada in/);
    expect(out).toContain('1 passed');
    expect(out.split('\n').filter((l) => /warn|\(!\)|deprecat/i.test(l))).toEqual([]);
  }, 90_000);
});
