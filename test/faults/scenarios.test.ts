/**
 * Every shipped scenario, met by the client that would meet it in real life, fails exactly as
 * Entra makes it fail; where the scenario has a fix or a switch, the same client then succeeds.
 * One server for the file; each test switches to its scenario (idp.useScenario).
 */
import { request as httpsRequest } from 'node:https';
import { ConfidentialClientApplication, InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, importX509, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MockEntra } from '../../src/start.js';
import { follow } from '../helpers/browserless.js';
import { ADA, API, GRACE, TENANT_ID, WEB } from '../helpers/ids.js';
import { startMock } from '../helpers/server.js';
import { attributeValues, appCertPem, authnRequest, browse, pageCode, redirectUrl, SAML_APP, samlEndpoint, withQuery } from '../saml/support.js';

let idp: MockEntra;
beforeAll(async () => {
  idp = await startMock();
});
afterAll(async () => {
  await idp?.stop();
});

const use = (name: string) => idp.useScenario(`scenarios/${name}.yaml`);
const JUMPSERVER_CALLBACK = 'https://localhost:9443/core/auth/openid/callback/';

function webApp(secret = WEB.secret) {
  return new ConfidentialClientApplication({
    auth: { clientId: WEB.clientId, clientSecret: secret, authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] },
  });
}

async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e as Error & Record<string, unknown>,
  );
  expect(err, 'expected the call to fail').toBeDefined();
  return err!;
}

function authorizeUrl(params: Record<string, string> = {}) {
  const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile email', login_hint: ADA.upn, ...params }).toString();
  return u.toString();
}

/** node-saml as the SP, trusting the app's certificate as published now. */
async function samlSp(opts: { cert?: string } = {}) {
  return new SAML({
    entryPoint: samlEndpoint(idp),
    issuer: SAML_APP.identifier,
    audience: SAML_APP.identifier,
    callbackUrl: SAML_APP.acs,
    idpCert: opts.cert ?? (await appCertPem(idp)),
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.never,
  });
}

async function samlSignIn(sp: SAML, upn = ADA.upn) {
  const url = withQuery(await sp.getAuthorizeUrlAsync('', undefined, {}), { login_hint: upn });
  return browse(url);
}

async function codeFlowTokens(): Promise<Record<string, string>> {
  const done = await follow(authorizeUrl());
  const code = done.url.searchParams.get('code');
  expect(code, done.html?.slice(0, 300)).toBeTruthy();
  const res = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: WEB.clientId, client_secret: WEB.secret, code: code!, redirect_uri: WEB.redirectUri }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, string>;
}

beforeEach(() => idp.reset());

describe('configuration faults', () => {
  it('wrong-redirect-uri: JumpServer callback with its trailing slash gets the AADSTS50011 page; SAML ACS too', async () => {
    await use('wrong-redirect-uri');
    const oidc = await follow(authorizeUrl({ redirect_uri: JUMPSERVER_CALLBACK }));
    expect(oidc.url.origin).toBe(idp.url);
    expect(pageCode(oidc.html)).toBe('50011');
    const saml = await browse(redirectUrl(idp, authnRequest({ acs: SAML_APP.acs }).xml, { login_hint: ADA.upn }));
    expect(pageCode(saml.html)).toBe('50011');
    expect(saml.samlResponse).toBeUndefined();
    // The fix: register the exact URIs (default.yaml has them).
    await use('default');
    const fixed = await follow(authorizeUrl({ redirect_uri: JUMPSERVER_CALLBACK }));
    expect(`${fixed.url.origin}${fixed.url.pathname}`).toBe(JUMPSERVER_CALLBACK);
    expect(fixed.url.searchParams.get('code')).toBeTruthy();
  });

  it('expired-client-secret: msal-node gets invalid_client AADSTS7000222, HTTP 401', async () => {
    await use('expired-client-secret');
    const err = await rejection(webApp().acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }));
    expect(err).toBeInstanceOf(ServerError);
    expect(err.errorCode).toBe('invalid_client');
    expect(String(err.errorNo)).toBe('7000222');
    expect(err.status).toBe(401);
    await use('default');
    expect((await webApp().acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }))?.accessToken).toBeTruthy();
  });

  it('invalid-client-secret: msal-node gets invalid_client AADSTS7000215', async () => {
    await use('invalid-client-secret');
    const err = await rejection(webApp().acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }));
    expect(String(err.errorNo)).toBe('7000215');
    expect(err.status).toBe(401);
    expect((await webApp('rotated-secret-value-xyz').acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }))?.accessToken).toBeTruthy();
  });

  it('user-not-assigned: ada gets the AADSTS50105 page for OIDC and SAML; grace (assigned) signs in', async () => {
    await use('user-not-assigned');
    const oidc = await follow(authorizeUrl());
    expect(pageCode(oidc.html)).toBe('50105');
    expect(oidc.url.origin).toBe(idp.url);
    const saml = await samlSignIn(await samlSp());
    expect(pageCode(saml.html)).toBe('50105');
    expect(saml.samlResponse).toBeUndefined();
    const graceOidc = await follow(authorizeUrl({ login_hint: GRACE.upn }));
    expect(graceOidc.url.searchParams.get('code')).toBeTruthy();
    const graceSaml = await samlSignIn(await samlSp(), GRACE.upn);
    expect(graceSaml.samlResponse).toBeDefined();
  });

  it('unknown-identifier: the SP gets the AADSTS700016 page; msal-node gets unauthorized_client 700016', async () => {
    await use('unknown-identifier');
    const saml = await browse(redirectUrl(idp, authnRequest().xml, { login_hint: ADA.upn }));
    expect(pageCode(saml.html)).toBe('700016');
    expect(saml.html).toContain('https://sp.example.test/saml/metadata');
    const err = await rejection(webApp().acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }));
    expect(err.errorCode).toBe('unauthorized_client');
    expect(String(err.errorNo)).toBe('700016');
    await use('default');
    expect((await browse(redirectUrl(idp, authnRequest().xml, { login_hint: ADA.upn }))).samlResponse).toBeDefined();
  });

  it('missing-claims: the ID token lacks email and preferred_username; the SAML assertion lacks mail', async () => {
    await use('missing-claims');
    const claims = decodeJwt((await codeFlowTokens()).id_token!);
    expect(claims.email).toBeUndefined();
    expect(claims.preferred_username).toBeUndefined();
    expect(claims.name).toBe(ADA.name);
    const sp = await samlSp();
    const answer = await samlSignIn(sp);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! });
    expect(profile?.mail).toBeUndefined();
    expect(profile?.userprincipalname).toBe(ADA.upn);
    expect(profile?.givenname).toBe('Ada');
    await use('default');
    expect(decodeJwt((await codeFlowTokens()).id_token!).email).toBe(ADA.upn);
  });

  it('groups-overage: tokens carry _claim_names/_claim_sources instead of groups; SAML carries groups.link', async () => {
    await use('groups-overage');
    const claims = decodeJwt((await codeFlowTokens()).id_token!);
    expect(claims.groups).toBeUndefined();
    expect(claims._claim_names).toEqual({ groups: 'src1' });
    expect((claims._claim_sources as Record<string, { endpoint: string }>).src1!.endpoint).toMatch(new RegExp(`^https://graph.windows.net/${TENANT_ID}/users/[0-9a-f-]{36}/getMemberObjects$`));
    const answer = await samlSignIn(await samlSp());
    expect(attributeValues(answer.responseXml!, 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups')).toBeUndefined();
    expect(attributeValues(answer.responseXml!, 'http://schemas.microsoft.com/claims/groups.link')?.[0]).toMatch(/getMemberObjects$/);
  });
});

describe('fault rules', () => {
  it('first-test-failure: the first SAML test sign-in fails with AADSTS7000112 until SSO is enabled, then the retry succeeds', async () => {
    await use('first-test-failure');
    const sp = await samlSp();
    const first = await samlSignIn(sp);
    expect(pageCode(first.html)).toBe('7000112');
    expect(first.samlResponse).toBeUndefined();
    expect((await samlSignIn(sp)).samlResponse).toBeUndefined();
    // "Once Jasper Support has fully enabled SSO, select Retry sign-in": the admin API flips the switch.
    const flip = await fetch(`${idp.url}/_mock/switches/sso-enabled`, { method: 'POST' });
    expect(flip.status).toBe(200);
    const retry = await samlSignIn(sp);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: retry.samlResponse! });
    expect(profile?.nameID).toBe(ADA.upn);
    // idp.reset() turns the switch back off: the scenario starts over.
    idp.reset();
    expect(pageCode((await samlSignIn(sp)).html)).toBe('7000112');
  });

  it('consent-required: silent and ROPC token requests become InteractionRequiredAuthError (AADSTS65001)', async () => {
    await use('consent-required');
    const err = await rejection(webApp().acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: ADA.upn, password: ADA.password }));
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect(String(err.errorNo)).toBe('65001');
    const redirect = await follow(authorizeUrl({ prompt: 'none' }));
    expect(redirect.url.searchParams.get('error')).toBe('consent_required');
    expect(redirect.url.searchParams.get('error_description')).toMatch(/^AADSTS65001: /);
  });

  it('mfa-required: ROPC for ada is InteractionRequiredAuthError 50076; /authorize redirects with interaction_required', async () => {
    await use('mfa-required');
    const err = await rejection(webApp().acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: ADA.upn, password: ADA.password }));
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect(String(err.errorNo)).toBe('50076');
    expect(err.subError).toBe('basic_action');
    const redirect = await follow(authorizeUrl());
    expect(redirect.url.searchParams.get('error')).toBe('interaction_required');
    expect(redirect.url.searchParams.get('error_description')).toMatch(/^AADSTS50076: /);
    // Grace is not covered by the policy.
    expect(await webApp().acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: GRACE.upn, password: GRACE.password })).toBeTruthy();
  });

  it('conditional-access-blocked: grace gets invalid_grant AADSTS53003', async () => {
    await use('conditional-access-blocked');
    const err = await rejection(webApp().acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: GRACE.upn, password: GRACE.password }));
    expect(err.errorCode).toBe('invalid_grant');
    expect(String(err.errorNo)).toBe('53003');
  });

  it('tenant-not-found: openid-client discovery fails with invalid_tenant AADSTS90002, HTTP 400', async () => {
    await use('tenant-not-found');
    const err = await rejection(client.discovery(new URL(`${idp.url}/${TENANT_ID}/v2.0`), WEB.clientId, WEB.secret));
    const cause = (err.cause ?? err) as { status?: number };
    const res = await fetch(`${idp.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
    expect(cause).toBeDefined();
    await use('default');
    expect((await client.discovery(new URL(`${idp.url}/${TENANT_ID}/v2.0`), WEB.clientId, WEB.secret)).serverMetadata().issuer).toBe(`${idp.url}/${TENANT_ID}/v2.0`);
  });

  it('throttled: every other token request answers 429 with Retry-After', async () => {
    await use('throttled');
    const call = () =>
      fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: `${API.uri}/.default` }),
      });
    expect((await call()).status).toBe(200);
    const throttled = await call();
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('60');
    expect(await throttled.json()).toMatchObject({ error_codes: [50196] });
    expect((await call()).status).toBe(200);
  });

  it('outage: 503 with Retry-After until the recovered switch is flipped', async () => {
    await use('outage');
    const res = await fetch(`${idp.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable', error_codes: [90033] });
    const err = await rejection(webApp().acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }));
    expect(err).toBeDefined();
    idp.flip('recovered');
    expect((await fetch(`${idp.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`)).status).toBe(200);
    expect((await webApp().acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }))?.accessToken).toBeTruthy();
  });

  it('clock-skew: jose rejects the not-yet-valid token; with clock tolerance it verifies', async () => {
    await use('clock-skew');
    const tokens = await codeFlowTokens();
    const jwks = createRemoteJWKSet(new URL(`${idp.url}/${TENANT_ID}/discovery/v2.0/keys`));
    await expect(jwtVerify(tokens.id_token!, jwks, { issuer: idp.issuer, audience: WEB.clientId })).rejects.toThrow(/"nbf" claim timestamp check failed/);
    await expect(jwtVerify(tokens.id_token!, jwks, { issuer: idp.issuer, audience: WEB.clientId, clockTolerance: '15m' })).resolves.toBeDefined();
    const sp = await samlSp();
    const answer = await samlSignIn(sp);
    await expect(sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! })).rejects.toThrow(/not yet valid/i);
  });

  it('signing-key-rollover: tokens carry the new kid; a pinned old key fails, the JWKS verifies; the SAML SP needs the new certificate', async () => {
    await use('default');
    const before = decodeProtectedHeader((await codeFlowTokens()).id_token!).kid;
    const jwksUrl = `${idp.url}/${TENANT_ID}/discovery/v2.0/keys`;
    const published = (await (await fetch(jwksUrl)).json()) as { keys: Array<{ kid: string; x5c: string[] }> };
    const oldCert = await appCertPem(idp);
    await use('signing-key-rollover');
    const token = (await codeFlowTokens()).id_token!;
    const after = decodeProtectedHeader(token).kid;
    expect(after).not.toBe(before);
    expect(published.keys.map((k) => k.kid)).toContain(after);
    // An app that pinned the old key:
    const pinned = published.keys.find((k) => k.kid === before)!;
    const pinnedKey = await importX509(`-----BEGIN CERTIFICATE-----\n${pinned.x5c[0]}\n-----END CERTIFICATE-----`, 'RS256');
    await expect(jwtVerify(token, pinnedKey)).rejects.toThrow(/signature verification failed/);
    await expect(jwtVerify(token, createLocalJWKSet({ keys: published.keys.filter((k) => k.kid === before) as never }))).rejects.toThrow();
    await expect(jwtVerify(token, createRemoteJWKSet(new URL(jwksUrl)), { issuer: idp.issuer })).resolves.toBeDefined();
    // SAML: the SP that stored the old certificate rejects the response; the metadata's new one accepts it.
    const stale = await samlSp({ cert: oldCert });
    const answer = await samlSignIn(stale);
    await expect(stale.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! })).rejects.toThrow(/signature/i);
    const meta = await (await fetch(`${idp.url}/${TENANT_ID}/federationmetadata/2007-06/federationmetadata.xml?appid=${SAML_APP.clientId}`)).text();
    const certs = [...meta.matchAll(/<X509Certificate>([^<]+)<\/X509Certificate>/g)].map((m) => m[1]!);
    const refreshed = await samlSp({ cert: [...new Set(certs)].map((c) => `-----BEGIN CERTIFICATE-----\n${c}\n-----END CERTIFICATE-----`) as unknown as string });
    const ok = await samlSignIn(refreshed);
    await expect(refreshed.validatePostResponseAsync({ SAMLResponse: ok.samlResponse! })).resolves.toBeDefined();
  });

  it('untrusted-tls: Node refuses the certificate; back on the trusted one, the same request works', async () => {
    const get = () =>
      new Promise<number>((resolve, reject) => {
        const req = httpsRequest(`${idp.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`, { agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    await use('untrusted-tls');
    await expect(get()).rejects.toMatchObject({ code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/) });
    await idp.useScenario({ ...(await import('../../src/scenario/load.js').then((m) => m.loadScenarioFile('scenarios/default.yaml'))), tls: { certificate: 'wrong-host' } } as never);
    await expect(get()).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    await use('default');
    expect(await get()).toBe(200);
  });
});
