/** The built binary (dist/cli/main.js) as a shell runs it: its exit codes. serve, and its signals, are serve.test.ts. */
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAIN } from './spawn.js';

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
});
