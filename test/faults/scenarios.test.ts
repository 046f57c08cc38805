/**
 * Every shipped scenario, checked against its own header comment: the flow the header names, with
 * the client it names (msal-node, openid-client, node-saml, jose, plain HTTP where a browser would
 * be), fails with the code, page or claim the header promises; where the header describes a fix
 * (a switch, the right secret or URI, a setting), the test applies it and the next attempt succeeds.
 *
 * One describe block per file, named `scenarios/<file>`; the first test checks that every file in
 * scenarios/ has one, and that the AADSTS codes of its header's "Code:" paragraph appear in the
 * names of its tests. One server for the file; each test switches to its scenario first.
 * Fixes that change the scenario are written as a user would: a file that `extends` the shipped one.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type AuthenticationResult,
  ClientAuthError,
  ConfidentialClientApplication,
  CryptoProvider,
  InteractionRequiredAuthError,
  ServerError,
} from '@azure/msal-node';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, importX509, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunnerTask } from 'vitest';
import { follow } from '../helpers/browserless.js';
import { ADA, API, GRACE, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { appCertPem, appMetadataUrl, attributeValues, browse, CookieJar, fetchBytes, idpCertificates, pageCode, SAML_APP, samlEndpoint, stripBom, toPem, withQuery } from '../saml/support.js';

const idp = useMockEntra();

const use = (name: string) => idp.useScenario(`scenarios/${name}.yaml`);

const FIXES = mkdtempSync(join(tmpdir(), 'mock-entra-fixed-'));
afterAll(() => rmSync(FIXES, { recursive: true, force: true }));

/** A scenario file that extends a shipped one with the fix its header describes, as a user would write it. */
function fixed(name: string, yaml: string): string {
  const file = join(FIXES, `${name}-fixed.yaml`);
  writeFileSync(file, `extends: ${resolve('scenarios', `${name}.yaml`)}\n${yaml}`);
  return file;
}

type Person = { upn: string; password: string };
const JUMPSERVER_CALLBACK = 'https://localhost:9443/core/auth/openid/callback/';
const FIXED_APP_ID = '0c0c0c0c-0000-4000-8000-000000000000';
const tokenEndpoint = () => `${idp.url}/${TENANT_ID}/oauth2/v2.0/token`;
const discoveryUrl = () => `${idp.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`;
const jwksUrl = () => `${idp.url}/${TENANT_ID}/discovery/v2.0/keys`;

/** The error a promise rejects with; fails the test when it resolves. */
async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  const outcome = await p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error: error as Error & Record<string, unknown> }),
  );
  if (!('error' in outcome)) throw new Error(`expected the call to fail; it gave ${JSON.stringify(outcome.value)?.slice(0, 300)}`);
  return outcome.error;
}

// ---- msal-node -------------------------------------------------------------------------------

function webApp(secret = WEB.secret, clientId = WEB.clientId) {
  return new ConfidentialClientApplication({
    auth: { clientId, clientSecret: secret, authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] },
  });
}
const appToken = (app = webApp(), skipCache = true) => app.acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`], skipCache });
const ropc = (user: Person, app = webApp()) => app.acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: user.upn, password: user.password });

/** msal-node's auth code flow with PKCE for `user` (login_hint, no page); the result carries a refresh token in MSAL's cache. */
async function msalSignIn(app: ConfidentialClientApplication, user: Person): Promise<AuthenticationResult> {
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const url = await app.getAuthCodeUrl({ scopes: ['User.Read'], redirectUri: WEB.redirectUri, loginHint: user.upn, codeChallenge: challenge, codeChallengeMethod: 'S256' });
  const done = await follow(url);
  const code = done.url.searchParams.get('code');
  expect(code, `no code for ${user.upn}: ${done.url.href} ${done.html?.slice(0, 300) ?? ''}`).toMatch(/./);
  return app.acquireTokenByCode({ code: code!, scopes: ['User.Read'], redirectUri: WEB.redirectUri, codeVerifier: verifier });
}

/** The raw answer of the token endpoint to a password grant, as the wire carries it. */
async function ropcOnTheWire(user: Person): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(tokenEndpoint(), {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: WEB.clientId, client_secret: WEB.secret, username: user.upn, password: user.password, scope: 'User.Read' }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

// ---- openid-client -----------------------------------------------------------------------------

const oidcConfig = (clientId = WEB.clientId, secret = WEB.secret) => client.discovery(new URL(idp.issuer), clientId, secret);

/** openid-client's authorization URL (PKCE, state, nonce, login_hint) followed like a browser; `redeem` finishes the flow. */
async function openidSignIn(config: client.Configuration, o: { redirectUri?: string; user?: Person; scope?: string } = {}) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const expectedNonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: o.redirectUri ?? WEB.redirectUri,
    scope: o.scope ?? 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state: expectedState,
    nonce: expectedNonce,
    login_hint: (o.user ?? ADA).upn,
  });
  const done = await follow(url.href);
  return { done, redeem: () => client.authorizationCodeGrant(config, done.url, { pkceCodeVerifier, expectedState, expectedNonce }) };
}

// ---- plain HTTP, as a browser ------------------------------------------------------------------

function authorizeUrl(params: Record<string, string> = {}) {
  const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile email', ...params }).toString();
  return u.toString();
}

/** A person on the sign-in page: picks `user` from the account picker and types the password. */
async function signInPage(params: Record<string, string>, user: Person) {
  const picker = await follow(authorizeUrl(params));
  const action = /<form method="post" action="([^"]+)"/.exec(picker.html ?? '')?.[1];
  expect(action, `no sign-in page: ${picker.url.href} ${picker.html?.slice(0, 300) ?? ''}`).toBeDefined();
  return follow(new URL(action!, picker.url).toString(), { jar: picker.jar, method: 'POST', body: new URLSearchParams({ username: user.upn, password: user.password }) });
}

/** The web app's half of the code flow: the callback's code redeemed at the token endpoint. */
async function redeemCallback(callback: URL, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const code = callback.searchParams.get('code');
  expect(code, `the app got no code: ${callback.href}`).toMatch(/./);
  const res = await fetch(tokenEndpoint(), {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: WEB.clientId, client_secret: WEB.secret, code: code!, redirect_uri: WEB.redirectUri, ...extra }),
  });
  const body = (await res.json()) as Record<string, string>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

/** The redirect back to the app with an error: what the app's callback sees. */
function callbackError(url: URL): { at: string; error: string | null; description: string | null } {
  return { at: `${url.origin}${url.pathname}`, error: url.searchParams.get('error'), description: url.searchParams.get('error_description') };
}

/** GET over a fresh TLS connection (agent: false): a pooled keep-alive socket would skip the handshake. */
function freshGet(url: string, extra: RequestOptions = {}): Promise<number> {
  return new Promise<number>((done, fail) => {
    const req = httpsRequest(url, { agent: false, ...extra }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end();
  });
}

// ---- node-saml ---------------------------------------------------------------------------------

/** node-saml as sample-saml's SP (entity ID https://sp.example.test/saml/metadata), trusting `cert` (default: the app's certificate as published now). */
async function samlSp(o: { cert?: string | string[]; acs?: string; clockSkewMs?: number } = {}) {
  return new SAML({
    entryPoint: samlEndpoint(idp),
    issuer: SAML_APP.identifier,
    audience: SAML_APP.identifier,
    callbackUrl: o.acs ?? SAML_APP.acs,
    idpCert: o.cert ?? (await appCertPem(idp)),
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.never,
    acceptedClockSkewMs: o.clockSkewMs ?? 0,
  });
}

/** SP-initiated sign-in with login_hint (no page). */
async function samlSignIn(sp: SAML, upn = ADA.upn) {
  return browse(withQuery(await sp.getAuthorizeUrlAsync('', undefined, {}), { login_hint: upn }));
}

/** SP-initiated sign-in through the login page: the person picks an account and types the password. */
async function samlSignInPage(sp: SAML, user: Person) {
  const jar = new CookieJar();
  const page = await browse(await sp.getAuthorizeUrlAsync('', undefined, {}), { jar });
  const action = /<form method="post" action="([^"]*\/saml2\/login\/[^"]+)"/.exec(page.html)?.[1];
  expect(action, `no login page: ${page.html.slice(0, 300)}`).toBeDefined();
  return browse(`${idp.url}${action}`, { jar, method: 'POST', body: new URLSearchParams({ username: user.upn, password: user.password }) });
}

/** The "Test sign-in" of the portal: IdP-initiated, to the app's first Reply URL. */
const testSignIn = (upn = ADA.upn) => browse(`${idp.url}/api/signin/${SAML_APP.clientId}?${new URLSearchParams({ tenantId: TENANT_ID, login_hint: upn })}`);

async function samlProfile(sp: SAML, samlResponse: string | undefined) {
  expect(samlResponse, 'no SAMLResponse to validate').toBeDefined();
  const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: samlResponse! });
  expect(profile).not.toBeNull();
  return profile!;
}

// ---- every scenario file has its tests ---------------------------------------------------------

const SCENARIO_FILES = readdirSync('scenarios')
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/** The AADSTS codes of a scenario header's "# Code:" paragraph. */
function promisedCodes(file: string): string[] {
  const header = readFileSync(join('scenarios', file), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('#'));
  const at = header.findIndex((l) => l.startsWith('# Code:'));
  if (at < 0) return [];
  const paragraph = [header[at]!];
  for (const line of header.slice(at + 1)) {
    if (!line.startsWith('#   ')) break;
    paragraph.push(line);
  }
  return [...new Set([...paragraph.join(' ').matchAll(/AADSTS(\d+)/g)].map((m) => m[1]!))];
}

function testNames(t: RunnerTask): string[] {
  return t.type === 'suite' ? t.tasks.flatMap(testNames) : [t.name];
}

describe('the shipped scenarios', () => {
  it('each scenarios/*.yaml has a describe block of tests here, and its tests name the AADSTS codes its header promises', ({ task }) => {
    expect(SCENARIO_FILES.length).toBeGreaterThanOrEqual(18);
    const blocks = new Map(task.file.tasks.filter((t) => t.type === 'suite').map((s) => [s.name, testNames(s)]));
    const missing = SCENARIO_FILES.filter((f) => !blocks.get(`scenarios/${f}`)?.length);
    expect(missing, 'scenario files without tests').toEqual([]);
    const unnamed = SCENARIO_FILES.flatMap((f) => promisedCodes(f).filter((code) => !blocks.get(`scenarios/${f}`)!.some((n) => n.includes(`AADSTS${code}`))).map((code) => `${f}: AADSTS${code}`));
    expect(unnamed, 'codes a header promises that no test of its block names').toEqual([]);
    const stale = [...blocks.keys()].filter((name) => name.startsWith('scenarios/') && !SCENARIO_FILES.includes(name.slice('scenarios/'.length)));
    expect(stale, 'blocks for scenario files that do not exist').toEqual([]);
  });

  it('reads the Code paragraph of the headers (the table above relies on it)', () => {
    expect(promisedCodes('wrong-redirect-uri.yaml')).toEqual(['50011']);
    expect(promisedCodes('throttled.yaml')).toEqual(['50196']);
    expect(promisedCodes('clock-skew.yaml')).toEqual([]);
  });
});

// ---- the scenarios, in file order --------------------------------------------------------------

describe('scenarios/clock-skew.yaml', () => {
  it('jose rejects the ID token and the API access token as not yet valid ("nbf" claim timestamp check failed), even with 4 minutes of tolerance; with 15 minutes both verify', async () => {
    await use('clock-skew');
    const jump = await follow(authorizeUrl({ login_hint: ADA.upn, scope: `openid profile ${API.uri}/${API.scope}` }));
    const tokens = await redeemCallback(jump.url);
    const jwks = createRemoteJWKSet(new URL(jwksUrl()));
    const id = { issuer: idp.issuer, audience: WEB.clientId };
    const at = { issuer: idp.issuer, audience: API.clientId };
    await expect(jwtVerify(tokens.id_token!, jwks, id)).rejects.toThrow('"nbf" claim timestamp check failed');
    await expect(jwtVerify(tokens.access_token!, jwks, at)).rejects.toThrow('"nbf" claim timestamp check failed');
    await expect(jwtVerify(tokens.id_token!, jwks, { ...id, clockTolerance: '4m' })).rejects.toThrow('"nbf" claim timestamp check failed');
    // The fix: a few minutes of clock tolerance (or NTP).
    await expect(jwtVerify(tokens.id_token!, jwks, { ...id, clockTolerance: '15m' })).resolves.toMatchObject({ payload: { name: ADA.name } });
    await expect(jwtVerify(tokens.access_token!, jwks, { ...at, clockTolerance: '15m' })).resolves.toMatchObject({ payload: { scp: API.scope } });
  });

  it('node-saml refuses the assertion of a login_hint sign-in as not yet valid; with 15 minutes of accepted clock skew it validates', async () => {
    await use('clock-skew');
    const strict = await samlSp();
    await expect(strict.validatePostResponseAsync({ SAMLResponse: (await samlSignIn(strict)).samlResponse! })).rejects.toThrow(/not yet valid/i);
    const tolerant = await samlSp({ clockSkewMs: 4 * 60_000 });
    await expect(tolerant.validatePostResponseAsync({ SAMLResponse: (await samlSignIn(tolerant)).samlResponse! })).rejects.toThrow(/not yet valid/i);
    const fixedSp = await samlSp({ clockSkewMs: 15 * 60_000 });
    expect((await samlProfile(fixedSp, (await samlSignIn(fixedSp)).samlResponse)).nameID).toBe(ADA.upn);
  });

  it('a SAML sign-in through the login page (password typed) is skewed too: node-saml refuses it, and accepts it with 15 minutes of clock skew', async () => {
    await use('clock-skew');
    const strict = await samlSp();
    const answer = await samlSignInPage(strict, ADA);
    await expect(strict.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! })).rejects.toThrow(/not yet valid/i);
    const fixedSp = await samlSp({ clockSkewMs: 15 * 60_000 });
    expect((await samlProfile(fixedSp, (await samlSignInPage(fixedSp, ADA)).samlResponse)).nameID).toBe(ADA.upn);
  });
});

describe('scenarios/conditional-access-blocked.yaml', () => {
  it('msal-node’s password grant for grace fails with invalid_grant AADSTS53003, HTTP 400 on the wire', async () => {
    await use('conditional-access-blocked');
    const err = await rejection(ropc(GRACE));
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect(err.errorCode).toBe('invalid_grant');
    expect(String(err.errorNo)).toBe('53003');
    expect(String(err.errorMessage)).toContain('AADSTS53003: Access has been blocked by Conditional Access policies.');
    expect(await ropcOnTheWire(GRACE)).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_codes: [53003] } });
  });

  it('grace’s sign-in at /authorize goes back to the app with error=access_denied and AADSTS53003', async () => {
    await use('conditional-access-blocked');
    const done = await follow(authorizeUrl({ login_hint: GRACE.upn }));
    expect(callbackError(done.url)).toMatchObject({ at: WEB.redirectUri, error: 'access_denied', description: expect.stringMatching(/^AADSTS53003: /) });
  });

  it('a refresh token grace got before the policy no longer redeems: msal-node’s silent refresh fails with AADSTS53003', async () => {
    await use('default');
    const app = webApp();
    const first = await msalSignIn(app, GRACE);
    await use('conditional-access-blocked');
    const err = await rejection(app.acquireTokenSilent({ account: first.account!, scopes: ['User.Read'], forceRefresh: true }));
    expect(err.errorCode).toBe('invalid_grant');
    expect(String(err.errorNo)).toBe('53003');
  });

  it('ada, whom the policy does not cover (the fix: exclude the user), gets tokens with the password grant and the code flow', async () => {
    await use('conditional-access-blocked');
    expect((await ropc(ADA))?.account?.username).toBe(ADA.upn);
    expect((await msalSignIn(webApp(), ADA)).account?.username).toBe(ADA.upn);
  });
});

describe('scenarios/consent-required.yaml', () => {
  it('msal-node’s password grant becomes InteractionRequiredAuthError AADSTS65001 with suberror consent_required', async () => {
    await use('consent-required');
    const err = await rejection(ropc(ADA));
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect(String(err.errorNo)).toBe('65001');
    expect(err.subError).toBe('consent_required');
  });

  it('msal-node’s silent refresh becomes InteractionRequiredAuthError AADSTS65001; once an admin has consented (the default scenario) the same refresh succeeds', async () => {
    await use('default');
    const app = webApp();
    const first = await msalSignIn(app, ADA);
    await use('consent-required');
    const err = await rejection(app.acquireTokenSilent({ account: first.account!, scopes: ['User.Read'], forceRefresh: true }));
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect(String(err.errorNo)).toBe('65001');
    expect(err.subError).toBe('consent_required');
    await use('default');
    const again = await app.acquireTokenSilent({ account: first.account!, scopes: ['User.Read'], forceRefresh: true });
    expect(decodeJwt(again.accessToken)).toMatchObject({ upn: ADA.upn, appid: WEB.clientId });
  });

  it('prompt=none at /authorize goes back to the app with error=consent_required and AADSTS65001', async () => {
    await use('consent-required');
    const done = await follow(authorizeUrl({ login_hint: ADA.upn, prompt: 'none' }));
    expect(callbackError(done.url)).toMatchObject({ at: WEB.redirectUri, error: 'consent_required', description: expect.stringMatching(/^AADSTS65001: /) });
  });

  it('signing in interactively (the code flow without prompt=none, the header’s other fix) brings the app a code that redeems', async () => {
    await use('consent-required');
    const done = await follow(authorizeUrl({ login_hint: ADA.upn }));
    expect(callbackError(done.url).error).toBeNull();
    const tokens = await redeemCallback(done.url);
    expect(decodeJwt(tokens.id_token!).preferred_username).toBe(ADA.upn);
  });
});

describe('scenarios/default.yaml', () => {
  it('openid-client signs ada in to sample-web and msal-node gets sample-web an app token for sample-api with its Data.Read role', async () => {
    await use('default');
    const { redeem } = await openidSignIn(await oidcConfig());
    expect((await redeem()).claims()).toMatchObject({ aud: WEB.clientId, name: ADA.name, preferred_username: ADA.upn, email: ADA.upn, tid: TENANT_ID });
    expect(decodeJwt((await appToken())!.accessToken)).toMatchObject({ aud: API.clientId, roles: [API.role], azp: WEB.clientId });
  });

  it('node-saml validates ada’s assertion from sample-saml; grace, not assigned to it, gets AADSTS50105', async () => {
    await use('default');
    const sp = await samlSp();
    expect((await samlProfile(sp, (await samlSignIn(sp)).samlResponse)).nameID).toBe(ADA.upn);
    const grace = await samlSignIn(sp, GRACE.upn);
    expect(pageCode(grace.html)).toBe('50105');
    expect(grace.samlResponse).toBeUndefined();
  });
});

describe('scenarios/expired-client-secret.yaml', () => {
  it('msal-node’s token request fails with ServerError invalid_client AADSTS7000222, HTTP 401', async () => {
    await use('expired-client-secret');
    const err = await rejection(appToken());
    expect(err).toBeInstanceOf(ServerError);
    expect(err.errorCode).toBe('invalid_client');
    expect(String(err.errorNo)).toBe('7000222');
    expect(err.status).toBe(401);
    expect(String(err.errorMessage)).toContain(`AADSTS7000222: The provided client secret keys for app '${WEB.clientId}' are expired.`);
  });

  it('after a new client secret is added (Certificates & secrets), msal-node with its value gets a token; the expired value still fails with AADSTS7000222', async () => {
    await idp.useScenario(
      fixed(
        'expired-client-secret',
        `apps:
  - name: sample-web
    secrets:
      - { value: sample-web-secret, expires: 2025-01-31, name: created 2023-01-31 }
      - { value: new-secret-from-the-portal, expires: 2099-12-31, name: created today }
`,
      ),
    );
    expect(decodeJwt((await appToken(webApp('new-secret-from-the-portal')))!.accessToken)).toMatchObject({ aud: API.clientId, azp: WEB.clientId });
    expect(String((await rejection(appToken())).errorNo)).toBe('7000222');
  });
});

describe('scenarios/first-test-failure.yaml', () => {
  it('node-saml’s first sign-in ends on the AADSTS7000112 page, and again until SSO is enabled (the switch, flipped with the admin API); then the retry validates; idp.reset() starts over', async () => {
    await use('first-test-failure');
    const sp = await samlSp();
    const first = await samlSignIn(sp);
    expect(first.status).toBe(200);
    expect(pageCode(first.html)).toBe('7000112');
    expect(first.samlResponse).toBeUndefined();
    expect(pageCode((await samlSignIn(sp)).html)).toBe('7000112');
    // "Once Jasper Support has fully enabled SSO, select Retry sign-in": the header's curl command.
    const flip = await fetch(`${idp.url}/_mock/switches/sso-enabled`, { method: 'POST' });
    expect(await flip.json()).toEqual({ switches: { 'sso-enabled': true } });
    expect((await samlProfile(sp, (await samlSignIn(sp)).samlResponse)).nameID).toBe(ADA.upn);
    idp.reset();
    expect(pageCode((await samlSignIn(sp)).html)).toBe('7000112');
  });

  it('the portal’s Test sign-in (IdP-initiated) gets the AADSTS7000112 page until the switch is flipped with idp.flip, then node-saml validates the unsolicited response', async () => {
    await use('first-test-failure');
    const first = await testSignIn();
    expect(pageCode(first.html)).toBe('7000112');
    expect(first.samlResponse).toBeUndefined();
    idp.flip('sso-enabled');
    const retry = await testSignIn();
    expect(retry.action).toBe(SAML_APP.acs);
    expect((await samlProfile(await samlSp(), retry.samlResponse)).nameID).toBe(ADA.upn);
  });
});

describe('scenarios/groups-overage.yaml', () => {
  it('openid-client gets an ID token without groups but with _claim_names and _claim_sources pointing at Graph; the access token has no groups either', async () => {
    await use('groups-overage');
    const { redeem } = await openidSignIn(await oidcConfig(), { scope: `openid profile ${API.uri}/${API.scope}` });
    const tokens = await redeem();
    const claims = tokens.claims()!;
    expect(claims.groups).toBeUndefined();
    expect(claims._claim_names).toEqual({ groups: 'src1' });
    expect((claims._claim_sources as Record<string, { endpoint: string }>).src1!.endpoint).toBe(`https://graph.windows.net/${TENANT_ID}/users/${claims.oid}/getMemberObjects`);
    expect(decodeJwt(tokens.access_token)).not.toHaveProperty('groups');
  });

  it('node-saml gets an assertion with groups.link instead of the groups attribute', async () => {
    await use('groups-overage');
    const sp = await samlSp();
    const answer = await samlSignIn(sp);
    const profile = await samlProfile(sp, answer.samlResponse);
    expect(profile['http://schemas.microsoft.com/ws/2008/06/identity/claims/groups']).toBeUndefined();
    expect(profile['http://schemas.microsoft.com/claims/groups.link']).toMatch(new RegExp(`/${TENANT_ID}/users/[0-9a-f-]{36}/getMemberObjects$`));
    expect(attributeValues(answer.responseXml!, 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups')).toBeUndefined();
  });

  it('the fix, asking Graph where _claim_sources points (getMemberObjects), lists ada’s 206 groups once each, Engineering among them', async () => {
    await use('groups-overage');
    const tokens = await idp.signIn({ user: ADA.upn, app: 'sample-web', scopes: ['openid', 'profile', 'GroupMember.Read.All'] });
    const endpoint = new URL((decodeJwt(tokens.id_token!)._claim_sources as Record<string, { endpoint: string }>).src1!.endpoint);
    const res = await fetch(`${idp.url}${endpoint.pathname}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ securityEnabledOnly: false }),
    });
    expect(res.status).toBe(200);
    const ids = ((await res.json()) as { value: string[] }).value;
    const engineering = idp.directory.tenants[0]!.groups.find((g) => g.name === 'Engineering')!.id;
    expect(ids).toContain(engineering);
    expect(new Set(ids).size).toBe(206);
    expect(ids).toHaveLength(206);
  });
});

describe('scenarios/invalid-client-secret.yaml', () => {
  it('msal-node with the value it has gets ServerError invalid_client AADSTS7000215, HTTP 401, telling it to send the secret value, not its ID', async () => {
    await use('invalid-client-secret');
    const err = await rejection(appToken());
    expect(err).toBeInstanceOf(ServerError);
    expect(err.errorCode).toBe('invalid_client');
    expect(String(err.errorNo)).toBe('7000215');
    expect(err.status).toBe(401);
    expect(String(err.errorMessage)).toContain('Ensure the secret being sent in the request is the client secret value, not the client secret ID');
  });

  it('with the secret’s Value copied into its configuration (the fix), msal-node gets a token', async () => {
    await use('invalid-client-secret');
    expect(decodeJwt((await appToken(webApp('rotated-secret-value-xyz')))!.accessToken)).toMatchObject({ aud: API.clientId, roles: [API.role] });
  });
});

describe('scenarios/mfa-required.yaml', () => {
  it('msal-node’s password grant for ada becomes InteractionRequiredAuthError AADSTS50076 with suberror basic_action (invalid_grant, HTTP 400 on the wire)', async () => {
    await use('mfa-required');
    const err = await rejection(ropc(ADA));
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect(String(err.errorNo)).toBe('50076');
    expect(err.subError).toBe('basic_action');
    expect(await ropcOnTheWire(ADA)).toMatchObject({ status: 400, body: { error: 'invalid_grant', suberror: 'basic_action', error_codes: [50076] } });
  });

  it('a refresh token ada got before the policy no longer redeems silently: msal-node’s acquireTokenSilent becomes InteractionRequiredAuthError AADSTS50076', async () => {
    await use('default');
    const app = webApp();
    const first = await msalSignIn(app, ADA);
    await use('mfa-required');
    const err = await rejection(app.acquireTokenSilent({ account: first.account!, scopes: ['User.Read'], forceRefresh: true }));
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect(String(err.errorNo)).toBe('50076');
    expect(err.subError).toBe('basic_action');
  });

  it('ada’s sign-in at /authorize goes back to the app with error=interaction_required and AADSTS50076', async () => {
    await use('mfa-required');
    const done = await follow(authorizeUrl({ login_hint: ADA.upn }));
    expect(callbackError(done.url)).toMatchObject({ at: WEB.redirectUri, error: 'interaction_required', description: expect.stringMatching(/^AADSTS50076: /) });
  });

  it('grace, whom the policy does not cover (the fix: exclude test accounts), gets tokens with the password grant and the code flow', async () => {
    await use('mfa-required');
    expect((await ropc(GRACE))?.account?.username).toBe(GRACE.upn);
    expect((await msalSignIn(webApp(), GRACE)).account?.username).toBe(GRACE.upn);
  });
});

describe('scenarios/missing-claims.yaml', () => {
  it('openid-client signs ada in, but the ID token has no email and no preferred_username for the app to create her account with', async () => {
    await use('missing-claims');
    const { redeem } = await openidSignIn(await oidcConfig());
    const claims = (await redeem()).claims()!;
    expect(claims.name).toBe(ADA.name);
    expect(claims).not.toHaveProperty('email');
    expect(claims).not.toHaveProperty('preferred_username');
  });

  it('node-saml gets an assertion without mail, with the guide’s other claims (givenname, userprincipalname, surname)', async () => {
    await use('missing-claims');
    const sp = await samlSp();
    const profile = await samlProfile(sp, (await samlSignIn(sp)).samlResponse);
    expect(profile).not.toHaveProperty('mail');
    expect(profile).toMatchObject({ givenname: 'Ada', userprincipalname: ADA.upn, surname: 'Lovelace' });
  });

  it('mapping the mail claim to user.userprincipalname (the fix) gives node-saml a mail attribute', async () => {
    await idp.useScenario(
      fixed(
        'missing-claims',
        `apps:
  - name: sample-saml
    saml:
      claims:
        mail: user.userprincipalname
`,
      ),
    );
    const sp = await samlSp();
    expect(await samlProfile(sp, (await samlSignIn(sp)).samlResponse)).toMatchObject({ mail: ADA.upn, givenname: 'Ada' });
  });
});

describe('scenarios/outage.yaml', () => {
  it('discovery, JWKS, token, userinfo and the federation metadata answer HTTP 503 with Retry-After: 30 and AADSTS90033 (temporarily_unavailable; Graph’s ServiceUnavailable for userinfo)', async () => {
    await use('outage');
    const calls: Array<[string, () => Promise<Response>]> = [
      ['discovery', () => fetch(discoveryUrl())],
      ['jwks', () => fetch(jwksUrl())],
      ['token', () => fetch(tokenEndpoint(), { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: `${API.uri}/.default` }) })],
      ['userinfo', () => fetch(`${idp.url}/oidc/userinfo`, { headers: { authorization: 'Bearer not-checked-during-an-outage' } })],
      ['metadata', () => fetch(appMetadataUrl(idp))],
    ];
    for (const [name, call] of calls) {
      const res = await call();
      expect(res.status, name).toBe(503);
      expect(res.headers.get('retry-after'), name).toBe('30');
      // Graph's userinfo answers in Graph's error envelope, with Entra's text as the message.
      if (name === 'userinfo') expect(await res.json(), name).toMatchObject({ error: { code: 'ServiceUnavailable', message: expect.stringMatching(/^AADSTS90033: /) } });
      else expect(await res.json(), name).toMatchObject({ error: 'temporarily_unavailable', error_codes: [90033] });
    }
  });

  it('msal-node cannot resolve the authority (endpoints_resolution_error) and openid-client’s discovery sees the 503', async () => {
    await use('outage');
    const msal = await rejection(appToken());
    expect(msal).toBeInstanceOf(ClientAuthError);
    expect(msal.errorCode).toBe('endpoints_resolution_error');
    const oidc = await rejection(oidcConfig());
    expect(oidc).toMatchObject({ code: 'OAUTH_RESPONSE_IS_NOT_CONFORM', cause: { status: 503 } });
  });

  it('the browser flows fail too: /authorize and /saml2 answer a 503 page with AADSTS90033 and Retry-After, the app gets nothing', async () => {
    await use('outage');
    const done = await follow(authorizeUrl({ login_hint: ADA.upn }));
    expect(done.status).toBe(503);
    expect(new URL(done.url).origin).toBe(idp.url);
    expect(pageCode(done.html ?? '')).toBe('90033');
    // The metadata is down too, so the SP trusts some other certificate: no response comes to check.
    const saml = await samlSignIn(await samlSp({ cert: idp.caCert }));
    expect(saml.status).toBe(503);
    expect(saml.headers.get('retry-after')).toBe('30');
    expect(pageCode(saml.html)).toBe('90033');
    expect(saml.samlResponse).toBeUndefined();
  });

  it('msal-node keeps serving the token it cached before the outage (the fix: keep serving cached tokens)', async () => {
    await use('default');
    const app = webApp();
    const before = await app.acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] });
    await use('outage');
    const during = await app.acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] });
    expect(during?.fromCache).toBe(true);
    expect(during?.accessToken).toBe(before?.accessToken);
  });

  it('flipping the recovered switch ends the outage for discovery and msal-node; idp.reset() turns the switch back off, so the outage resumes', async () => {
    await use('outage');
    expect((await fetch(discoveryUrl())).status).toBe(503);
    idp.flip('recovered');
    expect((await fetch(discoveryUrl())).status).toBe(200);
    expect(decodeJwt((await appToken())!.accessToken).aud).toBe(API.clientId);
    // The header's "or idp.reset() in tests" does not hold: reset() puts switches back to the scenario's values.
    idp.reset();
    expect((await fetch(discoveryUrl())).status).toBe(503);
  });
});

describe('scenarios/saml-sp-security.yaml', () => {
  it('signs in normally with every switch off; with xsw-3 on node-saml refuses the wrapped Response, and signs in again once idp.reset() turns it off', async () => {
    await use('saml-sp-security');
    const sp = await samlSp();
    expect((await samlProfile(sp, (await samlSignIn(sp)).samlResponse)).nameID).toBe(ADA.upn);
    idp.flip('xsw-3');
    const wrapped = await samlSignIn(sp);
    expect(wrapped.responseXml).toContain('attacker@evil.example');
    await expect(sp.validatePostResponseAsync({ SAMLResponse: wrapped.samlResponse! })).rejects.toThrow(/Invalid signature/);
    idp.reset();
    expect((await samlProfile(sp, (await samlSignIn(sp)).samlResponse)).nameID).toBe(ADA.upn);
  });
});

describe('scenarios/signing-key-rollover.yaml', () => {
  it('tokens carry the new kid: jose with the old key pinned, or a JWKS never refetched, rejects them; the JWKS from jwks_uri verifies them', async () => {
    await use('default');
    const before = decodeProtectedHeader((await redeemCallback((await follow(authorizeUrl({ login_hint: ADA.upn }))).url)).id_token!).kid;
    const published = (await (await fetch(jwksUrl())).json()) as { keys: Array<{ kid: string; x5c: string[] }> };
    await use('signing-key-rollover');
    const token = (await redeemCallback((await follow(authorizeUrl({ login_hint: ADA.upn }))).url)).id_token!;
    const after = decodeProtectedHeader(token).kid;
    expect(after).not.toBe(before);
    expect(published.keys.map((k) => k.kid)).toContain(after);
    // An app that pinned the old key:
    const pinned = published.keys.find((k) => k.kid === before)!;
    await expect(jwtVerify(token, await importX509(toPem(pinned.x5c[0]!), 'RS256'))).rejects.toThrow('signature verification failed');
    // An app that kept the old JWKS and never refetches it:
    await expect(jwtVerify(token, createLocalJWKSet({ keys: published.keys.filter((k) => k.kid === before) as never }))).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    // The fix: keys from jwks_uri.
    await expect(jwtVerify(token, createRemoteJWKSet(new URL(jwksUrl())), { issuer: idp.issuer, audience: WEB.clientId })).resolves.toMatchObject({ protectedHeader: { kid: after }, payload: { name: ADA.name } });
  });

  it('node-saml with the stored old certificate rejects the signature; re-importing the App Federation Metadata (both certificates) validates', async () => {
    await use('default');
    const oldCert = await appCertPem(idp);
    await use('signing-key-rollover');
    const stale = await samlSp({ cert: oldCert });
    await expect(stale.validatePostResponseAsync({ SAMLResponse: (await samlSignIn(stale)).samlResponse! })).rejects.toThrow(/Invalid signature/);
    const certs = idpCertificates(stripBom(await fetchBytes(appMetadataUrl(idp))));
    expect(certs).toHaveLength(2);
    expect(certs).toContain(oldCert.replace(/-----[A-Z ]+-----|\s/g, ''));
    const refreshed = await samlSp({ cert: certs.map(toPem) });
    expect((await samlProfile(refreshed, (await samlSignIn(refreshed)).samlResponse)).nameID).toBe(ADA.upn);
  });
});

describe('scenarios/tenant-not-found.yaml', () => {
  it('openid-client’s discovery fails on HTTP 400 whose body is invalid_tenant AADSTS90002', async () => {
    await use('tenant-not-found');
    const err = await rejection(oidcConfig());
    expect(err).toMatchObject({ code: 'OAUTH_RESPONSE_IS_NOT_CONFORM', cause: { status: 400 } });
    expect(await (err.cause as Response).json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002], error_description: expect.stringMatching(/^AADSTS90002: Tenant '/) });
  });

  it('msal-node cannot resolve the authority, and the token endpoint answers invalid_tenant AADSTS90002 as JSON (HTTP 400)', async () => {
    await use('tenant-not-found');
    const msal = await rejection(appToken());
    expect(msal).toBeInstanceOf(ClientAuthError);
    expect(msal.errorCode).toBe('endpoints_resolution_error');
    const res = await fetch(tokenEndpoint(), { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: `${API.uri}/.default` }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
  });

  it('/authorize shows the AADSTS90002 error page and never redirects to the app', async () => {
    await use('tenant-not-found');
    const done = await follow(authorizeUrl({ login_hint: ADA.upn }));
    expect(done.url.origin).toBe(idp.url);
    expect(done.status).toBe(200);
    expect(pageCode(done.html)).toBe('90002');
  });

  it('SAML sign-ins get the AADSTS90002 page and the federation metadata an HTTP 400', async () => {
    await use('tenant-not-found');
    // The metadata fails too, so the SP trusts some other certificate: no response comes to check.
    const saml = await samlSignIn(await samlSp({ cert: idp.caCert }));
    expect(pageCode(saml.html)).toBe('90002');
    expect(saml.samlResponse).toBeUndefined();
    const metadata = await fetch(appMetadataUrl(idp));
    expect(metadata.status).toBe(400);
    expect(await metadata.json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
  });

  it('with the tenant ID from the app’s Overview page (the default scenario), discovery works, while a mistyped one still gets AADSTS90002', async () => {
    await use('default');
    expect((await oidcConfig()).serverMetadata().issuer).toBe(idp.issuer);
    const typo = `${TENANT_ID.slice(0, -1)}7`;
    const res = await fetch(`${idp.url}/${typo}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
  });
});

describe('scenarios/throttled.yaml', () => {
  it('every other token request answers HTTP 429 with Retry-After: 60 and AADSTS50196', async () => {
    await use('throttled');
    const call = () =>
      fetch(tokenEndpoint(), {
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

  it('msal-node reports the 429 (ServerError AADSTS50196), then waits: its next call fails without reaching Entra, and its cached token is still served', async () => {
    await use('throttled');
    const app = webApp();
    const first = await appToken(app);
    const throttled = await rejection(appToken(app));
    expect(throttled).toBeInstanceOf(ServerError);
    expect(String(throttled.errorNo)).toBe('50196');
    expect(throttled.status).toBe(429);
    const tokenRequests = () => idp.requests().filter((r) => r.path === `/${TENANT_ID}/oauth2/v2.0/token`).length;
    const sent = tokenRequests();
    const held = await rejection(appToken(app));
    expect(held).toBeInstanceOf(ServerError);
    expect(tokenRequests(), 'MSAL called the token endpoint while Retry-After ran').toBe(sent);
    // The fix: cache tokens.
    const cached = await appToken(app, false);
    expect(cached?.fromCache).toBe(true);
    expect(cached?.accessToken).toBe(first?.accessToken);
  });
});

describe('scenarios/unknown-identifier.yaml', () => {
  it('node-saml’s AuthnRequest (Issuer https://sp.example.test/saml/metadata) gets the AADSTS700016 page naming that identifier, and no SAML Response', async () => {
    await use('unknown-identifier');
    const answer = await samlSignIn(await samlSp());
    expect(answer.status).toBe(200);
    expect(pageCode(answer.html)).toBe('700016');
    expect(answer.html).toContain(`Application with identifier &#39;${SAML_APP.identifier}&#39; was not found`);
    expect(answer.samlResponse).toBeUndefined();
  });

  it('sample-web’s client ID: msal-node gets unauthorized_client AADSTS700016 (HTTP 400) and /authorize shows the AADSTS700016 page', async () => {
    await use('unknown-identifier');
    const err = await rejection(appToken());
    expect(err.errorCode).toBe('unauthorized_client');
    expect(String(err.errorNo)).toBe('700016');
    expect(err.status).toBe(400);
    const page = await follow(authorizeUrl({ login_hint: ADA.upn }));
    expect(page.url.origin).toBe(idp.url);
    expect(pageCode(page.html)).toBe('700016');
  });

  it('with the client ID of the app registration (the fix), msal-node gets a token and ada signs in', async () => {
    await use('unknown-identifier');
    expect(decodeJwt((await appToken(webApp(WEB.secret, FIXED_APP_ID)))!.accessToken)).toMatchObject({ azp: FIXED_APP_ID, aud: API.clientId });
    const app = webApp(WEB.secret, FIXED_APP_ID);
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const done = await follow(await app.getAuthCodeUrl({ scopes: ['User.Read'], redirectUri: WEB.redirectUri, loginHint: ADA.upn, codeChallenge: challenge, codeChallengeMethod: 'S256' }));
    const result = await app.acquireTokenByCode({ code: done.url.searchParams.get('code') ?? 'no code', scopes: ['User.Read'], redirectUri: WEB.redirectUri, codeVerifier: verifier });
    expect(result.idTokenClaims).toMatchObject({ aud: FIXED_APP_ID, preferred_username: ADA.upn });
  });

  it('with the Identifier set to the SP’s entity ID exactly (the fix), node-saml’s sign-in validates', async () => {
    await idp.useScenario(
      fixed(
        'unknown-identifier',
        `apps:
  - name: sample-saml
    saml:
      identifier: ${SAML_APP.identifier}
`,
      ),
    );
    const sp = await samlSp();
    expect((await samlProfile(sp, (await samlSignIn(sp)).samlResponse)).nameID).toBe(ADA.upn);
  });
});

describe('scenarios/untrusted-tls.yaml', () => {
  it('Node refuses the certificate from an unknown CA before any OIDC happens; back on the trusted certificate (the fix), the same request works', async () => {
    await use('untrusted-tls');
    await expect(freshGet(discoveryUrl())).rejects.toMatchObject({ code: expect.stringMatching(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/) });
    await use('default');
    expect(await freshGet(discoveryUrl())).toBe(200);
  });

  it('with certificate: wrong-host, Node reports ERR_TLS_CERT_ALTNAME_INVALID; using the host name the certificate was issued for (the fix) works', async () => {
    await idp.useScenario(fixed('untrusted-tls', 'tls:\n  certificate: wrong-host\n'));
    await expect(freshGet(discoveryUrl())).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    // wrong-host.invalid resolves to this machine only here; the certificate names it and the local CA signed it.
    const toLoopback = ((_host: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) =>
      o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)) as unknown as RequestOptions['lookup'];
    expect(await freshGet(`https://wrong-host.invalid:${idp.port}/${TENANT_ID}/v2.0/.well-known/openid-configuration`, { lookup: toLoopback })).toBe(200);
  });
});

describe('scenarios/user-not-assigned.yaml', () => {
  it('ada, after typing her password on the sign-in page, gets the AADSTS50105 page and sample-web gets nothing; so does a login_hint sign-in', async () => {
    await use('user-not-assigned');
    const page = await signInPage({}, ADA);
    expect(page.url.origin).toBe(idp.url);
    expect(pageCode(page.html)).toBe('50105');
    const hinted = await follow(authorizeUrl({ login_hint: ADA.upn }));
    expect(hinted.url.origin).toBe(idp.url);
    expect(pageCode(hinted.html)).toBe('50105');
  });

  it('node-saml: ada gets the AADSTS50105 page, with login_hint and after typing her password, and no SAML Response', async () => {
    await use('user-not-assigned');
    const sp = await samlSp();
    for (const answer of [await samlSignIn(sp), await samlSignInPage(sp, ADA)]) {
      expect(pageCode(answer.html)).toBe('50105');
      expect(answer.samlResponse).toBeUndefined();
    }
  });

  it('the password grant gets the same code as JSON: msal-node’s ServerError AADSTS50105', async () => {
    await use('user-not-assigned');
    const err = await rejection(ropc(ADA));
    expect(String(err.errorNo)).toBe('50105');
    expect((await ropcOnTheWire(ADA)).body).toMatchObject({ error_codes: [50105] });
  });

  it('grace, who is assigned, signs in to both apps; once ada is assigned too (Users and groups > Add user, the fix), so does she', async () => {
    await use('user-not-assigned');
    expect((await msalSignIn(webApp(), GRACE)).account?.username).toBe(GRACE.upn);
    const sp = await samlSp();
    expect((await samlProfile(sp, (await samlSignIn(sp, GRACE.upn)).samlResponse)).nameID).toBe(GRACE.upn);
    await idp.useScenario(
      fixed(
        'user-not-assigned',
        `apps:
  - name: sample-web
    assignments: [grace@contoso.onmicrosoft.com, ada@contoso.onmicrosoft.com]
  - name: sample-saml
    assignments: [grace@contoso.onmicrosoft.com, ada@contoso.onmicrosoft.com]
`,
      ),
    );
    expect((await msalSignIn(webApp(), ADA)).account?.username).toBe(ADA.upn);
    expect((await samlProfile(sp, (await samlSignInPage(sp, ADA)).samlResponse)).nameID).toBe(ADA.upn);
  });
});

describe('scenarios/wrong-redirect-uri.yaml', () => {
  it('JumpServer’s callback with its trailing slash: openid-client’s sign-in ends on the AADSTS50011 page (HTTP 200) naming the URI, never redirected', async () => {
    await use('wrong-redirect-uri');
    const { done } = await openidSignIn(await oidcConfig(), { redirectUri: JUMPSERVER_CALLBACK });
    expect(done.url.origin).toBe(idp.url);
    expect(done.status).toBe(200);
    expect(pageCode(done.html)).toBe('50011');
    expect(done.html).toContain(`The redirect URI &#39;${JUMPSERVER_CALLBACK}&#39; specified in the request does not match`);
  });

  it('node-saml’s AuthnRequest for the Reply URL http://localhost:3000/saml/acs gets the AADSTS50011 page and no SAML Response', async () => {
    await use('wrong-redirect-uri');
    const answer = await samlSignIn(await samlSp({ acs: SAML_APP.acs }));
    expect(answer.status).toBe(200);
    expect(pageCode(answer.html)).toBe('50011');
    expect(answer.samlResponse).toBeUndefined();
  });

  it('registering the exact URIs (the trailing slash, the missing Reply URL) fixes both: openid-client redeems the code, node-saml validates the assertion', async () => {
    await idp.useScenario(
      fixed(
        'wrong-redirect-uri',
        `apps:
  - name: sample-web
    redirectUris:
      - http://localhost:3000/auth/callback
      - ${JUMPSERVER_CALLBACK}
      - http://127.0.0.1:8400/callback
  - name: sample-saml
    saml:
      replyUrls: [http://localhost:3000/saml/acs, https://localhost:9443/saml/acs]
`,
      ),
    );
    const { done, redeem } = await openidSignIn(await oidcConfig(), { redirectUri: JUMPSERVER_CALLBACK });
    expect(`${done.url.origin}${done.url.pathname}`).toBe(JUMPSERVER_CALLBACK);
    expect((await redeem()).claims()).toMatchObject({ preferred_username: ADA.upn });
    const sp = await samlSp();
    const answer = await samlSignIn(sp);
    expect(answer.action).toBe(SAML_APP.acs);
    expect((await samlProfile(sp, answer.samlResponse)).nameID).toBe(ADA.upn);
  });
});
