/**
 * The package as users get it: `npm pack`, installed into an empty project from the tarball, then
 * the installed bin serves HTTPS that a client trusting only the freshly generated CA accepts, and
 * `import { start } from 'mock-entra'` works. The same steps the Docker image takes, without Docker.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_ID } from '../helpers/ids.js';
import { serve } from '../cli/spawn.js';

const exec = promisify(execFile);
const INSTALL_TIMEOUT = 180_000;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let tmp: string;
let project: string;
let packed: { filename: string; files: Array<{ path: string }> };

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mock-entra-pack-'));
  project = join(tmp, 'project');
  // dist is built by `npm test`; --ignore-scripts skips a second build by "prepare".
  const { stdout } = await exec(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: resolve('.'), timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  packed = (JSON.parse(stdout) as Array<typeof packed>)[0]!;
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-mock-entra', private: true, type: 'module' }));
  await exec(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', join(tmp, packed.filename)], { cwd: project, timeout: INSTALL_TIMEOUT, maxBuffer: 16 * 1024 * 1024 });
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
});
