/** docs/clients/express-openid-connect.md: its Express app, run as written, signs Ada in through the sign-in page. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DOC_APP, DOC_MOCK, freePort, type RunningApp, snippet, startApp, Visitor, withRedirectUris, writeSnippet } from '../helpers/clients.js';
import { ADA, TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const CODE_FLOW = "  authorizationParams: { response_type: 'code', scope: 'openid profile email' },\n";
const [port, defaultsPort] = [await freePort(), await freePort()];
const appOrigin = `http://localhost:${port}`;
const defaultsOrigin = `http://localhost:${defaultsPort}`;
const idp = useMockEntra({ scenario: withRedirectUris('express-openid-connect', `${appOrigin}/auth/callback`, `${defaultsOrigin}/auth/callback`) });
const apps: RunningApp[] = [];
let app: RunningApp;

/** The guide's app on `p`, with `more` replacements. */
async function run(name: string, p: number, more: Record<string, string> = {}): Promise<RunningApp> {
  const file = writeSnippet(`${name}.mjs`, snippet('docs/clients/express-openid-connect.md', 'express-openid-connect'), {
    [DOC_MOCK]: idp.url,
    [DOC_APP]: `http://localhost:${p}`,
    'app.listen(3000': `app.listen(${p}`,
    ...more,
  });
  const started = await startApp(process.execPath, [file], { ready: /listening on/ });
  apps.push(started);
  return started;
}

beforeAll(async () => {
  app = await run('express-openid-connect', port);
});
afterAll(() => Promise.all(apps.map((a) => a.stop())));

it('signs Ada in with the authorization code flow and shows her claims', async () => {
  const page = await new Visitor().go(`${appOrigin}/`);
  expect(page.url.href, page.trail.join('\n') + app.output()).toBe(`${appOrigin}/`);
  // through the sign-in page: the account picker, then the password
  expect(page.trail.filter((t) => t.startsWith(`POST ${idp.url}`))).toHaveLength(2);
  const user = JSON.parse(page.html) as Record<string, string>;
  expect(user).toMatchObject({ preferred_username: ADA.upn, name: ADA.name, email: ADA.upn, tid: TENANT_ID });
  expect(user.oid).toMatch(/^[0-9a-f-]{36}$/);
  // The code went to the mock's token endpoint of the guide's tenant, from the app (not the browser).
  const token = idp.requests().find((r) => r.path === `/${TENANT_ID}/oauth2/v2.0/token`);
  expect(token?.status).toBe(200);
});

it("without the guide's authorizationParams, the library's default (an ID token by form_post) meets AADSTS700054, as the guide warns", async () => {
  const defaults = await run('express-openid-connect-defaults', defaultsPort, { [CODE_FLOW]: '' });
  const page = await new Visitor().go(`${defaultsOrigin}/`);
  const authorize = page.trail.find((t) => t.includes('/oauth2/v2.0/authorize'));
  expect(new URL(authorize!.split(' ')[1]!).searchParams.get('response_type')).toBe('id_token');
  // The mock's answer, posted to the app's callback (the app shows only "authorization response from the server is an error").
  const posted = page.trail.find((t) => t.startsWith(`POST ${defaultsOrigin}/auth/callback `));
  const answer = new URLSearchParams(posted!.split(' ')[2]);
  expect(answer.get('error'), page.trail.join('\n') + defaults.output()).toBe('invalid_request');
  expect(answer.get('error_description')).toMatch(/^AADSTS700054: response_type 'id_token' is not enabled for the application\./);
});
