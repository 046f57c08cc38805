/** The built binary (dist/cli/main.js) as a shell runs it: its exit codes, and serve stopping on a signal. */
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { TENANT_ID } from '../helpers/ids.js';
import { MAIN, serve } from './spawn.js';

const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 15_000 });

function badScenario(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mock-entra-')), 'bad.yaml');
  writeFileSync(file, 'tenant:\n  id: 123\n  domain: contoso.onmicrosoft.com\n');
  return file;
}

describe('mock-entra CLI', () => {
  it('scenario validate passes the default scenario with exit code 0', () => {
    const r = run('scenario', 'validate', 'scenarios/default.yaml');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('scenarios/default.yaml: valid');
  });

  it('scenario validate refuses a bad file with exit code 2, naming file, path and expectation', () => {
    const file = badScenario();
    const r = run('scenario', 'validate', file);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}: invalid scenario`);
    expect(r.stderr).toContain('tenant.id:');
  });

  it('an unknown command exits 2 with help', () => {
    const r = run('bogus');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('mock-entra <command> [options]');
    expect(r.stderr).toContain('Unknown argument: bogus');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('serve answers discovery over HTTPS, then stops on %s with exit code 0', async (signal) => {
    const served = await serve(['--certs-dir', TEST_CERTS_DIR]);
    const res = await fetch(`${served.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { issuer: string }).issuer).toBe(`${served.url}/${TENANT_ID}/v2.0`);
    expect(await served.stop(signal)).toBe(0);
  });
});
