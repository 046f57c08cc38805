/**
 * `mock-entra serve` as a shell, a container or a CI job starts it: the built binary, configured by
 * options, by MOCK_ENTRA_* variables and by a token file (whose token must not show in the command
 * line), stopped by SIGTERM or SIGINT with exit code 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { TENANT_ID } from '../helpers/ids.js';
import { serve } from './spawn.js';

describe('mock-entra serve', () => {
  it('answers discovery over HTTPS; with --admin-token the admin API answers only with the token; stops on SIGTERM with exit code 0', async () => {
    const served = await serve(['--certs-dir', TEST_CERTS_DIR, '--admin-token', 'cli-test-admin-token']);
    try {
      const res = await fetch(`${served.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { issuer: string }).issuer).toBe(`${served.url}/${TENANT_ID}/v2.0`);
      expect((await fetch(`${served.url}/_mock/scenario`)).status).toBe(401);
      const withToken = await fetch(`${served.url}/_mock/scenario`, { headers: { authorization: 'Bearer cli-test-admin-token' } });
      expect(withToken.status).toBe(200);
    } finally {
      expect(await served.stop('SIGTERM')).toBe(0);
    }
  });

  it('reads MOCK_ENTRA_ADMIN_TOKEN (and every other option, MOCK_ENTRA_SCENARIO here) from the environment; stops on SIGINT with exit code 0', async () => {
    const other = await serve(['--certs-dir', TEST_CERTS_DIR], { env: { ...process.env, MOCK_ENTRA_ADMIN_TOKEN: 'from-env', MOCK_ENTRA_SCENARIO: 'first-test-failure' } });
    try {
      expect((await fetch(`${other.url}/_mock/scenario`)).status).toBe(401);
      const res = await fetch(`${other.url}/_mock/scenario`, { headers: { authorization: 'Bearer from-env' } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { switches: Record<string, boolean> }).switches).toEqual({ 'sso-enabled': false });
    } finally {
      expect(await other.stop('SIGINT')).toBe(0);
    }
  });

  it('reads the token from --admin-token-file (so it does not show in ps)', async () => {
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
