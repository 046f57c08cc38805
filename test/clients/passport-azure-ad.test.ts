/** docs/clients/passport-azure-ad.md: its Express app, run as written, signs Ada in through the sign-in page. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DOC_APP, DOC_MOCK, freePort, type RunningApp, snippet, startApp, Visitor, withRedirectUris, writeSnippet } from '../helpers/clients.js';
import { ADA, TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const port = await freePort();
const appOrigin = `http://localhost:${port}`;
const idp = useMockEntra({ scenario: withRedirectUris('passport-azure-ad', `${appOrigin}/auth/callback`) });
let app: RunningApp;

beforeAll(async () => {
  const file = writeSnippet('passport-azure-ad.mjs', snippet('docs/clients/passport-azure-ad.md', 'passport-azure-ad'), {
    [DOC_MOCK]: idp.url,
    [DOC_APP]: appOrigin,
    'app.listen(3000': `app.listen(${port}`,
  });
  app = await startApp(process.execPath, [file], { ready: /listening on/ });
});
afterAll(() => app?.stop());

it('signs Ada in with the authorization code flow and shows her claims', async () => {
  const page = await new Visitor().go(`${appOrigin}/login`);
  expect(page.url.href, page.trail.join('\n') + app.output()).toBe(`${appOrigin}/`);
  // through the sign-in page: the account picker, then the password
  expect(page.trail.filter((t) => t.startsWith(`POST ${idp.url}`))).toHaveLength(2);
  const user = JSON.parse(page.html) as Record<string, string>;
  expect(user).toMatchObject({ upn: ADA.upn, name: ADA.name });
  expect(user.oid).toMatch(/^[0-9a-f-]{36}$/);
  // The code went to the mock's token endpoint of the guide's tenant, from the app (not the browser).
  const token = idp.requests().find((r) => r.path === `/${TENANT_ID}/oauth2/v2.0/token`);
  expect(token?.status).toBe(200);
});
