/** `mock-entra serve --as-microsoft` as a shell or a container starts it (the built binary). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run, serve } from '../cli/spawn.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';

describe('mock-entra serve --as-microsoft', () => {
  it('takes MOCK_ENTRA_AS_MICROSOFT=true, and names Entra\'s origin, its local URL and the as-Microsoft CA to trust', async () => {
    const served = await serve(['--certs-dir', TEST_CERTS_DIR], { env: { ...process.env, MOCK_ENTRA_AS_MICROSOFT: 'true' } });
    try {
      const line = JSON.parse(served.output().split('\n').find((l) => l.includes('"listening"'))!) as Record<string, unknown>;
      expect(line).toMatchObject({ url: 'https://login.microsoftonline.com', asMicrosoft: true, caCertPath: join(TEST_CERTS_DIR, 'as-microsoft', 'ca.pem') });
      expect(String(line.localUrl)).toMatch(/^https:\/\/localhost:\d+$/);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });

  it('refuses --public-url and --no-tls with it, exit code 2, saying what to drop', async () => {
    const withUrl = await run(['serve', '--as-microsoft', '--public-url', 'https://idp.test', '--certs-dir', TEST_CERTS_DIR]);
    expect(withUrl.status).toBe(2);
    expect(withUrl.stderr).toMatch(/--as-microsoft and --public-url exclude each other.*Drop --public-url/);
    const plain = await run(['serve', '--as-microsoft', '--no-tls', '--certs-dir', TEST_CERTS_DIR]);
    expect(plain.status).toBe(2);
    expect(plain.stderr).toMatch(/--as-microsoft needs TLS.*drop --no-tls/);
  });
});
