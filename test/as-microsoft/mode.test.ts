/**
 * The as-Microsoft mode seen from the machine itself (no hosts mapping, no root): its own CA,
 * name-constrained to Microsoft's hosts and loopback; requests told apart by Host; the dashboard
 * and admin API still on https://localhost:PORT.
 */
import { statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CA_ALWAYS_PERMITTED, caPermits, readPermittedNames } from '../../src/keys/ca.js';
import { MICROSOFT_HOSTNAMES } from '../../src/entra/urls.js';
import { start } from '../../src/index.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { hasOpenssl, leafFromCaKey, opensslVerify } from '../keys/fixtures.js';
import { spareKey } from '../helpers/keys.js';

const idp = useMockEntra({ asMicrosoft: true });

/** A GET to the mock's local port with the Host header given (as a hosts mapping or the proxy would send it). */
function get(path: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const local = new URL(idp.localUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: local.port, path, servername: 'localhost', ca: idp.caCert, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the as-Microsoft mode', () => {
  it("has a CA of its own, name-constrained to exactly Microsoft's hosts and loopback, its key 0600", async () => {
    const dir = join(TEST_CERTS_DIR, 'as-microsoft');
    expect(idp.caCertPath).toBe(join(dir, 'ca.pem'));
    expect(await readPermittedNames(idp.caCert)).toEqual([...CA_ALWAYS_PERMITTED, ...MICROSOFT_HOSTNAMES]);
    expect(statSync(join(dir, 'ca-key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'tls-key.pem')).mode & 0o777).toBe(0o600);
    // The everyday CA does not permit Microsoft's names: trusting it opens none of them.
    const everyday = await readPermittedNames((await import('node:fs')).readFileSync(join(TEST_CERTS_DIR, 'ca.pem'), 'utf8'));
    expect(caPermits(everyday!, 'login.microsoftonline.com')).toBe(false);
  });

  it.skipIf(!hasOpenssl)("issues for Microsoft's hosts, and its key cannot vouch for any other name, not even one below them (openssl verify)", async () => {
    const dir = join(TEST_CERTS_DIR, 'as-microsoft');
    expect(opensslVerify(idp.caCert, await leafFromCaKey(dir, spareKey(0), ['login.microsoftonline.com', 'graph.microsoft.com'])).ok).toBe(true);
    const other = opensslVerify(idp.caCert, await leafFromCaKey(dir, spareKey(0), ['example.com']));
    expect(other.ok).toBe(false);
    expect(other.output).toMatch(/permitted subtree violation/);
    const below = opensslVerify(idp.caCert, await leafFromCaKey(dir, spareKey(0), ['evil.login.microsoftonline.com']));
    expect(below.ok).toBe(false);
    expect(below.output).toMatch(/excluded subtree violation/);
  });

  it('names Entra in every document whatever Host asked, and keeps the dashboard on its local URL', async () => {
    expect(idp.url).toBe('https://login.microsoftonline.com');
    expect(idp.localUrl).toMatch(/^https:\/\/localhost:\d+$/);
    const doc = JSON.parse((await get(`/${TENANT_ID}/v2.0/.well-known/openid-configuration`, 'localhost')).body) as Record<string, string>;
    expect(doc).toMatchObject({
      issuer: `https://login.microsoftonline.com/${TENANT_ID}/v2.0`,
      token_endpoint: `https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/token`,
      userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    });
    const dashboard = await get('/', new URL(idp.localUrl).host);
    expect(dashboard.status).toBe(200);
    expect(dashboard.body).toContain('https://graph.microsoft.com/oidc/userinfo');
  });

  it('tells requests apart by Host: each Microsoft host serves its own routes, any other Host reaches them all', async () => {
    const me = '/v1.0/me';
    expect((await get(me, 'login.microsoftonline.com')).status).toBe(404);
    expect((await get(me, 'graph.microsoft.com')).status).toBe(401);
    expect((await get(me, 'localhost')).status).toBe(401);
    const discovery = `/${TENANT_ID}/v2.0/.well-known/openid-configuration`;
    expect((await get(discovery, 'LOGIN.WINDOWS.NET')).status).toBe(200);
    expect((await get(discovery, 'graph.microsoft.com')).status).toBe(404);
    expect((await get(discovery, 'management.azure.com')).status).toBe(404);
    const subs = '/subscriptions?api-version=2022-12-01';
    expect((await get(subs, 'management.azure.com')).status).toBe(401);
    expect((await get(subs, 'login.microsoftonline.com')).status).toBe(404);
    expect((await get(subs, 'localhost')).status).toBe(401);
  });

  it("answers ARM's 401 in ARM's envelope with its challenge, and lists nothing by default", async () => {
    const none = await get('/subscriptions?api-version=2022-12-01', 'management.azure.com');
    expect(JSON.parse(none.body)).toEqual({ error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." } });
    expect(none.headers['www-authenticate']).toMatch(/^Bearer authorization_uri="https:\/\/login\.microsoftonline\.com\/", error="invalid_token"/);
    const { access_token } = await idp.clientCredentials({ app: 'sample-web', scope: 'https://management.azure.com//.default' });
    const empty = await get('/subscriptions?api-version=2022-12-01', 'management.azure.com', { authorization: `Bearer ${access_token}` });
    expect(empty.status).toBe(200);
    expect(JSON.parse(empty.body)).toEqual({ value: [], count: { type: 'Total', value: 0 } });
  });

  it('refuses to start with publicUrl or without TLS, saying what to drop', async () => {
    await expect(start({ asMicrosoft: true, publicUrl: 'https://idp.test', certsDir: TEST_CERTS_DIR })).rejects.toThrow(/asMicrosoft and publicUrl exclude each other.*Drop publicUrl/);
    await expect(start({ asMicrosoft: true, tls: false, certsDir: TEST_CERTS_DIR })).rejects.toThrow(/asMicrosoft needs TLS.*Drop tls: false/);
  });
});
