import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { follow } from '../helpers/browserless.js';
import { ADA, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const LEGACY = { clientId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', redirect: 'http://localhost:5000/signin-oidc' };
const SPA = { clientId: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e', redirect: 'http://localhost:5173/', origin: 'http://localhost:5173' };
const idp = useMockEntra();

// The default scenario plus two browser apps, switched to once the server runs.
beforeAll(async () => {
  await idp.useScenario({
    ...idp.scenario,
    apps: [
      ...idp.scenario.apps,
      { name: 'legacy-spa', clientId: LEGACY.clientId, secrets: ['legacy-secret'], redirectUris: [LEGACY.redirect], implicitGrant: { idTokens: true, accessTokens: true } },
      { name: 'modern-spa', clientId: SPA.clientId, spaRedirectUris: [SPA.redirect] },
    ],
  } as never);
});

const authorize = (params: Record<string, string>) => {
  const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({ scope: 'openid profile', login_hint: ADA.upn, ...params }).toString();
  return u.toString();
};

describe('implicit and hybrid flows', () => {
  it('openid-client: response_type=id_token (implicit) returns an Entra ID token in the fragment', async () => {
    const config = await client.discovery(new URL(`${idp.url}/${TENANT_ID}/v2.0`), LEGACY.clientId, 'legacy-secret');
    client.useIdTokenResponseType(config);
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: LEGACY.redirect, scope: 'openid profile', nonce, login_hint: ADA.upn, response_mode: 'fragment' });
    const done = await follow(url.toString());
    expect(done.url.hash).toContain('id_token=');
    const claims = await client.implicitAuthentication(config, done.url, nonce);
    expect(claims).toMatchObject({ aud: LEGACY.clientId, nonce, name: ADA.name, preferred_username: ADA.upn, ver: '2.0', tid: TENANT_ID });
  });

  it('openid-client: hybrid code id_token carries c_hash, and the code redeems', async () => {
    const config = await client.discovery(new URL(`${idp.url}/${TENANT_ID}/v2.0`), LEGACY.clientId, 'legacy-secret');
    client.useCodeIdTokenResponseType(config);
    const nonce = client.randomNonce();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, { redirect_uri: LEGACY.redirect, scope: 'openid profile', nonce, state, login_hint: ADA.upn, response_mode: 'fragment' });
    const done = await follow(url.toString());
    const frag = new URLSearchParams(done.url.hash.slice(1));
    expect(decodeJwt(frag.get('id_token')!).c_hash).toBeTruthy();
    const tokens = await client.authorizationCodeGrant(config, done.url, { expectedNonce: nonce, expectedState: state });
    expect(tokens.claims()).toMatchObject({ aud: LEGACY.clientId, preferred_username: ADA.upn });
  });

  it('id_token token returns an access token with at_hash in the ID token', async () => {
    const done = await follow(authorize({ client_id: LEGACY.clientId, response_type: 'id_token token', redirect_uri: LEGACY.redirect, nonce: 'n-1', scope: 'openid profile User.Read' }));
    const frag = new URLSearchParams(done.url.hash.slice(1));
    expect(frag.get('access_token')).toBeTruthy();
    expect(decodeJwt(frag.get('id_token')!).at_hash).toBeTruthy();
    expect(decodeJwt(frag.get('access_token')!)).toMatchObject({ aud: 'https://graph.microsoft.com', upn: ADA.upn });
  });

  it('an app without implicit enabled is refused: AADSTS700054 for id_token, redirected back', async () => {
    const done = await follow(authorize({ client_id: WEB.clientId, response_type: 'id_token', redirect_uri: WEB.redirectUri, nonce: 'n' }));
    const params = new URLSearchParams(done.url.hash.slice(1) || done.url.search.slice(1));
    expect(params.get('error_description')).toMatch(/^AADSTS700054: /);
  });

  it('an implicit request without nonce is AADSTS90014', async () => {
    const done = await follow(authorize({ client_id: LEGACY.clientId, response_type: 'id_token', redirect_uri: LEGACY.redirect }));
    const params = new URLSearchParams(done.url.hash.slice(1) || done.url.search.slice(1));
    expect(params.get('error_description')).toMatch(/^AADSTS90014: The required field 'nonce' is missing/);
  });
});

describe('single-page applications', () => {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const redeem = (code: string, extra: Record<string, string> = {}, origin = SPA.origin) =>
    fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { origin },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: SPA.clientId, code, redirect_uri: SPA.redirect, code_verifier: verifier, scope: 'openid profile offline_access', ...extra }),
    });

  it('redeems a code cross-origin with CORS and a 24-hour refresh token (refresh_token_expires_in)', async () => {
    const done = await follow(authorize({ client_id: SPA.clientId, response_type: 'code', redirect_uri: SPA.redirect, code_challenge: challenge, code_challenge_method: 'S256', scope: 'openid profile offline_access' }));
    const res = await redeem(done.url.searchParams.get('code')!);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(SPA.origin);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.refresh_token).toBeTruthy();
    expect(body.refresh_token_expires_in).toBeGreaterThan(86_000);
    expect(body.refresh_token_expires_in).toBeLessThanOrEqual(86_400);
    // The refreshed token keeps the original end: the 24 hours are not extended.
    const again = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { origin: SPA.origin },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: SPA.clientId, refresh_token: body.refresh_token as string, scope: 'openid profile offline_access' }),
    });
    const refreshed = (await again.json()) as Record<string, number>;
    expect(again.status).toBe(200);
    expect(refreshed.refresh_token_expires_in).toBeLessThanOrEqual(body.refresh_token_expires_in as number);
  });

  it('a SPA authorize request without PKCE is AADSTS9002325', async () => {
    const done = await follow(authorize({ client_id: SPA.clientId, response_type: 'code', redirect_uri: SPA.redirect }));
    expect(done.url.searchParams.get('error_description')).toMatch(/^AADSTS9002325: /);
  });

  it('a web redirect URI redeemed cross-origin is AADSTS9002326', async () => {
    const done = await follow(authorize({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri }));
    const res = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { origin: 'http://localhost:3000' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: WEB.clientId, client_secret: WEB.secret, code: done.url.searchParams.get('code')!, redirect_uri: WEB.redirectUri }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request', error_codes: [9002326] });
  });

  it('answers the CORS preflight of the token endpoint', async () => {
    const res = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, { method: 'OPTIONS', headers: { origin: SPA.origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(SPA.origin);
  });
});
