/**
 * The sign-in pages and the dashboard in a real browser: Debian's chromium driven by playwright-core.
 * One browser for the whole file; each test gets a fresh context, so no cookies carry over.
 * Screenshots land in test-results/screenshots/ (git-ignored; CI keeps them as artifacts).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ADA, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { authnRequest, browse, CookieJar, deflate64, SAML_APP } from '../saml/support.js';

const SHOTS = resolve('test-results/screenshots');
const APP_ORIGIN = 'http://localhost:3000';

/** What the stand-in app at http://localhost:3000 received. */
interface AppHit {
  method: string;
  url: URL;
  body: URLSearchParams;
}

// Plain HTTP: chromium does not read NODE_EXTRA_CA_CERTS, and the flows under test do not depend
// on TLS (trusting certs/ca.pem would take an NSS database in a user-data-dir).
const idp = useMockEntra({ tls: false });
let browser: Browser;
let app: Server;
const hits: AppHit[] = [];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The browser tests need Chromium at ${CHROMIUM}: install it with 'apt-get install -y chromium' (Debian), or set CHROMIUM_PATH.`);
  }
  // sample-web's redirect URI and sample-saml's ACS are on http://localhost:3000. page.route cannot
  // answer there: a route never sees the target of a redirect. So a small server stands in for the
  // app on an ephemeral port, and chromium resolves localhost:3000 to it (--host-resolver-rules).
  app = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ method: req.method ?? 'GET', url: new URL(req.url ?? '/', APP_ORIGIN), body: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) });
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end('<!DOCTYPE html><html lang="en"><head><title>sample app</title></head><body><h1>Signed in to the sample app</h1></body></html>');
    });
  });
  await new Promise<void>((done) => app.listen(0, '127.0.0.1', done));
  browser = await launchChromium([`--host-resolver-rules=MAP localhost:3000 127.0.0.1:${(app.address() as AddressInfo).port}`]);
  await mkdir(SHOTS, { recursive: true });
});

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => (app ? app.close(done) : done(undefined)));
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

function authorizeUrl(params: Record<string, string> = {}): string {
  const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile email', state: 'browser', ...params }).toString();
  return u.toString();
}

const samlUrl = () => `${idp.url}/${TENANT_ID}/saml2?${new URLSearchParams({ SAMLRequest: deflate64(authnRequest().xml) })}`;

/** Waits until the browser arrives at the app (path on localhost:3000) and returns what the app got. */
async function arrivedAt(page: Page, path: string): Promise<AppHit> {
  await page.waitForURL((u) => u.origin === APP_ORIGIN && u.pathname === path);
  const hit = hits.findLast((h) => h.url.pathname === path);
  expect(hit, `the app received nothing at ${path}`).toBeDefined();
  return hit!;
}

const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();

/** The app's half of the code flow: redeem the code at the token endpoint, as a web app does. */
async function redeem(code: string): Promise<{ id_token: string }> {
  const res = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: WEB.redirectUri, client_id: WEB.clientId, client_secret: WEB.secret, scope: 'openid profile email' }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { id_token: string };
}

describe('signing in through the pages', () => {
  it('OIDC: picking Ada, typing her password and submitting brings the app an authorization code', async () => {
    const page = await newPage();
    await page.goto(authorizeUrl());
    expect(await h1(page)).toBe('Pick an account');
    await shot(page, 'account-picker');
    await page.getByRole('button', { name: /Ada Lovelace/ }).click();
    expect(await h1(page)).toBe('Enter password');
    await page.getByLabel('Password').fill(ADA.password);
    await shot(page, 'password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const hit = await arrivedAt(page, '/auth/callback');
    expect(hit.url.searchParams.get('state')).toBe('browser');
    const code = hit.url.searchParams.get('code');
    expect(code).toBeTruthy();
    await redeem(code!);
  });

  it('a wrong password keeps the password form, says so and marks the field invalid', async () => {
    const page = await newPage();
    await page.goto(authorizeUrl({ login_hint: ADA.upn, prompt: 'login' }));
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Your account or password is incorrect');
    expect(await page.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
  });

  it('SAML: the Redirect-binding AuthnRequest shows the login page; Ada signs in and the ACS receives a SAMLResponse', async () => {
    const page = await newPage();
    await page.goto(samlUrl());
    expect(await h1(page)).toBe('Pick an account');
    await expect.poll(() => page.textContent('main')).toContain(`to continue to ${SAML_APP.name}`);
    await page.getByRole('button', { name: /Ada Lovelace/ }).click();
    await page.getByLabel('Password').fill(ADA.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const hit = await arrivedAt(page, '/saml/acs');
    expect(hit.method).toBe('POST');
    const xml = Buffer.from(hit.body.get('SAMLResponse') ?? '', 'base64').toString('utf8');
    expect(xml).toMatch(/^<samlp:Response /);
    expect(xml).toContain(`>${ADA.upn}</NameID>`);
  });

  it('keyboard only: Tab through the accounts to Ada, Enter, type the password, Enter', async () => {
    const page = await newPage();
    await page.goto(authorizeUrl());
    const focused = () => page.locator(':focus').textContent();
    // The first account has focus on arrival; Tab and Shift+Tab move through the list.
    expect(await focused()).toContain(ADA.upn);
    await page.keyboard.press('Tab');
    expect(await focused()).toContain('grace@');
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toContain(ADA.upn);
    await page.keyboard.press('Enter');
    await expect.poll(() => h1(page)).toBe('Enter password');
    // The password field has focus: type straight away.
    expect(await page.locator(':focus').getAttribute('id')).toBe('password');
    await page.keyboard.type(ADA.password);
    await page.keyboard.press('Enter');
    const hit = await arrivedAt(page, '/auth/callback');
    expect(hit.url.searchParams.get('code')).toBeTruthy();
  });

  it('a wrong redirect URI ends on the error page with AADSTS50011 and the request trace ID', async () => {
    const page = await newPage();
    const res = await page.goto(authorizeUrl({ redirect_uri: 'https://evil.example/callback' }));
    const traceId = res?.headers()['x-ms-request-id'];
    expect(traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await page.getByRole('alert').textContent()).toMatch(/^AADSTS50011: The redirect URI 'https:\/\/evil\.example\/callback'/);
    expect(await page.locator('[data-field="code"]').textContent()).toMatch(/^AADSTS50011:/);
    expect(await page.locator('[data-field="trace_id"]').textContent()).toBe(traceId);
    expect(await page.locator('[data-field="correlation_id"]').textContent()).toMatch(/^[0-9a-f-]{36}$/);
    expect(await page.getByRole('heading', { level: 2 }).textContent()).toBe('Troubleshooting details');
    await shot(page, 'error-aadsts50011');
  });
});

describe('the dashboard', () => {
  // Its own sign-ins (headless), so these tests do not rely on the page tests above having run.
  beforeAll(async () => {
    await idp.signIn({ user: ADA.upn, app: 'sample-web', scopes: ['openid', 'profile', 'email'] });
    // SAML through the login page, as in the browser: the Response is issued by the password POST.
    const jar = new CookieJar();
    const page = await browse(samlUrl(), { jar });
    const action = /<form method="post" action="([^"]*\/saml2\/login\/[^"]+)"/.exec(page.html)?.[1];
    expect(action, page.html.slice(0, 400)).toBeDefined();
    const answer = await browse(`${idp.url}${action}`, { jar, method: 'POST', body: new URLSearchParams({ username: ADA.upn, password: ADA.password }) });
    expect(answer.responseXml).toContain(`>${ADA.upn}</NameID>`);
  });

  it('lists the requests of the sign-ins, newest first, with app, user and status', async () => {
    const page = await newPage();
    await page.goto(`${idp.url}/requests`);
    const rows = page.locator('#log tbody tr');
    const token = rows.filter({ hasText: '/oauth2/v2.0/token' }).first();
    expect(await token.textContent()).toContain('sample-web');
    expect(await token.textContent()).toContain(ADA.upn);
    const saml = rows.filter({ hasText: 'SAMLResponse' }).first();
    expect(await saml.textContent()).toContain(SAML_APP.name);
    expect(await saml.textContent()).toContain(ADA.upn);
    const times = await Promise.all((await rows.locator('time').all()).map((t) => t.getAttribute('datetime')));
    expect(times.length).toBeGreaterThan(5);
    expect(times).toEqual([...times].sort().reverse());
    await shot(page, 'requests');
  });

  it('refreshes the log by itself when JavaScript runs', async () => {
    const page = await newPage();
    await page.goto(`${idp.url}/requests`);
    expect(await page.getByLabel('Refresh automatically').isChecked()).toBe(true);
    const marker = `/no-such-endpoint-${Date.now()}`;
    await (await fetch(`${idp.url}${marker}`)).arrayBuffer();
    await page.locator('#log tbody', { hasText: marker }).waitFor({ timeout: 8_000 });
  });

  it("a token request's detail view decodes the ID token: header and claims", async () => {
    const page = await newPage();
    await page.goto(`${idp.url}/requests`);
    await page.locator('#log tbody tr', { hasText: '/oauth2/v2.0/token' }).first().getByRole('link').click();
    await page.getByRole('heading', { name: /^id_token/ }).waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain(`"preferred_username": "${ADA.upn}"`);
    expect(text).toContain(`"aud": "${WEB.clientId}"`);
    expect(text).toContain('"alg": "RS256"');
    expect(text).not.toContain(WEB.secret);
    await shot(page, 'request-detail-token');
  });

  it("a SAML sign-in's detail view shows the Response and its Assertion as indented XML", async () => {
    const page = await newPage();
    await page.goto(`${idp.url}/requests`);
    await page.locator('#log tbody tr', { hasText: 'SAMLResponse' }).first().getByRole('link').click();
    const pre = page.locator('pre').first();
    const xml = (await pre.textContent()) ?? '';
    expect(xml).toMatch(/^<samlp:Response /);
    expect(xml).toMatch(/\n {2}<Assertion /);
    expect(xml).toContain(`<NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${ADA.upn}</NameID>`);
    expect(await page.locator('main').textContent()).not.toContain(ADA.password);
    await shot(page, 'request-detail-saml');
  });

  it('the overview shows the portal values with working copy buttons', async () => {
    const page = await newPage();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: idp.url });
    await page.goto(`${idp.url}/`);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain(TENANT_ID);
    expect(text).toContain(`${idp.url}/${TENANT_ID}/federationmetadata/2007-06/federationmetadata.xml?appid=${SAML_APP.clientId}`);
    const copy = page.getByRole('button', { name: 'Copy Application (client) ID' }).first();
    await copy.click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(WEB.clientId);
    await shot(page, 'overview');
  });

  it("a switch's button flips it, and the overview then shows it on", async () => {
    await idp.useScenario('scenarios/first-test-failure.yaml');
    const page = await newPage();
    await page.goto(`${idp.url}/`);
    expect(await page.locator('#rules ~ table').textContent()).toContain('fail with AADSTS7000112');
    await page.getByRole('button', { name: 'Turn on sso-enabled' }).click();
    await page.getByRole('button', { name: 'Turn off sso-enabled' }).waitFor();
    await page.locator('section', { has: page.locator('#scenario') }).screenshot({ path: `${SHOTS}/scenario-switches.png` });
    const state = (await (await fetch(`${idp.url}/_mock/scenario`)).json()) as { switches: Record<string, boolean> };
    expect(state.switches).toEqual({ 'sso-enabled': true });
  });
});

describe('the error lookup', () => {
  it("a code's page renders with its heading and links back to the list of codes, which links to it again", async () => {
    const page = await newPage();
    await page.goto(`${idp.url}/error?code=7000215`);
    expect(await h1(page)).toBe('AADSTS7000215');
    expect(await page.locator('[data-field="fix"]').textContent()).toContain('Certificates & secrets');
    await shot(page, 'error-lookup');
    await page.getByRole('link', { name: 'All error codes' }).click();
    expect(await h1(page)).toBe('Error codes');
    expect(new URL(page.url()).pathname).toBe('/error');
    await page.getByRole('link', { name: 'AADSTS50011', exact: true }).click();
    expect(await h1(page)).toBe('AADSTS50011');
  });
});
