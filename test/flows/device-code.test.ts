import { AuthError, PublicClientApplication } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { CookieJar } from '../helpers/browserless.js';
import { ADA, CLI, TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra();
/** The default scenario with other device code timings. */
const deviceCodes = (timing: { interval: number; expiresIn: number }) =>
  idp.useScenario({ ...idp.scenario, signIn: { ...idp.scenario.signIn, deviceCode: timing } } as never);
// Entra polls every 5 s; a 1 s interval keeps the tests short and MSAL honours it. Every test
// starts from these timings (reset() does not switch scenarios back).
beforeEach(() => deviceCodes({ interval: 1, expiresIn: 900 }));

const cli = () => new PublicClientApplication({ auth: { clientId: CLI.clientId, authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] } });
const devicecode = (body: Record<string, string>) => fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/devicecode`, { method: 'POST', body: new URLSearchParams(body) });
const poll = (device_code: string, grant_type = 'device_code') =>
  fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type, client_id: CLI.clientId, device_code }) });

describe('device code flow', () => {
  it('answers /devicecode with Entra\'s fields and message', async () => {
    const res = await devicecode({ client_id: CLI.clientId, scope: 'User.Read offline_access' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['device_code', 'expires_in', 'interval', 'message', 'user_code', 'verification_uri']);
    expect(body.user_code).toMatch(/^[A-Z0-9]{9}$/);
    expect(body.verification_uri).toBe(`${idp.url}/devicelogin`);
    expect(body.expires_in).toBe(900);
    expect(body.message).toBe(`To sign in, use a web browser to open the page ${idp.url}/devicelogin and enter the code ${body.user_code} to authenticate.`);
  });

  it('msal-node acquireTokenByDeviceCode completes once the code is approved (admin API, headless)', async () => {
    const result = await cli().acquireTokenByDeviceCode({
      scopes: ['User.Read'],
      deviceCodeCallback: (r) => {
        void fetch(`${idp.url}/_mock/devicecodes/${r.userCode}/approve`, { method: 'POST', body: JSON.stringify({ user: ADA.upn }) });
      },
    });
    expect(result?.account?.username).toBe(ADA.upn);
    expect(decodeJwt(result!.accessToken)).toMatchObject({ aud: 'https://graph.microsoft.com', appid: CLI.clientId, appidacr: '0', upn: ADA.upn });
  });

  it('polling answers authorization_pending (70016), then slow_down when too fast; the URN grant type works too', async () => {
    const { device_code, user_code } = (await (await devicecode({ client_id: CLI.clientId, scope: 'User.Read' })).json()) as Record<string, string>;
    const first = await poll(device_code!, 'urn:ietf:params:oauth:grant-type:device_code');
    expect(first.status).toBe(400);
    expect(await first.json()).toMatchObject({ error: 'authorization_pending', error_codes: [70016] });
    const fast = await poll(device_code!);
    expect(await fast.json()).toMatchObject({ error: 'slow_down' });
    await idp.approveDeviceCode(user_code!, ADA.upn);
    await new Promise((r) => setTimeout(r, 600));
    const done = await poll(device_code!, 'urn:ietf:params:oauth:grant-type:device_code');
    expect(done.status).toBe(200);
    expect(decodeJwt(((await done.json()) as { access_token: string }).access_token)).toMatchObject({ upn: ADA.upn, appid: CLI.clientId });
  });

  it('a declined code answers authorization_declined; an expired one expired_token (AADSTS70020)', async () => {
    const a = (await (await devicecode({ client_id: CLI.clientId, scope: 'User.Read' })).json()) as Record<string, string>;
    await fetch(`${idp.url}/_mock/devicecodes/${a.user_code}/decline`, { method: 'POST' });
    expect(await (await poll(a.device_code!)).json()).toMatchObject({ error: 'authorization_declined' });
    await deviceCodes({ interval: 1, expiresIn: 1 });
    const b = (await (await devicecode({ client_id: CLI.clientId, scope: 'User.Read' })).json()) as Record<string, string>;
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await poll(b.device_code!);
    expect(await expired.json()).toMatchObject({ error: 'expired_token', error_codes: [70020] });
  });

  it('a person completes the code at /devicelogin by entering it and signing in', async () => {
    const { device_code, user_code } = (await (await devicecode({ client_id: CLI.clientId, scope: 'User.Read' })).json()) as Record<string, string>;
    const jar = new CookieJar();
    const page = await (await fetch(`${idp.url}/devicelogin`)).text();
    expect(page).toContain('Enter code');
    const wrong = await (await fetch(`${idp.url}/devicelogin`, { method: 'POST', body: new URLSearchParams({ otc: 'NOPE12345' }) })).text();
    expect(wrong).toContain('AADSTS70018');
    const login = await (await fetch(`${idp.url}/devicelogin`, { method: 'POST', body: new URLSearchParams({ otc: user_code! }) })).text();
    expect(login).toContain('Pick an account');
    const action = /<form method="post" action="([^"]+)"/.exec(login)![1]!;
    const done = await (await fetch(new URL(action, idp.url), { method: 'POST', body: new URLSearchParams({ username: ADA.upn, password: ADA.password }), headers: { cookie: jar.header() } })).text();
    expect(done).toContain('You have signed in to the sample-cli application on your device.');
    expect((await poll(device_code!)).status).toBe(200);
  });

  it('msal-node stops polling and reports a declined code (post_request_failed: authorization_declined)', async () => {
    const err = await cli()
      .acquireTokenByDeviceCode({
        scopes: ['User.Read'],
        deviceCodeCallback: (r) => {
          void fetch(`${idp.url}/_mock/devicecodes/${r.userCode}/decline`, { method: 'POST' });
        },
      })
      .then(() => undefined, (e: unknown) => e);
    // MSAL wraps any polling error other than pending/slow_down in an AuthError naming it.
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).errorCode).toBe('post_request_failed');
    expect((err as AuthError).errorMessage).toContain('authorization_declined');
  });
});
