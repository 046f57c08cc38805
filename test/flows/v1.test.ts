import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { follow } from '../helpers/browserless.js';
import { ADA, API, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra();

const v1Token = (body: Record<string, string>) =>
  fetch(`${idp.url}/${TENANT_ID}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ client_id: WEB.clientId, client_secret: WEB.secret, ...body }) });

describe('v1 endpoints', () => {
  it('client credentials with resource gives a v1 response: numbers as strings, expires_on, not_before, resource', async () => {
    const res = await v1Token({ grant_type: 'client_credentials', resource: 'https://graph.microsoft.com' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string>;
    expect(body).toMatchObject({ token_type: 'Bearer', resource: 'https://graph.microsoft.com' });
    expect(body.expires_in).toMatch(/^\d+$/);
    expect(body.ext_expires_in).toMatch(/^\d+$/);
    expect(Number(body.expires_on) - Number(body.not_before)).toBe(Number(body.expires_in) + 300);
    const claims = decodeJwt(body.access_token!);
    expect(claims).toMatchObject({ aud: 'https://graph.microsoft.com', iss: `https://sts.windows.net/${TENANT_ID}/`, appid: WEB.clientId, appidacr: '1', ver: '1.0', idtyp: 'app' });
    expect(decodeProtectedHeader(body.access_token!).x5t).toBeDefined();
  });

  it('ROPC with resource gives a v1 user token (upn, unique_name) and a v1 ID token, verifiable against the v1 keys', async () => {
    const res = await v1Token({ grant_type: 'password', resource: 'https://graph.microsoft.com', username: ADA.upn, password: ADA.password });
    const body = (await res.json()) as Record<string, string>;
    expect(res.status).toBe(200);
    const at = decodeJwt(body.access_token!);
    expect(at).toMatchObject({ upn: ADA.upn, unique_name: ADA.upn, appid: WEB.clientId, ver: '1.0', scp: expect.stringContaining('User.Read') });
    const jwks = createRemoteJWKSet(new URL(`${idp.url}/common/discovery/keys`));
    const { payload } = await jwtVerify(body.id_token!, jwks, { issuer: `https://sts.windows.net/${TENANT_ID}/`, audience: WEB.clientId });
    expect(payload).toMatchObject({ ver: '1.0', upn: ADA.upn, unique_name: ADA.upn, given_name: 'Ada', family_name: 'Lovelace', amr: ['pwd'] });
    expect(body.refresh_token).toBeTruthy();
  });

  it('the v1 auth code flow: /oauth2/authorize, then /oauth2/token with resource; aud is the resource as sent', async () => {
    const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/authorize`);
    u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, resource: API.uri, login_hint: ADA.upn, state: 'v1' }).toString();
    const done = await follow(u.toString());
    const code = done.url.searchParams.get('code');
    expect(code).toBeTruthy();
    expect(done.url.searchParams.get('state')).toBe('v1');
    const res = await v1Token({ grant_type: 'authorization_code', code: code!, redirect_uri: WEB.redirectUri, resource: API.uri });
    const body = (await res.json()) as Record<string, string>;
    expect(res.status).toBe(200);
    expect(body.resource).toBe(API.uri);
    // sample-api accepts v2 tokens: aud is its client ID whatever the endpoint.
    expect(decodeJwt(body.access_token!)).toMatchObject({ aud: API.clientId, scp: API.scope, ver: '2.0' });
    expect(decodeJwt(body.id_token!)).toMatchObject({ iss: `https://sts.windows.net/${TENANT_ID}/`, ver: '1.0', aud: WEB.clientId });
  });

  it('a v1 API (accessTokenVersion 1) gets aud = the App ID URI the client asked for', async () => {
    const res = await v1Token({ grant_type: 'password', resource: 'https://graph.microsoft.com/', username: ADA.upn, password: ADA.password });
    const body = (await res.json()) as Record<string, string>;
    expect(decodeJwt(body.access_token!).aud).toBe('https://graph.microsoft.com/');
  });

  it('v1 errors are Entra-shaped too', async () => {
    const res = await v1Token({ grant_type: 'client_credentials', resource: 'api://nope' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_resource', error_codes: [500011] });
  });
});
