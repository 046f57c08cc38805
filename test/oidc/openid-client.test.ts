/** A relying party built on openid-client v6, talking to the mock as it would to Entra ID. */
import { beforeAll, describe, expect, it } from 'vitest';
import * as client from 'openid-client';
import { decodeJwt } from 'jose';
import { follow } from '../helpers/browserless.js';
import { ADA, API, TENANT_DOMAIN, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra();
let issuer: string;

beforeAll(() => {
  issuer = `${idp.url}/${TENANT_ID}/v2.0`;
});

const configure = (auth: client.ClientAuth = client.ClientSecretPost(WEB.secret), secret = WEB.secret) =>
  client.discovery(new URL(issuer), WEB.clientId, secret, auth);

/** What an OAuth error looks like to the caller: status and parsed JSON body, whichever error class openid-client threw. */
async function refusal(p: Promise<unknown>): Promise<{ error: unknown; status: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (error) {
    if (error instanceof client.ResponseBodyError) return { error, status: error.status, body: error.cause as Record<string, unknown> };
    if (error instanceof client.WWWAuthenticateChallengeError) {
      return { error, status: error.status, body: (await error.response.json()) as Record<string, unknown> };
    }
    throw error;
  }
  throw new Error('expected the request to be refused');
}

/** Runs the browser part of an auth code flow for Ada with PKCE, state and nonce; returns the callback URL and the checks. */
async function signInAda(config: client.Configuration, extra: Record<string, string> = {}) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const expectedNonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: WEB.redirectUri,
    scope: 'openid profile email offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state: expectedState,
    nonce: expectedNonce,
    login_hint: ADA.upn,
    ...extra,
  });
  const done = await follow(url.href);
  return { done, callback: done.url, pkceCodeVerifier, expectedState, expectedNonce };
}

function expectEntraErrorBody(body: Record<string, unknown>, code: number): void {
  expect(body.error_codes).toEqual([code]);
  expect(String(body.error_description)).toMatch(new RegExp(`^AADSTS${code}: `));
  expect(String(body.error_description)).toMatch(/\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  expect(body.trace_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(body.correlation_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
}

describe('openid-client discovery', () => {
  it('discovers the tenant v2.0 issuer with Entra endpoints and pairwise subjects', async () => {
    const config = await configure();
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(issuer);
    expect(meta.authorization_endpoint).toBe(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
    expect(meta.token_endpoint).toBe(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`);
    expect(meta.jwks_uri).toBe(`${idp.url}/${TENANT_ID}/discovery/v2.0/keys`);
    expect(meta.end_session_endpoint).toBe(`${idp.url}/${TENANT_ID}/oauth2/v2.0/logout`);
    expect(meta.subject_types_supported).toEqual(['pairwise']);
    expect(meta.id_token_signing_alg_values_supported).toEqual(['RS256']);
    expect(meta.response_modes_supported).toEqual(['query', 'fragment', 'form_post']);
    expect(meta.token_endpoint_auth_methods_supported).toEqual(['client_secret_post', 'private_key_jwt', 'client_secret_basic']);
  });

  it('discovery through the domain name gives endpoints with the tenant GUID in the path', async () => {
    // openid-client insists the issuer equals the URL it was given, which a domain-name authority never
    // satisfies on Entra either, so read the document as MSAL does.
    const res = await fetch(`${idp.url}/${TENANT_DOMAIN}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const meta = (await res.json()) as Record<string, unknown>;
    expect(meta.issuer).toBe(issuer);
    expect(meta.token_endpoint).toBe(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`);
    expect(meta.authorization_endpoint).toBe(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
    expect(meta.jwks_uri).toBe(`${idp.url}/${TENANT_ID}/discovery/v2.0/keys`);
    expect(meta.end_session_endpoint).toBe(`${idp.url}/${TENANT_ID}/oauth2/v2.0/logout`);
  });
});

describe('openid-client client credentials', () => {
  it.each([
    ['client_secret_post', () => client.ClientSecretPost(WEB.secret)],
    ['client_secret_basic', () => client.ClientSecretBasic(WEB.secret)],
  ])('with %s gets a v2 app token for the API carrying its Data.Read role', async (_name, auth) => {
    const config = await configure(auth());
    const tokens = await client.clientCredentialsGrant(config, { scope: `${API.uri}/.default` });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBeGreaterThan(0);
    const at = decodeJwt(tokens.access_token);
    expect(at.aud).toBe(API.clientId);
    expect(at.iss).toBe(issuer);
    expect(at.roles).toEqual([API.role]);
    expect(at.azp).toBe(WEB.clientId);
    expect(at.azpacr).toBe('1');
    expect(at.idtyp).toBe('app');
    expect(at.ver).toBe('2.0');
    expect(at.tid).toBe(TENANT_ID);
    expect(at.oid).toBe(at.sub);
    expect(at).not.toHaveProperty('scp');
    expect(at).not.toHaveProperty('name');
    expect(at).not.toHaveProperty('preferred_username');
  });

  it('a wrong client secret is refused with invalid_client, HTTP 401 and AADSTS7000215', async () => {
    const config = await configure(client.ClientSecretPost('not-the-secret'), 'not-the-secret');
    const { status, body } = await refusal(client.clientCredentialsGrant(config, { scope: `${API.uri}/.default` }));
    expect(status).toBe(401);
    expect(body.error).toBe('invalid_client');
    expectEntraErrorBody(body, 7000215);
  });
});

describe('openid-client authorization code flow', () => {
  it('signs Ada in with PKCE, state and nonce and returns her ID token, a refresh token and userinfo', async () => {
    const config = await configure();
    const { callback, pkceCodeVerifier, expectedState, expectedNonce } = await signInAda(config);
    expect(callback.origin + callback.pathname).toBe(WEB.redirectUri);
    expect(callback.searchParams.get('code')).toBeTruthy();

    const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier, expectedState, expectedNonce });
    const id = tokens.claims()!;
    expect(id.iss).toBe(issuer);
    expect(id.aud).toBe(WEB.clientId);
    expect(id.name).toBe(ADA.name);
    expect(id.preferred_username).toBe(ADA.upn);
    expect(id.email).toBe(ADA.upn);
    expect(id.oid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(id.tid).toBe(TENANT_ID);
    expect(id.ver).toBe('2.0');
    expect(id.nonce).toBe(expectedNonce);
    expect(id.sub).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokens.refresh_token).toBeTruthy();

    const info = await client.fetchUserInfo(config, tokens.access_token, id.sub);
    expect(info.sub).toBe(id.sub);
    expect(info.name).toBe(ADA.name);
    expect(info.given_name).toBe('Ada');
    expect(info.family_name).toBe('Lovelace');
    expect(info.email).toBe(ADA.upn);
  });

  it('response_mode=form_post ends at an auto-submitting form posting code and state to the redirect URI', async () => {
    const config = await configure();
    const { done, expectedState } = await signInAda(config, { response_mode: 'form_post' });
    expect(done.status).toBe(200);
    const html = done.html ?? '';
    const form = /<form\b[^>]*>/i.exec(html)?.[0] ?? '';
    expect(form).toMatch(/method=["']?post/i);
    expect(form).toContain(`action="${WEB.redirectUri}"`);
    const input = (name: string) =>
      new RegExp(`<input\\b[^>]*name=["']${name}["'][^>]*value=["']([^"']*)["']`, 'i').exec(html)?.[1] ??
      new RegExp(`<input\\b[^>]*value=["']([^"']*)["'][^>]*name=["']${name}["']`, 'i').exec(html)?.[1];
    expect(input('code')).toBeTruthy();
    expect(input('state')).toBe(expectedState);
    expect(html).toMatch(/\.submit\(\)/);
  });

  it('response_mode=fragment puts code and state in the fragment of the redirect URI', async () => {
    const config = await configure();
    const { callback, expectedState } = await signInAda(config, { response_mode: 'fragment' });
    expect(callback.origin + callback.pathname).toBe(WEB.redirectUri);
    expect(callback.search).toBe('');
    const fragment = new URLSearchParams(callback.hash.slice(1));
    expect(fragment.get('code')).toBeTruthy();
    expect(fragment.get('state')).toBe(expectedState);
  });

  it('a wrong code_verifier is refused with invalid_grant, HTTP 400 and AADSTS501481', async () => {
    const config = await configure();
    const { callback, expectedState, expectedNonce } = await signInAda(config);
    const { error, status, body } = await refusal(
      client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState, expectedNonce }),
    );
    expect(error).toBeInstanceOf(client.ResponseBodyError);
    const e = error as client.ResponseBodyError;
    expect(e.error).toBe('invalid_grant');
    expect(e.status).toBe(400);
    expect(e.error_description).toMatch(/^AADSTS501481: /);
    expect(status).toBe(400);
    expectEntraErrorBody(body, 501481);
  });

  it('redeeming the same code twice is refused the second time with AADSTS54005', async () => {
    const config = await configure();
    const { callback, pkceCodeVerifier, expectedState, expectedNonce } = await signInAda(config);
    await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier, expectedState, expectedNonce });
    const { status, body } = await refusal(client.authorizationCodeGrant(config, callback, { pkceCodeVerifier, expectedState, expectedNonce }));
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_grant');
    expectEntraErrorBody(body, 54005);
  });
});
