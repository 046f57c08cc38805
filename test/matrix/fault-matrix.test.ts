/**
 * The fault × flow matrix: every fault rule a test can install (rows), met by every flow a real
 * client runs (columns), asserting what the APP observes: the AADSTS code in the channel the app
 * reads it from, or the tokens / assertion it receives and what its verifier (jose against the
 * published JWKS, node-saml against the App Federation Metadata certificate) makes of them.
 *
 * One server for the file; each cell installs its rule with idp.use() (scoped with `when.app`, or
 * `when.user` for the user row), runs its flow with fresh clients and a fresh cookie jar, and
 * idp.reset() removes the rule afterwards.
 *
 * Columns (flows) and the clients that run them:
 *   a. auth code with login_hint          msal-node ConfidentialClientApplication (sample-web), browserless /authorize
 *   b. auth code through the sign-in page msal-node (sample-web), the login page's username then password forms
 *   c. implicit ID token (form_post)      response_type=id_token, nonce, login_hint (implicit-web, added inline); jose
 *   d. ROPC                               msal-node PublicClientApplication.acquireTokenByUsernamePassword (sample-cli)
 *   e. device code                        msal-node acquireTokenByDeviceCode (sample-cli), approved with idp.approveDeviceCode
 *   f. client credentials                 msal-node acquireTokenByClientCredential (sample-web → api://sample-api/.default)
 *   g. on-behalf-of                       msal-node acquireTokenOnBehalfOf (sample-api, secret added inline) for
 *                                         api://downstream-api/Orders.Read (added inline: Graph's tokens carry a header
 *                                         nonce no app can verify, so jose could not judge rows 8–10 on them)
 *   h. refresh token                      openid-client signs in with offline_access (no rule), then the refresh_token
 *                                         grant is POSTed with the client secret once the rule is in place
 *   i. SAML SP-initiated with login_hint  @node-saml/node-saml AuthnRequest (HTTP-Redirect) + login_hint
 *   j. SAML through the sign-in page      the same without login_hint: username, then password on the login page
 *   k. SAML IdP-initiated                 /api/signin/{appId}?tenantId=…&login_hint=…, unsolicited response
 *
 * Rows (faults), one rule each, named `${row} × ${column}` so idp.requests() can tell which fired:
 *   1. error by app          { when: { app }, then: { error: 53003 } }
 *   2. error by user         { when: { user: ada }, then: { error: 53003 } }; Grace's same flow succeeds
 *   3. throttling            { when: { app }, then: { status: 429 } }
 *   4. outage                { when: { app }, then: { status: 503 } }
 *   5. delay                 { when: { app }, then: { delayMs: 250 } } (no timing assertion: the log names the rule)
 *   6. removeClaims          ID token `name`; access token `roles` (client credentials); SAML `emailaddress`
 *   7. setClaims             `name: Mallory`; `roles: [Data.Write]` (client credentials); SAML `displayname: Mallory`
 *   8. clockSkewSeconds      -7200: jose ERR_JWT_EXPIRED; node-saml "SAML assertion expired"
 *   9. breakSignature        jose ERR_JWS_SIGNATURE_VERIFICATION_FAILED; node-saml "Invalid signature"
 *  10. swapKey               jose ERR_JWKS_NO_MATCHING_KEY (kid not published); node-saml "Invalid signature"
 *  11. error once            { when: { app }, then: { error: 53003 }, times: { first: 1 } }: the retry succeeds
 *
 * The table (x = one it(), n/a = no it()):
 *                          a   b   c   d   e   f   g   h   i   j   k
 *    1 error by app        x   x   x   x   x   x   x   x   x   x   x
 *    2 error by user       x   x   x   x   x  n/a  x   x   x   x   x
 *    3 throttling          x   x   x   x   x   x   x   x   x   x   x
 *    4 outage              x   x   x   x   x   x   x   x   x   x   x
 *    5 delay               x   x   x   x   x   x   x   x   x   x   x
 *    6 removeClaims        x   x   x   x   x   x   x   x   x   x   x
 *    7 setClaims           x   x   x   x   x   x   x   x   x   x   x
 *    8 clock skew          x   x   x   x   x   x   x   x   x   x   x
 *    9 broken signature    x   x   x   x   x   x   x   x   x   x   x
 *   10 swapped key         x   x   x   x   x   x   x   x   x   x   x
 *   11 error once          x   x   x   x   x   x   x   x   x   x   x
 *
 * n/a cells:
 *   - error by user (2) × client credentials (f): an app-only token has no user for the rule to match.
 *
 * Channels the matrix expects (where a fault surfaces decides what the app sees):
 *   - token endpoint (d, e, f, g, h, and the redemption in a, b): JSON, AADSTS code in error_codes.
 *   - /authorize once the redirect URI is trusted (a, b, c): a redirect back to the app carrying
 *     error_description "AADSTS53003: …", in the flow's response_mode: query for a and b, form_post for c.
 *   - the OIDC sign-in page (b, user row: the user is only known once typed): Entra's error page, as
 *     Entra shows failures after sign-in (reference §6: "post-sign-in failures … usually show that page").
 *   - SAML (i, j, k): Entra's HTML error page showing the code; the SP gets no SAMLResponse.
 *   - 429 and 503 in any browser flow (a, b, c, i, j, k): Entra's error page showing AADSTS50196 /
 *     AADSTS90033 with Retry-After (and HTTP 503 for the outage): a throttled or unavailable service
 *     answers the browser itself. The alternative, a redirect to the app with
 *     error=temporarily_unavailable as RFC 6749 §4.1.2.1 allows, loses the 429/503 status in a 302.
 *     JSON flows get HTTP 429 / 503 with Retry-After and the code in error_codes.
 *
 * Where the user is only known late (typed on a sign-in page; code, device-code, refresh and OBO
 * redemption), the user row must still fire: that is the point of the matrix.
 */
import {
  AuthError,
  ConfidentialClientApplication,
  CryptoProvider,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
  PublicClientApplication,
  ServerError,
} from '@azure/msal-node';
import { type Profile, SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO, loadScenarioFile, type MockEntra, type RuleInput, type ScenarioInput } from '../../src/index.js';
import { CookieJar } from '../helpers/browserless.js';
import { ADA, API, CLI, GRACE, TENANT_ID, WEB } from '../helpers/ids.js';
import { startMock } from '../helpers/server.js';
import { CLAIM, SAML_APP, appCertPem, pageCode, readForm, samlEndpoint, withQuery } from '../saml/support.js';

const IMPLICIT = { name: 'implicit-web', clientId: 'c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f', secret: 'implicit-web-secret', redirectUri: 'http://localhost:5000/signin-oidc' };
const DOWNSTREAM = { name: 'downstream-api', clientId: '8d7c6b5a-4e3f-4a2b-9c1d-0e9f8a7b6c5d', uri: 'api://downstream-api', scope: 'Orders.Read' };
const API_SECRET = 'sample-api-secret';
const passwordOf = (upn: string) => [ADA, GRACE].find((u) => u.upn === upn)?.password ?? 'no such user';

let idp: MockEntra;
let jwks: ReturnType<typeof createRemoteJWKSet>;
let samlCert: string;

beforeAll(async () => {
  const base = await loadScenarioFile(DEFAULT_SCENARIO);
  const scenario = {
    ...base,
    description: 'default.yaml, plus what the fault matrix needs',
    // MSAL polls at the interval the server names; the cells approve the code before the first poll.
    signIn: { ...base.signIn, deviceCode: { ...base.signIn.deviceCode, interval: 1 } },
    apps: [
      ...base.apps.map((a) => {
        // sample-api becomes a middle tier (on-behalf-of needs its secret).
        if (a.name === 'sample-api') return { ...a, secrets: [API_SECRET] };
        // Grace is assigned too, so the user row has someone the rule does not name.
        if (a.name === 'sample-saml') return { ...a, assignments: [ADA.upn, GRACE.upn] };
        return a;
      }),
      { name: IMPLICIT.name, clientId: IMPLICIT.clientId, secrets: [IMPLICIT.secret], redirectUris: [IMPLICIT.redirectUri], implicitGrant: { idTokens: true, accessTokens: false } },
      { name: DOWNSTREAM.name, clientId: DOWNSTREAM.clientId, api: { identifierUri: DOWNSTREAM.uri, scopes: [DOWNSTREAM.scope], roles: [], accessTokenVersion: 2 } },
    ],
  } satisfies ScenarioInput;
  idp = await startMock({ scenario });
  jwks = createRemoteJWKSet(new URL(`${idp.url}/${TENANT_ID}/discovery/v2.0/keys`));
  samlCert = await appCertPem(idp);
});
afterAll(async () => {
  await idp?.stop();
});
afterEach(() => {
  idp.reset();
});

// ---------------------------------------------------------------------------------------------
// What the app observes
// ---------------------------------------------------------------------------------------------

type Channel = 'json' | 'redirect' | 'page' | 'form_post';

interface Failed {
  ok: false;
  channel: Channel;
  /** The AADSTS number the app can read (error_codes, error_description, or the page). */
  code: number | undefined;
  /** HTTP status of the answer the app (or its user's browser) got. */
  status: number;
  retryAfter: string | null;
  /** For failure messages only. */
  detail: string;
}

type Issued =
  | { ok: true; kind: 'jwt'; token: string; audience: string; nonce?: string }
  | { ok: true; kind: 'saml'; samlResponse: string; sp: SAML };

type Outcome = Failed | Issued;

const aadsts = (text: string | null | undefined) => {
  const m = /^AADSTS(\d+):/.exec(text ?? '');
  return m ? Number(m[1]) : undefined;
};

/** Where the browser stopped, with the answer's status and headers (Retry-After). */
interface Stop {
  url: URL;
  status: number;
  headers: Headers;
  html: string;
}

/** The browser: follows redirects on the mock's origin, keeps cookies, stops when a redirect leaves the origin or a page answers. */
class Browser {
  readonly jar = new CookieJar();
  async go(start: string | URL, init: { method?: string; body?: URLSearchParams } = {}): Promise<Stop> {
    let url = new URL(start);
    let method = init.method ?? 'GET';
    let body = init.body;
    for (let hop = 0; hop < 12; hop++) {
      const res = await fetch(url, { method, body, redirect: 'manual', headers: { cookie: this.jar.header() }, signal: AbortSignal.timeout(10_000) });
      this.jar.store(res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        url = new URL(location, url);
        method = 'GET';
        body = undefined;
        if (url.origin !== idp.url) return { url, status: res.status, headers: res.headers, html: '' };
        continue;
      }
      return { url, status: res.status, headers: res.headers, html: await res.text() };
    }
    throw new Error(`more than 12 redirects from ${String(start)}`);
  }
}

/** Where a browser flow ended: at the app (its redirect URI or ACS, with the fields it got), or on a page of the mock. */
type Landing = { at: 'app'; channel: 'redirect' | 'form_post'; fields: Record<string, string>; stop: Stop } | { at: 'mock'; stop: Stop };

function land(stop: Stop): Landing {
  if (stop.url.origin !== idp.url) {
    const fields = Object.fromEntries([...stop.url.searchParams, ...new URLSearchParams(stop.url.hash.slice(1))]);
    return { at: 'app', channel: 'redirect', fields, stop };
  }
  const form = readForm(stop.html) ?? readProviderForm(stop.html);
  if (form && new URL(form.action, idp.url).origin !== idp.url) return { at: 'app', channel: 'form_post', fields: form.fields, stop };
  return { at: 'mock', stop };
}

/** oidc-provider writes its form_post page with lower-case attributes in its own order. */
function readProviderForm(html: string): { action: string; fields: Record<string, string> } | undefined {
  const action = /<form[^>]*action="([^"]+)"/i.exec(html)?.[1];
  if (!action || !/method="post"/i.test(html)) return undefined;
  const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\s*\/?>/g)) fields[unescape(m[1]!)] = unescape(m[2]!);
  return { action: unescape(action), fields };
}

/** A landing that is an error the app (or its user) can see, or undefined when the flow got through. */
function landingError(l: Landing): Failed | undefined {
  const retryAfter = l.stop.headers.get('retry-after');
  if (l.at === 'app') {
    if (!l.fields.error) return undefined;
    return { ok: false, channel: l.channel, code: aadsts(l.fields.error_description), status: l.stop.status, retryAfter, detail: `${l.fields.error}: ${l.fields.error_description}` };
  }
  const code = pageCode(l.stop.html);
  if (code) return { ok: false, channel: 'page', code: Number(code), status: l.stop.status, retryAfter, detail: `page at ${l.stop.url.pathname}` };
  return undefined;
}

/** A landing that is neither a result nor an error: the flow is stuck (a bug in the flow or the test). */
const stuck = (l: Landing, where: string): never => {
  throw new Error(`${where}: the flow stopped at ${l.stop.url.href} (HTTP ${l.stop.status}): ${l.stop.html.replace(/\s+/g, ' ').slice(0, 400)}`);
};

/** The login page's forms: username, then password (test/ui: fields `username` and `password`). */
async function typeCredentials(browser: Browser, page: Stop, upn: string): Promise<Stop> {
  const action = (html: string) => {
    const a = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!a) throw new Error(`no sign-in form on ${page.url.pathname}: ${html.replace(/\s+/g, ' ').slice(0, 300)}`);
    return new URL(a.replace(/&amp;/g, '&'), page.url);
  };
  const passwordStep = await browser.go(action(page.html), { method: 'POST', body: new URLSearchParams({ username: upn }) });
  if (passwordStep.url.origin !== idp.url || !/name="password"/.test(passwordStep.html)) return passwordStep;
  return browser.go(action(passwordStep.html), { method: 'POST', body: new URLSearchParams({ username: upn, password: passwordOf(upn) }) });
}

/** MSAL's network, by fetch, remembering the last answer: polling errors reach the app only as the `error` string. */
class Wire implements INetworkModule {
  last: { status: number; headers: Record<string, string>; body: Record<string, unknown> } | undefined;
  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>(url, 'GET', options);
  }
  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>(url, 'POST', options);
  }
  private async send<T>(url: string, method: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    const res = await fetch(url, { method, headers: options?.headers, body: options?.body, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: MSAL only reads JSON bodies
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key] = value;
    });
    this.last = { status: res.status, headers, body };
    return { status: res.status, headers, body: body as T };
  }
}

const authority = () => ({ authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] });

/**
 * What an MSAL call's rejection tells the app: a ServerError carries the code and status; polling
 * errors (and a refused /devicecode request, which MSAL hands to the callback as an empty answer)
 * reach the app only through the answer on the wire, so the wire fills in.
 */
function msalFailure(err: unknown, wire: Wire): Failed {
  const server = err instanceof ServerError ? err : undefined;
  const refused = wire.last && wire.last.status >= 400 ? wire.last : undefined;
  if (!server && !refused) throw err;
  const wireCode = (refused?.body.error_codes as number[] | undefined)?.[0];
  return {
    ok: false,
    channel: 'json',
    code: server?.errorNo ? Number(server.errorNo) : wireCode,
    status: server?.status ?? refused?.status ?? 0,
    retryAfter: refused?.headers['retry-after'] ?? null,
    detail: err instanceof AuthError ? `${err.errorCode}: ${err.errorMessage}` : String(err),
  };
}

async function msal(call: () => Promise<{ idToken: string; accessToken: string } | null>, wire: Wire, token: 'id' | 'access', audience: string): Promise<Outcome> {
  try {
    const result = await call();
    if (!result) throw new Error('MSAL returned no result');
    return { ok: true, kind: 'jwt', token: token === 'id' ? result.idToken : result.accessToken, audience };
  } catch (err) {
    return msalFailure(err, wire);
  }
}

// ---------------------------------------------------------------------------------------------
// Columns: the flows
// ---------------------------------------------------------------------------------------------

interface RunInput {
  user: string;
  /** Installs the cell's rule (once per cell). Flows call it before they start, or (g, h) once the user's incoming or refresh token is in hand. */
  install: () => void;
}

interface ClaimSpec {
  /** The rule's removeClaims / setClaims. */
  remove: string;
  set: Record<string, unknown>;
  /** The same claims as the app reads them. */
  removed: string;
  kept: string;
  setName: string;
  setValue: unknown;
}

interface Flow {
  id: string;
  label: string;
  /** The app `when.app` names for this flow. */
  app: string;
  /** Flows that run in a browser: 429/503 surface as Entra's error page there. */
  browser: boolean;
  /** Where an error rule of this flow (53003) reaches the app. */
  errorChannel: Channel;
  /** Where a user-scoped error reaches the user, when it differs (the user is only known on the sign-in page). */
  userErrorChannel?: Channel;
  /** Whether the flow has a user (the user row applies). */
  hasUser: boolean;
  claims: ClaimSpec;
  run(o: RunInput): Promise<Outcome>;
}

const ID_TOKEN_CLAIMS: ClaimSpec = { remove: 'name', set: { name: 'Mallory' }, removed: 'name', kept: 'preferred_username', setName: 'name', setValue: 'Mallory' };
const SAML_CLAIMS: ClaimSpec = {
  remove: 'emailaddress',
  set: { displayname: 'Mallory' },
  removed: CLAIM.emailaddress,
  kept: CLAIM.givenname,
  setName: CLAIM.displayname,
  setValue: 'Mallory',
};

const webApp = (wire: Wire) => new ConfidentialClientApplication({ auth: { clientId: WEB.clientId, clientSecret: WEB.secret, ...authority() }, system: { networkClient: wire } });
const cliApp = (wire: Wire) => new PublicClientApplication({ auth: { clientId: CLI.clientId, ...authority() }, system: { networkClient: wire } });

/** a and b: msal-node builds the URL and redeems the code; the browser in between signs in by login_hint or on the page. */
async function authCode(o: RunInput, viaPage: boolean): Promise<Outcome> {
  o.install();
  const wire = new Wire();
  const app = webApp(wire);
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const scopes = ['User.Read'];
  const url = await app.getAuthCodeUrl({ scopes, redirectUri: WEB.redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256', state: 'matrix', ...(viaPage ? {} : { loginHint: o.user }) });
  const browser = new Browser();
  let stop = await browser.go(url);
  if (viaPage) {
    const first = land(stop);
    const early = landingError(first);
    if (early) return early;
    if (first.at === 'app') stuck(first, 'expected the sign-in page');
    stop = await typeCredentials(browser, stop, o.user);
  }
  const l = land(stop);
  const failed = landingError(l);
  if (failed) return failed;
  if (l.at !== 'app' || !l.fields.code) return stuck(l, 'expected a code at the redirect URI');
  const code = l.fields.code;
  return msal(() => app.acquireTokenByCode({ code, scopes, redirectUri: WEB.redirectUri, codeVerifier: verifier }), wire, 'id', WEB.clientId);
}

/** c: the front-channel ID token, posted to the app (response_mode=form_post). */
async function implicitIdToken(o: RunInput): Promise<Outcome> {
  o.install();
  const nonce = `n-${Math.random().toString(36).slice(2)}`;
  const url = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  url.search = new URLSearchParams({
    client_id: IMPLICIT.clientId,
    response_type: 'id_token',
    response_mode: 'form_post',
    redirect_uri: IMPLICIT.redirectUri,
    scope: 'openid profile',
    nonce,
    state: 'matrix',
    login_hint: o.user,
  }).toString();
  const l = land(await new Browser().go(url));
  const failed = landingError(l);
  if (failed) return failed;
  if (l.at !== 'app' || l.channel !== 'form_post' || !l.fields.id_token) return stuck(l, 'expected an id_token posted to the redirect URI');
  return { ok: true, kind: 'jwt', token: l.fields.id_token, audience: IMPLICIT.clientId, nonce };
}

async function ropc(o: RunInput): Promise<Outcome> {
  o.install();
  const wire = new Wire();
  return msal(() => cliApp(wire).acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: o.user, password: passwordOf(o.user) }), wire, 'id', CLI.clientId);
}

async function deviceCode(o: RunInput): Promise<Outcome> {
  o.install();
  const wire = new Wire();
  return msal(
    () =>
      cliApp(wire).acquireTokenByDeviceCode({
        scopes: ['User.Read'],
        // The user approves at once, so MSAL's first poll already redeems the code.
        deviceCodeCallback: (r) => {
          // MSAL passes on whatever /devicecode answered; without a user code there is nothing to show the user.
          if (!r.userCode) throw new Error('the device code request was refused');
          // Approved before MSAL's first poll (which waits the interval); a refusal leaves the code pending and MSAL times out.
          idp.approveDeviceCode(r.userCode, o.user).catch(() => undefined);
        },
        timeout: 15,
      }),
    wire,
    'id',
    CLI.clientId,
  );
}

async function clientCredentials(o: RunInput): Promise<Outcome> {
  o.install();
  const wire = new Wire();
  return msal(() => webApp(wire).acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }), wire, 'access', API.clientId);
}

async function onBehalfOf(o: RunInput): Promise<Outcome> {
  // The incoming token: the user signs in to sample-web for sample-api, before the rule exists.
  const incoming = await idp.signIn({ user: o.user, app: 'sample-web', scopes: ['openid', 'profile', `${API.uri}/${API.scope}`] });
  o.install();
  const wire = new Wire();
  const api = new ConfidentialClientApplication({ auth: { clientId: API.clientId, clientSecret: API_SECRET, ...authority() }, system: { networkClient: wire } });
  return msal(() => api.acquireTokenOnBehalfOf({ oboAssertion: incoming.access_token, scopes: [`${DOWNSTREAM.uri}/${DOWNSTREAM.scope}`] }), wire, 'access', DOWNSTREAM.clientId);
}

async function refresh(o: RunInput): Promise<Outcome> {
  // Sign in with offline_access through openid-client, before the rule exists.
  const config = await oidc.discovery(new URL(`${idp.url}/${TENANT_ID}/v2.0`), WEB.clientId, WEB.secret);
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: WEB.redirectUri,
    scope: 'openid profile email offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'matrix',
    login_hint: o.user,
  });
  const signedIn = await oidc.authorizationCodeGrant(config, (await new Browser().go(url)).url, { pkceCodeVerifier: verifier, expectedState: 'matrix' });
  const refreshToken = signedIn.refresh_token;
  if (!refreshToken) throw new Error('the sign-in gave no refresh token');
  o.install();
  const res = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: WEB.clientId, client_secret: WEB.secret, refresh_token: refreshToken, scope: 'openid profile email offline_access' }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200 || typeof body.id_token !== 'string') {
    return { ok: false, channel: 'json', code: (body.error_codes as number[] | undefined)?.[0], status: res.status, retryAfter: res.headers.get('retry-after'), detail: String(body.error_description ?? body.error) };
  }
  return { ok: true, kind: 'jwt', token: body.id_token, audience: WEB.clientId };
}

/** node-saml as the SP of sample-saml, trusting the certificate of the App Federation Metadata. */
function serviceProvider(): SAML {
  return new SAML({
    entryPoint: samlEndpoint(idp),
    issuer: SAML_APP.identifier,
    audience: SAML_APP.identifier,
    callbackUrl: SAML_APP.acs,
    idpCert: samlCert,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    // IdP-initiated responses are unsolicited; SP-initiated ones are checked for everything else.
    validateInResponseTo: ValidateInResponseTo.never,
  });
}

function samlLanding(l: Landing, sp: SAML): Outcome {
  const failed = landingError(l);
  if (failed) return failed;
  if (l.at !== 'app' || !l.fields.SAMLResponse) return stuck(l, 'expected a SAMLResponse posted to the ACS');
  return { ok: true, kind: 'saml', samlResponse: l.fields.SAMLResponse, sp };
}

async function samlSpInitiated(o: RunInput, viaPage: boolean): Promise<Outcome> {
  o.install();
  const sp = serviceProvider();
  const authnUrl = await sp.getAuthorizeUrlAsync('', undefined, {});
  const browser = new Browser();
  let stop = await browser.go(viaPage ? authnUrl : withQuery(authnUrl, { login_hint: o.user }));
  if (viaPage) {
    const first = land(stop);
    const early = landingError(first);
    if (early) return early;
    if (first.at === 'app') stuck(first, 'expected the sign-in page');
    stop = await typeCredentials(browser, stop, o.user);
  }
  return samlLanding(land(stop), sp);
}

async function samlIdpInitiated(o: RunInput): Promise<Outcome> {
  o.install();
  const url = `${idp.url}/api/signin/${SAML_APP.clientId}?${new URLSearchParams({ tenantId: TENANT_ID, login_hint: o.user })}`;
  return samlLanding(land(await new Browser().go(url)), serviceProvider());
}

const FLOWS: Flow[] = [
  { id: 'a', label: 'auth code with login_hint', app: 'sample-web', browser: true, errorChannel: 'redirect', hasUser: true, claims: ID_TOKEN_CLAIMS, run: (o) => authCode(o, false) },
  { id: 'b', label: 'auth code through the sign-in page', app: 'sample-web', browser: true, errorChannel: 'redirect', userErrorChannel: 'page', hasUser: true, claims: ID_TOKEN_CLAIMS, run: (o) => authCode(o, true) },
  { id: 'c', label: 'implicit ID token (form_post)', app: IMPLICIT.name, browser: true, errorChannel: 'form_post', hasUser: true, claims: ID_TOKEN_CLAIMS, run: implicitIdToken },
  { id: 'd', label: 'ROPC', app: 'sample-cli', browser: false, errorChannel: 'json', hasUser: true, claims: ID_TOKEN_CLAIMS, run: ropc },
  { id: 'e', label: 'device code', app: 'sample-cli', browser: false, errorChannel: 'json', hasUser: true, claims: ID_TOKEN_CLAIMS, run: deviceCode },
  {
    id: 'f',
    label: 'client credentials',
    app: 'sample-web',
    browser: false,
    errorChannel: 'json',
    hasUser: false,
    claims: { remove: 'roles', set: { roles: ['Data.Write'] }, removed: 'roles', kept: 'azp', setName: 'roles', setValue: ['Data.Write'] },
    run: clientCredentials,
  },
  { id: 'g', label: 'on-behalf-of', app: 'sample-api', browser: false, errorChannel: 'json', hasUser: true, claims: ID_TOKEN_CLAIMS, run: onBehalfOf },
  { id: 'h', label: 'refresh token', app: 'sample-web', browser: false, errorChannel: 'json', hasUser: true, claims: ID_TOKEN_CLAIMS, run: refresh },
  { id: 'i', label: 'SAML SP-initiated with login_hint', app: 'sample-saml', browser: true, errorChannel: 'page', hasUser: true, claims: SAML_CLAIMS, run: (o) => samlSpInitiated(o, false) },
  { id: 'j', label: 'SAML through the sign-in page', app: 'sample-saml', browser: true, errorChannel: 'page', hasUser: true, claims: SAML_CLAIMS, run: (o) => samlSpInitiated(o, true) },
  { id: 'k', label: 'SAML IdP-initiated', app: 'sample-saml', browser: true, errorChannel: 'page', hasUser: true, claims: SAML_CLAIMS, run: samlIdpInitiated },
];

// ---------------------------------------------------------------------------------------------
// What the app does with what it received
// ---------------------------------------------------------------------------------------------

function issued(out: Outcome): Issued {
  expect(out.ok, out.ok ? '' : `expected the flow to succeed, it failed: ${out.channel} ${out.status} AADSTS${out.code} (${out.detail})`).toBe(true);
  return out as Issued;
}

/** The app's verifier: jose against the published JWKS (issuer, audience, nonce), or node-saml against the metadata certificate. */
async function verify(out: Issued): Promise<JWTPayload | Profile> {
  if (out.kind === 'jwt') {
    const { payload } = await jwtVerify(out.token, jwks, { issuer: idp.issuer, audience: out.audience });
    if (out.nonce !== undefined) expect(payload.nonce).toBe(out.nonce);
    return payload;
  }
  const { profile } = await out.sp.validatePostResponseAsync({ SAMLResponse: out.samlResponse });
  if (!profile) throw new Error('node-saml gave no profile');
  return profile;
}

/** The claims the app reads, after its verifier accepted them: JWT claims, or SAML attributes by their full name. */
async function verifiedClaims(out: Issued): Promise<Record<string, unknown>> {
  const v = await verify(out);
  return out.kind === 'jwt' ? (v as JWTPayload) : ((v as Profile).attributes as Record<string, unknown>);
}

/** Signed in as `upn`, with tokens or an assertion the app's verifier accepts. */
async function expectSignedIn(out: Outcome, upn: string | undefined): Promise<void> {
  const ok = issued(out);
  const v = await verify(ok);
  if (!upn) {
    expect((v as JWTPayload).idtyp, 'an app-only token').toBe('app');
    return;
  }
  if (ok.kind === 'jwt') expect((v as JWTPayload).preferred_username).toBe(upn);
  else expect((v as Profile).nameID).toBe(upn);
}

function expectFailure(out: Outcome, want: { channel: Channel; code: number; status?: number; retryAfter?: string }): void {
  expect(out.ok, out.ok ? `expected AADSTS${want.code} (${want.channel}), but the flow succeeded` : '').toBe(false);
  const f = out as Failed;
  expect({ channel: f.channel, code: f.code }, f.detail).toEqual({ channel: want.channel, code: want.code });
  if (want.status !== undefined) expect(f.status, f.detail).toBe(want.status);
  if (want.retryAfter !== undefined) expect(f.retryAfter, 'Retry-After').toBe(want.retryAfter);
}

/** Issued, but the app's verifier refuses it: jose's error code, or node-saml's message. */
async function expectRefused(out: Outcome, jose: string, saml: RegExp): Promise<void> {
  const ok = issued(out);
  const err = await verify(ok).then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
  expect(err, `expected the app's verifier to refuse the ${ok.kind === 'jwt' ? 'token' : 'assertion'}`).toBeDefined();
  if (ok.kind === 'jwt') expect(err!.code, err!.message).toBe(jose);
  else expect(err!.message).toMatch(saml);
}

// ---------------------------------------------------------------------------------------------
// Rows: the faults
// ---------------------------------------------------------------------------------------------

interface Cell {
  flow: Flow;
  /** The rule's name: `${row} × ${column}`. */
  name: string;
  /** Runs the flow as `user` (default Ada); the cell's rule is installed on the first run only. */
  attempt(user?: string): Promise<Outcome>;
}

interface Row {
  id: string;
  label: string;
  appliesTo(flow: Flow): boolean;
  rule(flow: Flow): Omit<RuleInput, 'name'>;
  /** What the app observes, in words, for the test's name. */
  says(flow: Flow): string;
  check(cell: Cell): Promise<void>;
}

const byApp = (flow: Flow) => ({ app: flow.app });
const errorIn = (flow: Flow) => (flow.errorChannel === 'json' ? 'JSON' : flow.errorChannel === 'page' ? "Entra's error page" : flow.errorChannel === 'form_post' ? 'a form_post to the app' : 'a redirect to the app');
const throttleIn = (flow: Flow) => (flow.browser ? "Entra's error page" : 'JSON');

/** A row whose artifact is issued but refused by the client's verifier: jose (by error code) or node-saml (by message). */
function refusedByVerifier(id: string, label: string, then: RuleInput['then'], o: { saml: string; jwt: string; code: string; samlError: RegExp }): Row {
  return {
    id,
    label,
    appliesTo: () => true,
    rule: (flow) => ({ when: byApp(flow), then }),
    says: (flow) => (flow.claims === SAML_CLAIMS ? o.saml : o.jwt),
    check: async ({ attempt }) => {
      await expectRefused(await attempt(), o.code, o.samlError);
    },
  };
}

const ROWS: Row[] = [
  {
    id: 'error-by-app',
    label: 'error by app (53003 for the app)',
    appliesTo: () => true,
    rule: (flow) => ({ when: byApp(flow), then: { error: 53003 } }),
    says: (flow) => `the app gets AADSTS53003 in ${errorIn(flow)}`,
    check: async ({ flow, attempt }) => {
      expectFailure(await attempt(), { channel: flow.errorChannel, code: 53003, ...(flow.errorChannel === 'json' ? { status: 400 } : {}) });
    },
  },
  {
    id: 'error-by-user',
    label: 'error by user (53003 for one user)',
    appliesTo: (flow) => flow.hasUser,
    rule: () => ({ when: { user: ADA.upn }, then: { error: 53003 } }),
    says: (flow) => `Ada gets AADSTS53003 in ${errorIn({ ...flow, errorChannel: flow.userErrorChannel ?? flow.errorChannel })}, Grace signs in`,
    check: async ({ flow, attempt }) => {
      const channel = flow.userErrorChannel ?? flow.errorChannel;
      expectFailure(await attempt(ADA.upn), { channel, code: 53003, ...(channel === 'json' ? { status: 400 } : {}) });
      await expectSignedIn(await attempt(GRACE.upn), GRACE.upn);
    },
  },
  {
    id: 'throttled',
    label: 'throttling (429 for the app)',
    appliesTo: () => true,
    rule: (flow) => ({ when: byApp(flow), then: { status: 429 } }),
    says: (flow) => `the app gets AADSTS50196 with Retry-After in ${throttleIn(flow)}${flow.browser ? '' : ' (HTTP 429)'}`,
    check: async ({ flow, attempt }) => {
      expectFailure(await attempt(), { channel: flow.browser ? 'page' : 'json', code: 50196, retryAfter: '60', ...(flow.browser ? {} : { status: 429 }) });
    },
  },
  {
    id: 'outage',
    label: 'outage (503 for the app)',
    appliesTo: () => true,
    rule: (flow) => ({ when: byApp(flow), then: { status: 503 } }),
    says: (flow) => `the app gets HTTP 503, AADSTS90033 with Retry-After in ${throttleIn(flow)}`,
    check: async ({ flow, attempt }) => {
      expectFailure(await attempt(), { channel: flow.browser ? 'page' : 'json', code: 90033, status: 503, retryAfter: '60' });
    },
  },
  {
    id: 'delay',
    label: 'delay (250 ms for the app)',
    appliesTo: () => true,
    rule: (flow) => ({ when: byApp(flow), then: { delayMs: 250 } }),
    says: () => 'the flow still succeeds and the request log names the rule',
    check: async ({ flow, name, attempt }) => {
      await expectSignedIn(await attempt(), flow.hasUser ? ADA.upn : undefined);
      expect(idp.requests().filter((r) => r.rule === name).length, `requests on which '${name}' fired`).toBeGreaterThan(0);
    },
  },
  {
    id: 'remove-claims',
    label: 'removeClaims (a claim the app reads)',
    appliesTo: () => true,
    rule: (flow) => ({ when: byApp(flow), then: { removeClaims: [flow.claims.remove] } }),
    says: (flow) => `${flow.claims.remove} is missing from what the app receives, the other claims are there`,
    check: async ({ flow, attempt }) => {
      const claims = await verifiedClaims(issued(await attempt()));
      expect(claims[flow.claims.removed], `${flow.claims.removed} should be gone`).toBeUndefined();
      expect(claims[flow.claims.kept], `${flow.claims.kept} should stay`).toBeDefined();
    },
  },
  {
    id: 'set-claims',
    label: 'setClaims (a claim the app reads is overridden)',
    appliesTo: () => true,
    rule: (flow) => ({ when: byApp(flow), then: { setClaims: flow.claims.set } }),
    says: (flow) => `the app reads ${Object.entries(flow.claims.set).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')}`,
    check: async ({ flow, attempt }) => {
      const claims = await verifiedClaims(issued(await attempt()));
      expect(claims[flow.claims.setName]).toEqual(flow.claims.setValue);
      expect(claims[flow.claims.kept], `${flow.claims.kept} should stay`).toBeDefined();
    },
  },
  refusedByVerifier('clock-skew', 'clock skew (-7200 s)', { clockSkewSeconds: -7200 }, {
    saml: 'node-saml refuses the expired assertion',
    jwt: 'jose refuses the expired token (ERR_JWT_EXPIRED)',
    code: 'ERR_JWT_EXPIRED',
    samlError: /SAML assertion expired/,
  }),
  refusedByVerifier('break-signature', 'broken signature', { breakSignature: true }, {
    saml: 'node-saml refuses the signature',
    jwt: 'jose refuses the signature (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)',
    code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    samlError: /Invalid (document )?signature/,
  }),
  refusedByVerifier('swap-key', 'swapped key (signed with an unpublished key)', { swapKey: true }, {
    saml: 'node-saml refuses the signature (key not in metadata)',
    jwt: 'jose finds no published key for it (ERR_JWKS_NO_MATCHING_KEY)',
    code: 'ERR_JWKS_NO_MATCHING_KEY',
    samlError: /Invalid (document )?signature/,
  }),
  {
    id: 'error-once',
    label: 'error once (53003 the first time)',
    appliesTo: () => true,
    rule: (flow) => ({ when: byApp(flow), then: { error: 53003 }, times: { first: 1 } }),
    says: (flow) => `the first attempt gets AADSTS53003 in ${errorIn(flow)}, the retry succeeds`,
    check: async ({ flow, attempt }) => {
      expectFailure(await attempt(), { channel: flow.errorChannel, code: 53003 });
      await expectSignedIn(await attempt(), flow.hasUser ? ADA.upn : undefined);
    },
  },
];

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

describe('fault × flow matrix', () => {
  for (const row of ROWS) {
    for (const flow of FLOWS) {
      if (!row.appliesTo(flow)) continue;
      const name = `${row.id} × ${flow.id}`;
      it(`${row.label} × ${flow.label}: ${row.says(flow)}`, async () => {
        let installed = false;
        const install = () => {
          if (installed) return;
          installed = true;
          idp.use({ name, ...row.rule(flow) });
        };
        const attempt = async (user = ADA.upn) => {
          const out = await flow.run({ user, install });
          expect(installed, 'the flow installed the rule').toBe(true);
          return out;
        };
        await row.check({ flow, name, attempt });
      });
    }
  }
});
