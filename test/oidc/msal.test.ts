import { ClientAuthError, ConfidentialClientApplication, PublicClientApplication, ServerError, CryptoProvider, type AuthenticationResult } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { follow } from '../helpers/browserless.js';
import { ADA, API, CLI, GRACE, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra();

function webApp(secret = WEB.secret, clientId = WEB.clientId, tenant = TENANT_ID) {
  return new ConfidentialClientApplication({
    auth: { clientId, clientSecret: secret, authority: `${idp.url}/${tenant}`, knownAuthorities: [new URL(idp.url).host] },
  });
}

/** MSAL reports server errors as ServerError with the AADSTS number and HTTP status. */
async function serverError(p: Promise<unknown>): Promise<ServerError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServerError);
  return err as ServerError;
}

async function signInWithCode(app: ConfidentialClientApplication, scopes: string[]): Promise<AuthenticationResult> {
  const crypto = new CryptoProvider();
  const { verifier, challenge } = await crypto.generatePkceCodes();
  const url = await app.getAuthCodeUrl({
    scopes,
    redirectUri: WEB.redirectUri,
    loginHint: ADA.upn,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    state: 'state-123',
  });
  const done = await follow(url);
  expect(`${done.url.origin}${done.url.pathname}`).toBe(WEB.redirectUri);
  expect(done.url.searchParams.get('state')).toBe('state-123');
  const code = done.url.searchParams.get('code');
  expect(code).toBeTruthy();
  const result = await app.acquireTokenByCode({ code: code!, scopes, redirectUri: WEB.redirectUri, codeVerifier: verifier });
  return result!;
}

describe('msal-node against the default scenario', () => {
  it('gets an app-only token for the API with client credentials', async () => {
    const result = await webApp().acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] });
    const claims = decodeJwt(result!.accessToken);
    expect(claims).toMatchObject({ aud: API.clientId, azp: WEB.clientId, azpacr: '1', roles: [API.role], tid: TENANT_ID, ver: '2.0', idtyp: 'app' });
    expect(claims.scp).toBeUndefined();
    expect(claims.oid).toBe(claims.sub);
  });

  it('signs Ada in with the auth code flow and PKCE, without a browser', async () => {
    const result = await signInWithCode(webApp(), [`${API.uri}/${API.scope}`]);
    expect(result.account?.username).toBe(ADA.upn);
    expect(result.account?.tenantId).toBe(TENANT_ID);
    const oid = (result.idTokenClaims as { oid: string }).oid;
    expect(result.account?.homeAccountId).toBe(`${oid}.${TENANT_ID}`);
    expect(result.idTokenClaims).toMatchObject({ aud: WEB.clientId, name: ADA.name, preferred_username: ADA.upn, tid: TENANT_ID, ver: '2.0', iss: `${idp.url}/${TENANT_ID}/v2.0` });
    const at = decodeJwt(result.accessToken);
    expect(at).toMatchObject({ aud: API.clientId, scp: API.scope, azp: WEB.clientId, oid, ver: '2.0' });
    expect(at.sub).toBe((result.idTokenClaims as { sub: string }).sub);
  });

  it('refreshes silently with the refresh token (acquireTokenSilent, forceRefresh)', async () => {
    const app = webApp();
    const first = await signInWithCode(app, [`${API.uri}/${API.scope}`]);
    const again = await app.acquireTokenSilent({ account: first.account!, scopes: [`${API.uri}/${API.scope}`], forceRefresh: true });
    expect(again.accessToken).not.toBe(first.accessToken);
    expect(decodeJwt(again.accessToken)).toMatchObject({ aud: API.clientId, scp: API.scope, oid: (first.idTokenClaims as { oid: string }).oid });
    // The same refresh token is good for another resource (Graph), as Entra's multi-resource refresh tokens are.
    const graph = await app.acquireTokenSilent({ account: first.account!, scopes: ['User.Read'] });
    expect(decodeJwt(graph.accessToken)).toMatchObject({ aud: 'https://graph.microsoft.com', ver: '1.0', upn: ADA.upn });
  });

  it('signs in with username and password (ROPC) on a public client', async () => {
    const app = new PublicClientApplication({ auth: { clientId: CLI.clientId, authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] } });
    const result = await app.acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: ADA.upn, password: ADA.password });
    expect(result!.account?.username).toBe(ADA.upn);
    const at = decodeJwt(result!.accessToken);
    expect(at).toMatchObject({ aud: 'https://graph.microsoft.com', appid: CLI.clientId, appidacr: '0', ver: '1.0', scp: expect.stringContaining('User.Read') });
  });
});

describe('Entra errors as msal-node reports them', () => {
  it('a wrong client secret is invalid_client, AADSTS7000215, HTTP 401', async () => {
    const err = await serverError(webApp('not-the-secret').acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }));
    expect(err.errorCode).toBe('invalid_client');
    expect(String(err.errorNo)).toBe('7000215');
    expect(err.status).toBe(401);
    expect(err.errorMessage).toContain('AADSTS7000215: Invalid client secret provided');
    expect(err.errorMessage).toMatch(/Trace ID: [0-9a-f-]{36}/);
  });

  it('an unknown client ID is unauthorized_client, AADSTS700016, HTTP 400', async () => {
    const err = await serverError(webApp(WEB.secret, '11111111-2222-4333-8444-555555555555').acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }));
    expect(err.errorCode).toBe('unauthorized_client');
    expect(String(err.errorNo)).toBe('700016');
    expect(err.status).toBe(400);
  });

  it('an unknown tenant is invalid_tenant, AADSTS90002', async () => {
    const app = webApp(WEB.secret, WEB.clientId, 'fabrikam.onmicrosoft.com');
    const err = await app.acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }).then(() => undefined, (e: unknown) => e);
    // MSAL fetches discovery first and reports the failed endpoint resolution; the body it read is Entra's 90002.
    expect(err).toBeInstanceOf(ClientAuthError);
    expect((err as ClientAuthError).errorCode).toBe('endpoints_resolution_error');
    const res = await fetch(`${idp.url}/fabrikam.onmicrosoft.com/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
  });

  it('a wrong password is invalid_grant, AADSTS50126', async () => {
    const err = await serverError(webApp().acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: ADA.upn, password: 'wrong' }));
    expect(err.errorCode).toBe('invalid_grant');
    expect(String(err.errorNo)).toBe('50126');
    // msal-node's ROPC path does not copy the HTTP status onto the error; the wire says 400.
    const res = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', client_id: WEB.clientId, client_secret: WEB.secret, username: ADA.upn, password: 'wrong', scope: 'User.Read' }),
    });
    expect(res.status).toBe(400);
  });

  it('an invalid scope is invalid_scope, AADSTS70011', async () => {
    const err = await serverError(webApp().acquireTokenByUsernamePassword({ scopes: [`${API.uri}/no_such_scope`], username: ADA.upn, password: ADA.password }));
    expect(err.errorCode).toBe('invalid_scope');
    expect(String(err.errorNo)).toBe('70011');
  });

  it('client credentials without /.default is AADSTS1002012', async () => {
    const err = await serverError(webApp().acquireTokenByClientCredential({ scopes: [`${API.uri}/${API.scope}`] }));
    expect(err.errorCode).toBe('invalid_scope');
    expect(String(err.errorNo)).toBe('1002012');
  });

  it('a reused authorization code is AADSTS54005', async () => {
    const app = webApp();
    const url = await app.getAuthCodeUrl({ scopes: ['User.Read'], redirectUri: WEB.redirectUri, loginHint: ADA.upn });
    const code = (await follow(url)).url.searchParams.get('code')!;
    await app.acquireTokenByCode({ code, scopes: ['User.Read'], redirectUri: WEB.redirectUri });
    const err = await serverError(app.acquireTokenByCode({ code, scopes: ['User.Read'], redirectUri: WEB.redirectUri }));
    expect(err.errorCode).toBe('invalid_grant');
    expect(String(err.errorNo)).toBe('54005');
  });

  it('an invalid authorization code is AADSTS70008', async () => {
    const err = await serverError(webApp().acquireTokenByCode({ code: 'not-a-code', scopes: ['User.Read'], redirectUri: WEB.redirectUri }));
    expect(err.errorCode).toBe('invalid_grant');
    expect(String(err.errorNo)).toBe('70008');
  });

  it('a PKCE verifier that does not match is AADSTS501481', async () => {
    const app = webApp();
    const { challenge } = await new CryptoProvider().generatePkceCodes();
    const url = await app.getAuthCodeUrl({ scopes: ['User.Read'], redirectUri: WEB.redirectUri, loginHint: ADA.upn, codeChallenge: challenge, codeChallengeMethod: 'S256' });
    const code = (await follow(url)).url.searchParams.get('code')!;
    const { verifier: other } = await new CryptoProvider().generatePkceCodes();
    const err = await serverError(app.acquireTokenByCode({ code, scopes: ['User.Read'], redirectUri: WEB.redirectUri, codeVerifier: other }));
    expect(err.errorCode).toBe('invalid_grant');
    expect(String(err.errorNo)).toBe('501481');
  });

  it('a secret sent for an app that has none is AADSTS7000215', async () => {
    const saml = new ConfidentialClientApplication({ auth: { clientId: '5d4c3b2a-9e8f-4a7b-8c6d-1e0f2a3b4c5d', clientSecret: 'x', authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] } });
    const err = await serverError(saml.acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: GRACE.upn, password: GRACE.password }));
    expect(String(err.errorNo)).toBe('7000215');
  });
});
