/**
 * The dashboard and the sign-in pages read well on a laptop (1280 px) and a phone (390x844), in
 * Debian's chromium: nothing overflows its card or the page, long URLs wrap only after their
 * separators, UPNs stay on one line, the focused account stays inside the sign-in card, every
 * sign-in page puts its button in the same place, and the aka.ms link of an error page is a link.
 * The serve --watch banner is checked with a stand-in watch state.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { type Browser, type Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transaction } from '../../src/server/transaction.js';
import { uiHandlers } from '../../src/ui/routes.js';
import type { WatchStatus } from '../../src/ui/dashboard.js';
import { follow } from '../helpers/browserless.js';
import { ADA, CLI, GRACE, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { authnRequest, deflate64 } from '../saml/support.js';

const VIEWPORTS = { laptop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const;
const UPNS = [ADA.upn, GRACE.upn];

const idp = useMockEntra({ tls: false });
let browser: Browser;
let signInId: string;
let requestId: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Chromium at ${CHROMIUM}: install it with 'apt-get install -y chromium' (Debian), or set CHROMIUM_PATH.`);
  browser = await launchChromium();
  // Records with long URLs in them: a signed-in authorize (its redirect_uri, scope, state), and a failed one.
  const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: `openid profile offline_access api://sample-api/access_as_user`, login_hint: ADA.upn, state: 'a-rather-long-state-value-that-an-app-sends' }).toString();
  await follow(u.toString());
  signInId = idp.signIns({ user: ADA.upn, top: 1 })[0]!.id;
  requestId = idp.requests().findLast((r) => r.path.includes('/authorize'))!.traceId;
});

afterAll(async () => {
  await browser?.close();
});

async function open(viewport: (typeof VIEWPORTS)[keyof typeof VIEWPORTS], url: string): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const res = await page.goto(url);
  expect(res?.ok(), url).toBe(true);
  return page;
}

/** Every box that is wider than what holds it: the page itself, main, each card and banner. */
const overflows = (page: Page) =>
  page.evaluate(() => {
    const out: string[] = [];
    const d = document.documentElement;
    if (d.scrollWidth > d.clientWidth) out.push(`the page scrolls sideways: ${d.scrollWidth} > ${d.clientWidth}`);
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('main, section.card, section.banner'))) {
      if (el.scrollWidth > el.clientWidth) out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}[${el.getAttribute('aria-labelledby') ?? ''}]: ${el.scrollWidth} > ${el.clientWidth}`);
    }
    return out;
  });

/** Each URL or path shown in code (not in pre) that wraps: the characters around each line break. */
const urlBreaks = (page: Page) =>
  page.evaluate(() => {
    const out: Array<{ text: string; before: string; after: string }> = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('main code, main a, main h1'))) {
      if (el.closest('pre')) continue;
      const text = el.textContent ?? '';
      if (!/^(https?:\/\/|\/)\S+$/.test(text.trim()) && !/^[A-Z]+ \/\S+$/.test(text.trim())) continue;
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      let top: number | undefined;
      let prev = '';
      for (let n = walker.nextNode() as Text | null; n; n = walker.nextNode() as Text | null) {
        for (let i = 0; i < n.length; i++) {
          const range = document.createRange();
          range.setStart(n, i);
          range.setEnd(n, i + 1);
          const rect = range.getClientRects()[0];
          if (!rect || rect.width === 0) continue;
          if (top !== undefined && rect.top > top + 2) out.push({ text, before: prev, after: n.data[i]! });
          top = rect.top;
          prev = n.data[i]!;
        }
      }
    }
    return out;
  });

/** The lines each UPN shown on the page takes (by the text's own line boxes). */
const upnLines = (page: Page, upns: string[]) =>
  page.evaluate((list) => {
    const out: Array<{ upn: string; lines: number }> = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('body *'))) {
      const text = (el.textContent ?? '').trim();
      if (!list.includes(text) || Array.from(el.children).some((c) => (c.textContent ?? '').trim() === text)) continue;
      const range = document.createRange();
      range.selectNodeContents(el);
      out.push({ upn: text, lines: new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => Math.round(r.top))).size });
    }
    return out;
  }, upns);

const SEPARATORS = /[/?&=.#\-\s]/;

for (const [name, viewport] of Object.entries(VIEWPORTS)) {
  describe(`at ${viewport.width}x${viewport.height} (${name})`, () => {
    const dashboardPages = () => ['/', '/requests', `/requests/${requestId}`, '/signins', `/signins/${signInId}`];

    it('no dashboard page overflows its cards or scrolls sideways', async () => {
      for (const path of dashboardPages()) {
        const page = await open(viewport, `${idp.url}${path}`);
        expect(await overflows(page), path).toEqual([]);
        await page.context().close();
      }
    });

    it('long URLs and paths wrap only after a separator (/ ? & = . -), never mid-word', async () => {
      let checked = 0;
      for (const path of dashboardPages()) {
        const page = await open(viewport, `${idp.url}${path}`);
        const breaks = await urlBreaks(page);
        checked += breaks.length;
        for (const b of breaks) expect(b.before, `${path}: '${b.text}' breaks between '${b.before}' and '${b.after}'`).toMatch(SEPARATORS);
        await page.context().close();
      }
      // On a phone the long ones do wrap: the check above had line breaks to look at.
      if (name === 'phone') expect(checked).toBeGreaterThan(0);
    });

    it('a UPN is one line wherever the dashboard shows it', async () => {
      for (const path of ['/', '/requests', '/signins', `/signins/${signInId}`]) {
        const page = await open(viewport, `${idp.url}${path}`);
        const lines = await upnLines(page, UPNS);
        expect(lines.length, `${path} shows a UPN`).toBeGreaterThan(0);
        for (const l of lines) expect(l, path).toEqual({ upn: l.upn, lines: 1 });
        await page.context().close();
      }
    });

    it('on the account picker, each UPN is one line and the focused account row (with its outline) stays inside the card', async () => {
      const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
      u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid' }).toString();
      const page = await open(viewport, u.toString());
      for (const l of await upnLines(page, UPNS)) expect(l).toEqual({ upn: l.upn, lines: 1 });
      // Keyboard focus (what :focus-visible outlines): into the page, onto the first account.
      await page.locator('body').click({ position: { x: 1, y: 1 } });
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const card = el.closest('main')!.getBoundingClientRect();
        const r = el.getBoundingClientRect();
        const s = getComputedStyle(el);
        const out = s.outlineStyle === 'none' ? 0 : Number.parseFloat(s.outlineWidth) + Number.parseFloat(s.outlineOffset);
        return { account: el.closest('ul.accounts') !== null, visible: el.matches(':focus-visible'), left: r.left - out - card.left, right: card.right - (r.right + out) };
      });
      expect(focused).toMatchObject({ account: true, visible: true });
      expect(focused.left).toBeGreaterThanOrEqual(0);
      expect(focused.right).toBeGreaterThanOrEqual(0);
      await page.context().close();
    });

    it('every sign-in page puts its button at the same x with the same width: OIDC, SAML, device login, error lookup', async () => {
      const oidc = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
      oidc.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid' }).toString();
      const saml = `${idp.url}/${TENANT_ID}/saml2?SAMLRequest=${encodeURIComponent(deflate64(authnRequest().xml))}`;
      const device = (await (await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/devicecode`, { method: 'POST', body: new URLSearchParams({ client_id: CLI.clientId, scope: 'User.Read' }) })).json()) as { user_code: string };
      const boxes: Record<string, { x: number; width: number }> = {};
      const measure = async (label: string, page: Page, selector: string) => {
        const box = await page.locator(selector).boundingBox();
        expect(box, label).not.toBeNull();
        boxes[label] = { x: Math.round(box!.x), width: Math.round(box!.width) };
      };
      let page = await open(viewport, oidc.toString());
      await measure('OIDC account picker: Next', page, 'form:has(#username) button[type=submit]');
      await page.fill('#username', ADA.upn);
      await page.click('form:has(#username) button[type=submit]');
      await page.waitForSelector('#password');
      await measure('OIDC password: Sign in', page, 'form:has(#password) button[type=submit]');
      await page.context().close();

      page = await open(viewport, saml);
      await measure('SAML account picker: Next', page, 'form:has(#username) button[type=submit]');
      await page.context().close();

      page = await open(viewport, `${idp.url}/devicelogin`);
      await measure('device login: Next', page, 'form:has(#otc) button[type=submit]');
      await page.fill('#otc', device.user_code);
      await page.click('form:has(#otc) button[type=submit]');
      await page.waitForSelector('#username');
      await measure('device login account picker: Next', page, 'form:has(#username) button[type=submit]');
      await page.context().close();

      page = await open(viewport, `${idp.url}/error`);
      await measure('error lookup: Look up', page, 'form:has(#code) button[type=submit]');
      await page.context().close();

      const first = Object.values(boxes)[0]!;
      expect(Object.keys(boxes)).toHaveLength(6);
      for (const [label, box] of Object.entries(boxes)) expect(box, label).toEqual(first);
    });

    it("an error page's aka.ms link is a link, and the page fits", async () => {
      const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
      u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: 'http://localhost:3000/not/registered/callback', scope: 'openid' }).toString();
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(u.toString());
      await expect.poll(() => page.locator('[data-field="code"]').textContent()).toMatch(/^AADSTS50011:/);
      for (const where of ['#message', '[data-field="code"]']) {
        const link = page.locator(`${where} a[href="https://aka.ms/redirectUriMismatchError"]`);
        expect(await link.count(), where).toBe(1);
        expect(await link.textContent()).toBe('https://aka.ms/redirectUriMismatchError');
      }
      // The redirect URI the request sent is quoted as text, not linked.
      expect(await page.locator('#message a').count()).toBe(1);
      const fits = await page.evaluate(() => [document.documentElement.scrollWidth <= document.documentElement.clientWidth, document.querySelector('main')!.scrollWidth <= document.querySelector('main')!.clientWidth]);
      expect(fits).toEqual([true, true]);
      await context.close();
    });

    it("the lookup page's aka.ms link is a link too", async () => {
      const page = await open(viewport, `${idp.url}/error?code=50011`);
      expect(await page.locator('[data-field="message"] a[href="https://aka.ms/redirectUriMismatchError"]').count()).toBe(1);
      expect(await overflows(page)).toEqual([]);
      await page.context().close();
    });
  });
}

describe('the serve --watch banner', () => {
  const broken: WatchStatus = {
    files: ['/home/someone/projects/a-service-with-a-long-name/test/scenarios/my-app.yaml', '/usr/lib/node_modules/mock-entra/scenarios/default.yaml'],
    lastReload: { at: '2026-12-02T10:15:00.000Z', ok: false },
    error: {
      file: '/home/someone/projects/a-service-with-a-long-name/test/scenarios/my-app.yaml',
      problems: ["apps[0].redirectUris[1]: 'localhost:3000/callback' is not a valid redirect URI: it needs a scheme (https://, or http://localhost)", 'rules[2].when.endpoint: expected one of authorize, token, devicecode, saml, logout, userinfo, metadata'],
      message: 'invalid scenario',
      at: '2026-12-02T10:15:00.000Z',
    },
  };
  let state: WatchStatus | null = broken;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    // The dashboard's handlers as the server mounts them, given the state through their options.
    const handlers = uiHandlers({ origin: { login: 'http://localhost', graph: 'http://localhost' } as never, keys: { certsDir: '', caCertPath: '' } as never, recent: () => [], signIns: idp.signIns as never, identityHeader: 'x', watch: () => state });
    const app = new Koa();
    app.use(async (ctx) => {
      const tx = { body: {}, param: () => '' } as unknown as Transaction;
      await (handlers['dashboard.requests'] as (c: Koa.Context, t: Transaction) => Promise<void>)(ctx, tx);
    });
    server = createServer(app.callback());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://localhost:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((done) => server.close(done)));

  it('shows the file, its problems and what to do, and fits a phone', async () => {
    state = broken;
    for (const viewport of Object.values(VIEWPORTS)) {
      const page = await open(viewport, `${base}/requests`);
      const banner = page.locator('main > section.banner[role=alert]');
      expect(await banner.count()).toBe(1);
      const text = (await banner.textContent())!.replace(/\s+/g, ' ');
      expect(text).toContain(broken.error!.file);
      for (const p of broken.error!.problems) expect(text).toContain(p);
      expect(text).toContain('The server keeps serving the scenario it had before the edit; fix the file and save.');
      expect(await overflows(page)).toEqual([]);
      for (const b of await urlBreaks(page)) expect(b.before, `'${b.text}' breaks between '${b.before}' and '${b.after}'`).toMatch(SEPARATORS);
      await page.context().close();
    }
  });

  it('is gone once a save loads (error null), and absent without --watch', async () => {
    state = { ...broken, lastReload: { at: '2026-12-02T10:16:00.000Z', ok: true }, error: null };
    expect(await (await fetch(`${base}/requests`)).text()).not.toContain('class="banner"');
    state = null;
    expect(await (await fetch(`${base}/requests`)).text()).not.toContain('class="banner"');
    // The real server, which has no watch wired: no banner either.
    expect(await (await fetch(`${idp.url}/requests`)).text()).not.toContain('class="banner"');
  });
});
