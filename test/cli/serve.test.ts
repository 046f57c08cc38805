/**
 * `mock-entra serve` as a container or a CI job starts it: the built binary, configured by options,
 * by MOCK_ENTRA_* variables and by a token file (whose token must not show in the command line).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { serve, type Served } from './spawn.js';

const ADMIN_TOKEN = 'cli-test-admin-token';

describe('mock-entra serve --admin-token', () => {
  let server: Served;
  beforeAll(async () => {
    server = await serve(['--certs-dir', TEST_CERTS_DIR, '--admin-token', ADMIN_TOKEN]);
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('the admin API answers only with the token once one is set', async () => {
    const without = await fetch(`${server.url}/_mock/scenario`);
    expect(without.status).toBe(401);
    const withToken = await fetch(`${server.url}/_mock/scenario`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(withToken.status).toBe(200);
  });

  it('reads MOCK_ENTRA_ADMIN_TOKEN (and every other option, MOCK_ENTRA_SCENARIO here) from the environment', async () => {
    const other = await serve(['--certs-dir', TEST_CERTS_DIR], { env: { ...process.env, MOCK_ENTRA_ADMIN_TOKEN: 'from-env', MOCK_ENTRA_SCENARIO: 'first-test-failure' } });
    try {
      expect((await fetch(`${other.url}/_mock/scenario`)).status).toBe(401);
      const res = await fetch(`${other.url}/_mock/scenario`, { headers: { authorization: 'Bearer from-env' } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { switches: Record<string, boolean> }).switches).toEqual({ 'sso-enabled': false });
    } finally {
      expect(await other.stop()).toBe(0);
    }
  });
});

describe('mock-entra serve --admin-token-file', () => {
  it('reads the token from the file (so it does not show in ps)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-entra-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'from-a-file\n');
    const other = await serve(['--certs-dir', TEST_CERTS_DIR, '--admin-token-file', file]);
    try {
      expect((await fetch(`${other.url}/_mock/scenario`)).status).toBe(401);
      expect((await fetch(`${other.url}/_mock/scenario`, { headers: { authorization: 'Bearer from-a-file' } })).status).toBe(200);
      expect(other.child.spawnargs.join(' ')).not.toContain('from-a-file');
    } finally {
      expect(await other.stop()).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
