/**
 * The dashboard's Sign-in logs in Debian's chromium: a failed sign-in (wrong password on the page)
 * and a successful one (ROPC with MSAL), filtered by status, the failure opened (code, reason, fix,
 * parameters without the password), the success's decoded token, and the JSON download.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignInRecord } from '../../src/index.js';
import { ADA, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra({ tls: false });
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH.`);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('Sign-in logs page', () => {
  it('filters by status, opens the failed sign-in with its code, reason, fix and redacted parameters, decodes the successful one and downloads JSON', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const authorize = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
    authorize.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile', login_hint: ADA.upn, prompt: 'login' }).toString();
    await page.goto(authorize.toString());
    await page.getByLabel('Password').fill('not-her-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Your account or password is incorrect');

    // ROPC as a script sends it (MSAL refuses an http:// authority; chromium here runs without TLS).
    const res = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', client_id: WEB.clientId, client_secret: WEB.secret, username: ADA.upn, password: ADA.password, scope: 'openid User.Read' }) });
    expect(res.status).toBe(200);

    await page.goto(`${idp.url}/`);
    await page.getByRole('link', { name: 'Sign-in logs' }).click();
    await page.getByLabel('Status').selectOption('failure');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((u) => u.searchParams.get('status') === 'failure');
    const rows = page.locator('#signins tbody tr');
    const statuses = await rows.locator('td:nth-child(4)').allTextContents();
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set(['Failure']));
    const failed = rows.filter({ hasText: '50126' }).first();
    await failed.getByRole('link').click();
    const main = () => page.textContent('main');
    await expect.poll(main).toContain('Error validating credentials due to invalid username or password.');
    expect(await main()).toMatch(/user name or password is wrong/);
    expect(await page.getByRole('link', { name: 'AADSTS50126' }).first().getAttribute('href')).toBe('/error?code=50126');
    const ended = await page.locator('#params-ended').textContent();
    expect(ended).toContain('(redacted)');
    expect(ended).not.toContain('not-her-password');
    expect(await page.locator('#params-started').textContent()).toContain(WEB.redirectUri);

    const download = page.waitForEvent('download');
    await page.goto(`${idp.url}/signins?status=failure`);
    await page.locator('#download').click();
    const records = JSON.parse(await readFile((await (await download).path())!, 'utf8')) as SignInRecord[];
    expect(records.length).toBe(statuses.length);
    expect(records.every((r) => r.mockEntra.outcome === 'Failure')).toBe(true);

    await page.goto(`${idp.url}/signins?status=success&user=${encodeURIComponent(ADA.upn)}`);
    await page.locator('#signins tbody tr', { hasText: 'ROPC' }).first().getByRole('link').click();
    await expect.poll(main).toContain('access_token');
    expect(await main()).toContain(`"upn": "${ADA.upn}"`);
    expect(await page.locator('#params-ended').textContent()).not.toContain(ADA.password);
    await context.close();
  });
});
