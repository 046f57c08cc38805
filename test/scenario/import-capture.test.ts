/**
 * `mock-entra scenario import` of captures of a failing sign-in: a HAR recorded by Debian's chromium
 * (playwright-core's recordHar) through a sign-in the mock refuses with AADSTS50105, a SAML-tracer
 * export of an SP whose RequestedAuthnContext Entra cannot meet (AADSTS75011), and a HAR of a
 * Conditional Access block (AADSTS53003) that only a fault rule reproduces. Each imported scenario
 * serves, a real client sees the same code, and nothing secret of the capture is in it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { SAML } from '@node-saml/node-saml';
import * as client from 'openid-client';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { MockEntra } from '../../src/index.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { cli } from '../cli/in-process.js';
import { follow } from '../helpers/browserless.js';
import { ADA, TENANT_ID, WEB } from '../helpers/ids.js';
import { startMock } from '../helpers/server.js';
import { browse, pageCode, withQuery } from '../saml/support.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'import');
const dir = mkdtempSync(join(tmpdir(), 'mock-entra-import-capture-'));
const servers: MockEntra[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});
const serve = async (scenario: string) => {
  const idp = await startMock({ scenario });
  servers.push(idp);
  return idp;
};

describe('a HAR recorded by chromium through a sign-in refused with AADSTS50105', () => {
  const har = join(dir, 'signin.har');
  const out = join(dir, 'from-har.yaml');

  it('records the failing sign-in: Ada types her password and Entra\'s error page shows AADSTS50105', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`This test needs Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH.`);
    // Plain HTTP: chromium does not read NODE_EXTRA_CA_CERTS. sample-web requires assignment there and only grace is assigned.
    const prod = await startMock({ scenario: 'scenarios/user-not-assigned.yaml', tls: false });
    servers.push(prod);
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ recordHar: { path: har } });
      const page = await context.newPage();
      page.setDefaultTimeout(10_000);
      const url = new URL(`${prod.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
      url.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile email', state: 'har-state-1', nonce: 'har-nonce-1', response_mode: 'query' }).toString();
      await page.goto(url.href);
      await page.getByRole('button', { name: /Ada Lovelace/ }).click();
      await page.getByLabel('Password').fill(ADA.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('AADSTS50105').first().waitFor();
      await context.close(); // writes the HAR
    } finally {
      await browser.close();
    }
    const text = readFileSync(har, 'utf8');
    expect(text).toContain('AADSTS50105');
    expect(text).toMatch(/"name": "password",\s*"value": "Passw0rd%21"|password=Passw0rd%21/); // the capture holds the password…
  });

  it('imports it as sample-web configured so Ada is not assigned, the real reason, with no rule and nothing secret copied', async () => {
    const r = await cli(['scenario', 'import', har, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# What the user sees: Entra's error page, at the authorize endpoint\.$/m);
    expect(text).toMatch(/^# Code: AADSTS50105 "Your administrator has configured the application/m);
    expect(text).toMatch(/^# Reproduced by configuration, for the real reason: "Assignment required\?" is on and no one is assigned\.$/m);
    const s = await loadScenarioFile(out);
    expect(s.rules).toEqual([]);
    expect(s.apps.find((a) => a.name === 'sample-web')).toMatchObject({ clientId: WEB.clientId, assignmentRequired: true, assignments: [], redirectUris: [WEB.redirectUri] });
    // …and the scenario none of it: no cookie value, state, nonce or sign-in page field of the capture.
    const entries = (JSON.parse(readFileSync(har, 'utf8')) as { log: { entries: { request: { headers: { name: string; value: string }[] } }[] } }).log.entries;
    const cookies = entries.flatMap((e) => e.request.headers.filter((h) => h.name.toLowerCase() === 'cookie').flatMap((h) => h.value.split(/;\s*/).map((c) => c.slice(c.indexOf('=') + 1))));
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) expect(text).not.toContain(c);
    for (const v of ['har-state-1', 'har-nonce-1', 'Passw0rd%21']) expect(text).not.toContain(v);
  });

  it('serves it: openid-client\'s authorization request for Ada ends on the error page with the same AADSTS50105', async () => {
    const idp = await serve(out);
    const config = await client.discovery(new URL(`${idp.url}/${TENANT_ID}/v2.0`), WEB.clientId, 'unused', client.ClientSecretPost('unused'));
    const url = client.buildAuthorizationUrl(config, { redirect_uri: WEB.redirectUri, scope: 'openid profile email', login_hint: ADA.upn, nonce: client.randomNonce() });
    const done = await follow(url.href);
    expect(pageCode(done.html)).toBe('50105');
    expect(idp.signIns({ user: ADA.upn })[0]?.status.errorCode).toBe(50105);
  });
});

describe('a SAML-tracer export of a SAML sign-in answered with AADSTS75011', () => {
  const file = join(FIXTURES, 'saml-tracer-75011.json');
  const out = join(dir, 'from-tracer.yaml');
  const TENANT = 'e1c2d3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
  const ISSUER = 'https://wiki.fabrikam.test/saml/metadata';
  const ACS = 'https://wiki.fabrikam.test/saml/acs';

  it('imports the enterprise app from the AuthnRequest, in the captured tenant, and says the request itself gets AADSTS75011', async () => {
    const r = await cli(['scenario', 'import', file, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# What the user sees: a SAML Response to the app whose status is not Success \(StatusMessage AADSTS75011\)/m);
    expect(text).toMatch(/RequestedAuthnContext urn:oasis:names:tc:SAML:2\.0:ac:classes:X509: users here sign in with a password, so the mock answers AADSTS75011/);
    for (const v of ['SENTINEL', 'ada@fabrikam.test']) expect(text).not.toContain(v);
    const s = await loadScenarioFile(out);
    expect(s.tenant.id).toBe(TENANT);
    expect(s.rules).toEqual([]);
    expect(s.apps.find((a) => a.saml?.identifier === ISSUER)?.saml).toMatchObject({ replyUrls: [ACS], nameIdFormat: 'persistent' });
  });

  it('serves it: node-saml as that SP, asking for X509, gets AADSTS75011 from the captured tenant\'s /saml2', async () => {
    const idp = await serve(out);
    const sp = new SAML({ issuer: ISSUER, callbackUrl: ACS, entryPoint: `${idp.url}/${TENANT}/saml2`, idpCert: 'unused', identifierFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent', authnContext: ['urn:oasis:names:tc:SAML:2.0:ac:classes:X509'], racComparison: 'exact' });
    const answer = await browse(withQuery(await sp.getAuthorizeUrlAsync('', undefined, {}), { login_hint: ADA.upn }));
    expect(pageCode(answer.html)).toBe('75011');
  });
});

describe('a HAR of a sign-in blocked by Conditional Access (AADSTS53003)', () => {
  const TENANT = '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
  const CLIENT = '6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d';
  const REDIRECT = 'https://orders.fabrikam.test/signin-oidc';
  const login = `https://login.microsoftonline.com/${TENANT}`;
  const entry = (method: string, url: string, o: { post?: Record<string, string>; status?: number; location?: string; body?: string; cookie?: string } = {}) => ({
    startedDateTime: '2026-11-30T09:12:00.000Z',
    request: {
      method,
      url,
      headers: [{ name: 'Cookie', value: o.cookie ?? 'x-ms-gateway-slice=SENTINEL-COOKIE-1; ESTSAUTH=SENTINEL-COOKIE-2' }],
      queryString: [],
      ...(o.post ? { postData: { mimeType: 'application/x-www-form-urlencoded', text: new URLSearchParams(o.post).toString() } } : {}),
    },
    response: { status: o.status ?? 200, headers: o.location ? [{ name: 'Location', value: o.location }] : [], redirectURL: o.location ?? '', content: { mimeType: 'text/html', text: o.body ?? '<html></html>' } },
  });
  const authorize = `${login}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: CLIENT, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid profile api://fabrikam-orders/Orders.Read', state: 'SENTINEL-STATE', nonce: 'SENTINEL-NONCE', login_hint: 'someone@fabrikam.test' })}`;
  const blocked = `${REDIRECT}?${new URLSearchParams({ error: 'access_denied', error_description: 'AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.\r\nTrace ID: 1\r\nCorrelation ID: 2', state: 'SENTINEL-STATE' })}`;
  const assertion = deflateRawSync('<Assertion>SENTINEL-ASSERTION</Assertion>').toString('base64');
  const capture = {
    log: {
      version: '1.2',
      creator: { name: 'WebInspector', version: '537.36' },
      entries: [
        // An earlier, successful sign-in: its code and tokens must not be copied.
        entry('GET', authorize),
        entry('POST', `${login}/login`, { post: { login: 'someone@fabrikam.test', passwd: 'SENTINEL-PASSWORD', flowToken: 'SENTINEL-FLOWTOKEN' }, status: 302, location: `${REDIRECT}?code=SENTINEL-CODE&state=SENTINEL-STATE` }),
        entry('GET', `${REDIRECT}?code=SENTINEL-CODE&state=SENTINEL-STATE`, { cookie: 'orders=SENTINEL-COOKIE-3' }),
        entry('POST', `${login}/oauth2/v2.0/token`, { post: { client_id: CLIENT, grant_type: 'authorization_code', code: 'SENTINEL-CODE', client_secret: 'SENTINEL-SECRET', redirect_uri: REDIRECT }, body: JSON.stringify({ access_token: 'SENTINEL-TOKEN', id_token: 'SENTINEL-ID-TOKEN', refresh_token: 'SENTINEL-REFRESH' }) }),
        entry('POST', 'https://other.fabrikam.test/saml/acs', { post: { SAMLResponse: assertion } }),
        // Then the blocked one.
        entry('GET', authorize),
        entry('POST', `${login}/login`, { post: { login: 'someone@fabrikam.test', passwd: 'SENTINEL-PASSWORD' }, status: 302, location: blocked }),
        entry('GET', blocked),
      ],
    },
  };
  const file = join(dir, 'blocked.har');
  const out = join(dir, 'from-blocked.yaml');

  it('writes the app (with a generated secret and the API it asks scopes of) and a fault rule answering AADSTS53003, copying nothing secret', async () => {
    writeFileSync(file, JSON.stringify(capture));
    const r = await cli(['scenario', 'import', file, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toMatch(/SENTINEL|someone@fabrikam/);
    expect(text).toMatch(/^# Reproduced by a fault rule: the mock has no setting that makes Entra answer AADSTS53003/m);
    const s = await loadScenarioFile(out);
    expect(s.tenant.id).toBe(TENANT);
    expect(s.rules.at(-1)).toMatchObject({ when: { endpoint: 'authorize', app: CLIENT }, then: { error: 53003 } });
    const app = s.apps.find((a) => a.clientId === CLIENT)!;
    expect(app.redirectUris).toEqual([REDIRECT]);
    expect(app.secrets).toHaveLength(1);
    expect(s.apps.find((a) => a.api?.identifierUri === 'api://fabrikam-orders')?.api?.scopes).toEqual(['Orders.Read']);
  });

  it('serves it: the same authorize request is redirected back to the app with AADSTS53003', async () => {
    const idp = await serve(out);
    const u = new URL(`${idp.url}/${TENANT}/oauth2/v2.0/authorize`);
    u.search = new URLSearchParams({ client_id: CLIENT, response_type: 'code', redirect_uri: REDIRECT, scope: 'openid profile api://fabrikam-orders/Orders.Read', state: 's', login_hint: ADA.upn }).toString();
    const done = await follow(u.href);
    expect(done.url.origin + done.url.pathname).toBe(REDIRECT);
    expect(done.url.searchParams.get('error_description')).toMatch(/^AADSTS53003:/);
  });

  it('exits 2 for a HAR with no Entra request in it', async () => {
    const none = join(dir, 'none.har');
    writeFileSync(none, JSON.stringify({ log: { entries: [entry('GET', 'https://example.test/')] } }));
    const r = await cli(['scenario', 'import', none]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/none\.har: no Entra sign-in requests/);
  });
});
