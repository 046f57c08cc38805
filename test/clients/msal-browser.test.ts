/**
 * docs/clients/msal-browser.md: its scenario and its page, as written, in Debian's chromium (driven
 * by playwright-core): loginRedirect, Ada on the sign-in page, the account shown on the way back.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename, dirname, resolve } from 'node:path';
import { type Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, snippet, writeSnippet } from '../helpers/clients.js';
import { ADA, TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const DOC = 'docs/clients/msal-browser.md';
const port = await freePort();
const spaOrigin = `http://localhost:${port}`;
const scenario = writeSnippet('msal-browser.scenario.yaml', snippet(DOC, 'msal-browser-scenario'), {
  'localhost:5173': `localhost:${port}`,
});
const idp = useMockEntra({ scenario });
let browser: Browser;
let site: Server;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`This test needs Chromium at ${CHROMIUM}: apt-get install -y chromium (Debian), or set CHROMIUM_PATH.`);
  const page = writeSnippet('msal-browser/index.html', snippet(DOC, 'msal-browser-page'), {
    'localhost:8443': `localhost:${idp.port}`,
    'localhost:5173': `localhost:${port}`,
  });
  const dir = dirname(page);
  copyFileSync(resolve('node_modules/@azure/msal-browser/lib/msal-browser.min.js'), resolve(dir, 'msal-browser.min.js'));
  // The static server the guide leaves to the reader: the folder's two files.
  site = createServer((req, res) => {
    const name = basename(new URL(req.url ?? '/', spaOrigin).pathname) || 'index.html';
    const file = resolve(dir, name);
    if (!existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8' }).end(readFileSync(file));
  });
  await new Promise<void>((done, fail) => site.once('error', fail).listen(port, '127.0.0.1', done));
  browser = await launchChromium([`--host-resolver-rules=MAP localhost:${port} 127.0.0.1:${port}`]);
});
afterAll(async () => {
  await browser?.close();
  await new Promise((done) => (site ? site.close(done) : done(undefined)));
});

it('loginRedirect: Ada signs in on the mock page and the SPA shows her account', async () => {
  // The guide's trust step for tests: ignoreHTTPSErrors instead of importing certs/ca.pem.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    await page.goto(`${spaOrigin}/`);
    await expect.poll(() => page.locator('#account').textContent()).toBe('Not signed in');
    await page.click('#signin');
    await page.waitForURL((u) => u.href.startsWith(idp.url));
    await page.getByRole('button', { name: new RegExp(ADA.name) }).click();
    await page.fill('#password', ADA.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.href.startsWith(spaOrigin));
    await expect.poll(() => page.locator('#account').textContent(), { timeout: 10_000 }).toBe(`Signed in as ${ADA.name} (${ADA.upn})`);
    // The SPA redeemed the code itself, from its origin (the SPA platform's CORS answer).
    const token = idp.requests().find((r) => r.path === `/${TENANT_ID}/oauth2/v2.0/token`);
    expect(token?.status).toBe(200);
  } finally {
    await context.close();
  }
});
