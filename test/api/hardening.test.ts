/**
 * Regression tests of the hardening issue: what a caller on the network, a page in the browser or
 * a fuzzer could do to the mock, and what the mock answers instead.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { request } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_SCENARIO, parseScenario, ScenarioError, type ScenarioInput } from '../../src/index.js';
import { BoundedMap } from '../../src/server/runtime.js';
import { authnRequest } from '../saml/support.js';
import { follow } from '../helpers/browserless.js';
import { TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request: any Host header, any path bytes (fetch would normalise both). */
function raw(base: string, o: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Raw> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: o.method ?? 'GET', path: o.path, headers: o.headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`${o.method ?? 'GET'} ${o.path} timed out`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('the admin API and the dashboard, without an admin token', () => {
  const idp = useMockEntra({ tls: false });

  it('refuse a loopback caller whose Host names another site (DNS rebinding), as JSON for the API and a page for the dashboard', async () => {
    const host = `evil.example:${idp.port}`;
    const api = await raw(idp.url, { method: 'POST', path: '/_mock/switches/x', headers: { host, origin: `http://${host}`, 'content-type': 'application/json' }, body: '{}' });
    expect(api.status).toBe(403);
    expect(JSON.parse(api.body)).toMatchObject({ error: 'forbidden', error_codes: [90023] });
    expect(JSON.parse(api.body).error_description).toMatch(/DNS rebinding/);
    const page = await raw(idp.url, { path: '/requests', headers: { host } });
    expect(page.status).toBe(403);
    expect(page.body).toContain('DNS rebinding');
    expect(page.body).not.toContain('access_token');
  });

  it('answer a loopback caller that names this server', async () => {
    expect((await raw(idp.url, { path: '/requests', headers: { host: `127.0.0.1:${idp.port}` } })).status).toBe(200);
    expect((await raw(idp.url, { path: '/_mock/scenario', headers: { host: `localhost:${idp.port}` } })).status).toBe(200);
  });
});

describe('the dashboard, with an admin token', () => {
  const idp = useMockEntra({ tls: false, adminToken: 's3cret-token' });

  it('shows a request with its tokens only to a caller presenting the token (the browser asks for it: Basic)', async () => {
    const token = await idp.clientCredentials({ app: 'sample-web', scope: 'api://sample-api/.default' });
    const traceId = idp.requests().at(-1)!.traceId;
    const anonymous = await raw(idp.url, { path: `/requests/${traceId}` });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic realm="mock-entra dashboard"/);
    expect(anonymous.body).not.toContain(token.access_token.split('.')[1]!);
    const basic = `Basic ${Buffer.from('anyone:s3cret-token').toString('base64')}`;
    const shown = await raw(idp.url, { path: `/requests/${traceId}`, headers: { authorization: basic } });
    expect(shown.status).toBe(200);
    expect(shown.body).toContain(token.access_token.split('.')[1]!);
    expect((await raw(idp.url, { path: '/', headers: { authorization: 'Bearer s3cret-token' } })).status).toBe(200);
    expect((await raw(idp.url, { path: '/', headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });
});

describe('bad input never answers 500', () => {
  const idp = useMockEntra({ tls: false });
  const token = `/${TENANT_ID}/oauth2/v2.0/token`;
  const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
  const urlencoded = { 'content-type': 'application/x-www-form-urlencoded' };

  it.each([
    ['Basic credentials that are not form-encoded at the token endpoint', { method: 'POST', path: token, headers: { ...urlencoded, authorization: 'Basic JUUwOng=' }, body: form({ grant_type: 'client_credentials', scope: 'api://sample-api/.default' }) }, 'json'],
    ['a client_assertion whose parts are JSON null', { method: 'POST', path: token, headers: urlencoded, body: form({ grant_type: 'client_credentials', client_id: WEB.clientId, scope: 'api://sample-api/.default', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'bnVsbA.bnVsbA.eA' }) }, 'json'],
    ['an on-behalf-of assertion whose parts are JSON null', { method: 'POST', path: token, headers: urlencoded, body: form({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', requested_token_use: 'on_behalf_of', client_id: WEB.clientId, client_secret: WEB.secret, scope: 'User.Read', assertion: 'bnVsbA.bnVsbA.eA' }) }, 'json'],
    ['a Graph bearer token whose parts are JSON null', { path: '/v1.0/me', headers: { authorization: 'Bearer bnVsbA.bnVsbA.eA' } }, 'graph'],
    ['a userinfo bearer token whose parts are JSON null', { path: '/oidc/userinfo', headers: { authorization: 'Bearer bnVsbA.bnVsbA.eA' } }, 'graph'],
    ['a percent sign in the userrealm path', { path: '/common/userrealm/%25' }, 'json'],
    ['a percent sign in a Graph user path', { path: '/v1.0/users/%25', headers: { authorization: 'Bearer x.y.z' } }, 'graph'],
    ['admin bodies that are not a JSON object', { method: 'PUT', path: '/_mock/scenario', headers: { 'content-type': 'application/json' }, body: 'null' }, 'json'],
  ])('%s', async (_name, req, channel) => {
    const res = await raw(idp.url, req);
    expect(res.status, res.body.slice(0, 300)).toBeLessThan(500);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    // Home-realm discovery answers any name: a '%' is just an unknown realm.
    if (req.path.startsWith('/common/userrealm/')) expect(body).toMatchObject({ account_type: 'Unknown', domain_name: '%' });
    else if (channel === 'graph') expect(body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    else expect(String(body.error_description)).toMatch(/^AADSTS\d+: /);
    expect(res.body).not.toMatch(/node_modules|\/work\/|at .+:\d+:\d+/);
  });

  it('a JWT with a fourth segment is not a token Graph accepts', async () => {
    const { access_token } = await idp.signIn({ user: 'ada@contoso.onmicrosoft.com', app: 'sample-web', scopes: ['openid', 'User.Read'] });
    const ok = await raw(idp.url, { path: '/v1.0/me', headers: { authorization: `Bearer ${access_token}` } });
    expect(ok.status).toBe(200);
    const padded = await raw(idp.url, { path: '/v1.0/me', headers: { authorization: `Bearer ${access_token}.extra` } });
    expect(padded.status).toBe(401);
    expect(JSON.parse(padded.body).error.code).toBe('InvalidAuthenticationToken');
  });

  it('answers JSON with nosniff, and pages that cannot be framed', async () => {
    const json = await raw(idp.url, { path: `/${TENANT_ID}/v2.0/.well-known/openid-configuration` });
    expect(json.headers['x-content-type-options']).toBe('nosniff');
    const page = await raw(idp.url, { path: `/${TENANT_ID}/oauth2/v2.0/authorize?client_id=nope` });
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(String(page.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  });
});

describe('a refresh token is bound to the platform it was issued to', () => {
  const SPA = 'http://localhost:5173/';
  const WEB_CB = 'http://localhost:3000/hybrid/callback';
  const idp = useMockEntra({ tls: false });
  beforeAll(async () => {
    const base = parse(readFileSync(DEFAULT_SCENARIO, 'utf8')) as ScenarioInput;
    await idp.useScenario({ ...base, apps: [...(base.apps ?? []), { name: 'hybrid-app', clientId: '3b0f7a2e-1c4d-4e5f-8a9b-0c1d2e3f4a5b', secrets: ['hybrid-secret'], redirectUris: [WEB_CB], spaRedirectUris: [SPA] }] });
  });
  const clientId = '3b0f7a2e-1c4d-4e5f-8a9b-0c1d2e3f4a5b';
  const refresh = (refreshToken: string, headers: Record<string, string> = {}, extra: Record<string, string> = {}) =>
    raw(idp.url, {
      method: 'POST',
      path: `/${TENANT_ID}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, refresh_token: refreshToken, scope: 'openid offline_access', ...extra }).toString(),
    });

  it("a Web app's refresh token needs the app's secret, whatever Origin the request claims (AADSTS7000218)", async () => {
    const web = await idp.signIn({ user: 'ada@contoso.onmicrosoft.com', app: 'hybrid-app', redirectUri: WEB_CB, scopes: ['openid', 'offline_access'] });
    const spoofed = await refresh(web.refresh_token!, { origin: 'http://localhost:5173' });
    expect(spoofed.status).toBe(401);
    expect(JSON.parse(spoofed.body)).toMatchObject({ error: 'invalid_client', error_codes: [7000218] });
    expect((await refresh(web.refresh_token!, {}, { client_secret: 'hybrid-secret' })).status).toBe(200);
  });

  it("a SPA's code and refresh token are redeemed cross-origin only (AADSTS9002327)", async () => {
    const verifier = 'spa-verifier-'.padEnd(50, 'x');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const q = new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: SPA, scope: 'openid offline_access', login_hint: 'ada@contoso.onmicrosoft.com', code_challenge: challenge, code_challenge_method: 'S256' });
    const landed = await follow(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize?${q}`);
    const code = landed.url.searchParams.get('code')!;
    expect(code).toMatch(/./);
    const redeem = (headers: Record<string, string>) =>
      raw(idp.url, { method: 'POST', path: `/${TENANT_ID}/oauth2/v2.0/token`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: SPA, code_verifier: verifier }).toString() });
    const serverSide = await redeem({});
    expect(JSON.parse(serverSide.body)).toMatchObject({ error: 'invalid_request', error_codes: [9002327] });
    const browser = await redeem({ origin: 'http://localhost:5173' });
    expect(browser.status).toBe(200);
    const { refresh_token } = JSON.parse(browser.body) as { refresh_token: string };
    expect(JSON.parse((await refresh(refresh_token, {}, { client_secret: 'hybrid-secret' })).body)).toMatchObject({ error_codes: [9002327] });
    expect((await refresh(refresh_token, { origin: 'http://localhost:5173' })).status).toBe(200);
  });
});

describe('the admin API reads only scenario files', () => {
  const idp = useMockEntra({ tls: false });
  const put = (path: string) => raw(idp.url, { method: 'PUT', path: '/_mock/scenario', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path }) });

  it.each([
    ['a file outside the scenario folders', '/etc/passwd', /not in a folder scenarios may be loaded from/],
    ['a device', '/dev/zero', /not in a folder scenarios may be loaded from/],
    ['a path that climbs out of the shipped folder', `${DEFAULT_SCENARIO}/../../package.json`, /not in a folder|cannot read/],
  ])('refuses %s with a 400 that says where scenarios may come from, and keeps the running scenario', async (_name, path, message) => {
    const res = await put(path);
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body) as { error: string; problems: string[] };
    expect(body.error).toBe('invalid_scenario');
    expect(body.problems.join(' ')).toMatch(message);
    expect(res.body).not.toMatch(/root:|"name": "mock-entra"/);
    expect(idp.scenario.description).toBe('Contoso, a tenant where every sign-in works');
  });

  it('loads a shipped scenario by its path, and records the refused request with its real status', async () => {
    expect((await put(DEFAULT_SCENARIO.replace('default.yaml', 'throttled.yaml'))).status).toBe(200);
    await idp.useScenario(DEFAULT_SCENARIO);
    await put('/etc/passwd');
    expect(idp.requests().at(-1)).toMatchObject({ path: '/_mock/scenario', status: 400 });
  });
});

describe('state a client sends is bounded', () => {
  const idp = useMockEntra({ tls: false });

  it('an authorize request with a 12 KB state gets Entra\'s page (AADSTS90015) and starts no sign-in', async () => {
    const q = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid', state: 'x'.repeat(12 * 1024) });
    const res = await raw(idp.url, { path: `/${TENANT_ID}/oauth2/v2.0/authorize?${q}` });
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/AADSTS90015: Requested query string is too long\. The (&#39;|')state(&#39;|') parameter is longer than 2048 characters\./);
    expect(res.headers.location).toBeUndefined();
  });

  it('a SAML request with a 200 KB RelayState gets AADSTS75005 and leaves no pending sign-in', async () => {
    const { xml } = authnRequest();
    const body = new URLSearchParams({ SAMLRequest: Buffer.from(xml).toString('base64'), RelayState: 'r'.repeat(200 * 1024) }).toString();
    const res = await raw(idp.url, { method: 'POST', path: `/${TENANT_ID}/saml2`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(res.body).toMatch(/AADSTS75005: .*RelayState is longer than 4096 characters/);
    expect(res.body).not.toContain('SAMLResponse');
  });

  it('a bounded store drops the oldest entries past its byte budget', () => {
    const store = new BoundedMap<string, string>(100, 60_000, (v) => v.length, 1000);
    for (let i = 0; i < 10; i++) store.set(`k${i}`, 'x'.repeat(300));
    expect(store.size).toBe(3);
    expect(store.get('k9')).toBeDefined();
    expect(store.get('k0')).toBeUndefined();
  });
});

describe('a scenario', () => {
  it('whose certificate is not a certificate is refused at load, naming the entry', () => {
    const base = parse(readFileSync(DEFAULT_SCENARIO, 'utf8')) as ScenarioInput;
    const broken = { ...base, apps: [...(base.apps ?? []), { name: 'bad-cert', certificates: ['-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----'] }] };
    expect(() => parseScenario(broken)).toThrow(ScenarioError);
    try {
      parseScenario(broken);
    } catch (err) {
      expect((err as ScenarioError).problems.join(' ')).toMatch(/apps\[\d+\]\.certificates\[0\]: not a certificate/);
    }
  });
});

describe('scenario switches', () => {
  const idp = useMockEntra();

  it('run one at a time: back-to-back switches leave the second scenario with its own TLS certificate', async () => {
    for (let i = 0; i < 5; i++) {
      await Promise.all([idp.useScenario(DEFAULT_SCENARIO.replace('default.yaml', 'untrusted-tls.yaml')), idp.useScenario(DEFAULT_SCENARIO)]);
      expect(idp.scenario.tls.certificate).toBe('trusted');
      const issuer = await new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: idp.port, servername: 'localhost', ca: idp.caCert }, () => {
          resolve(socket.getPeerX509Certificate()?.issuer ?? '');
          socket.end();
        });
        socket.on('error', reject);
      });
      expect(issuer).toBe(new X509Certificate(idp.caCert).subject);
    }
  });
});

describe('public clients', () => {
  const idp = useMockEntra({ tls: false });

  it.each(['http://localhost:9999/', 'http://localhost:9999', 'http://localhost:61234/'])("sign in with the loopback redirect URI %s on any port (Entra's rule), with a code at the end", async (redirectUri) => {
    const q = new URLSearchParams({ client_id: '9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d', response_type: 'code', redirect_uri: redirectUri, scope: 'openid', login_hint: 'ada@contoso.onmicrosoft.com', code_challenge: 'c'.repeat(43), code_challenge_method: 'S256' });
    const landed = await follow(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize?${q}`);
    expect(landed.url.origin).toBe(new URL(redirectUri).origin);
    expect(landed.url.searchParams.get('error_description')).toBeNull();
    expect(landed.url.searchParams.get('code')).toMatch(/./);
  });

  it('a sign-in page whose interaction cookie is missing says to start again, not a bare invalid_request', async () => {
    const res = await raw(idp.url, { path: `/${TENANT_ID}/login/not-an-interaction` });
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/AADSTS90023: .*start the sign-in again from the application/);
  });
});

describe('form_post requests Entra accepts', () => {
  const idp = useMockEntra({ tls: false });
  const post = (path: string, form: Record<string, string>) => raw(idp.url, { method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });

  it('POST /authorize starts the sign-in like GET (on to the sign-in step)', async () => {
    const res = await post(`/${TENANT_ID}/oauth2/v2.0/authorize`, { client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid' });
    expect([302, 303]).toContain(res.status);
    expect(String(res.headers.location)).toMatch(new RegExp(`^/${TENANT_ID}/login/`));
  });

  it('POST /logout signs out like GET', async () => {
    const res = await post(`/${TENANT_ID}/oauth2/v2.0/logout`, { post_logout_redirect_uri: WEB.postLogoutRedirectUri });
    expect(res.status).toBeLessThan(400);
    expect(res.body).not.toMatch(/Not Found/);
  });
});
