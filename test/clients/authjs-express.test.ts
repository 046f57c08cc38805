/** docs/clients/authjs-express.md: its scenario and its Express app, run as written, sign Ada in through the sign-in page. */
import { resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DOC_APP, DOC_MOCK, freePort, type RunningApp, snippet, startApp, Visitor, writeSnippet } from '../helpers/clients.js';
import { ADA, TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const DOC = 'docs/clients/authjs-express.md';
const port = await freePort();
const appOrigin = `http://localhost:${port}`;
const scenario = writeSnippet('authjs.scenario.yaml', snippet(DOC, 'authjs-scenario'), {
  [DOC_APP]: appOrigin,
});
const idp = useMockEntra({ scenario: resolve(scenario) });
let app: RunningApp;

beforeAll(async () => {
  const file = writeSnippet('authjs-express.mjs', snippet(DOC, 'authjs-express'), {
    [DOC_MOCK]: idp.url,
    'app.listen(3000': `app.listen(${port}`,
  });
  app = await startApp(process.execPath, [file], { ready: /listening on/ });
});
afterAll(() => app?.stop());

it('signs Ada in with the Microsoft Entra ID provider and keeps her in the session', async () => {
  const visitor = new Visitor();
  const csrf = JSON.parse((await visitor.go(`${appOrigin}/auth/csrf`)).html) as { csrfToken: string };
  // What the provider's button on /auth/signin posts.
  const signedIn = await visitor.go(`${appOrigin}/auth/signin/microsoft-entra-id`, {
    method: 'POST',
    body: new URLSearchParams({ csrfToken: csrf.csrfToken, callbackUrl: `${appOrigin}/` }),
  });
  expect(signedIn.url.href, signedIn.trail.join('\n') + app.output()).toBe(`${appOrigin}/`);
  expect(signedIn.trail.filter((t) => t.startsWith(`POST ${idp.url}`))).toHaveLength(2);
  const session = JSON.parse(signedIn.html) as { user?: Record<string, unknown> };
  expect(session.user).toEqual({ name: ADA.name, email: ADA.upn, image: null });
  const token = idp.requests().find((r) => r.path === `/${TENANT_ID}/oauth2/v2.0/token`);
  expect(token?.status).toBe(200);
});
