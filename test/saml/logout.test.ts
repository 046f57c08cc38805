/**
 * Single logout without a browser: what the mock sends each app (the front-channel page's frames,
 * the LogoutResponse) and its errors — an unsigned or wrongly signed LogoutRequest where the app
 * requires signed requests, an app without a Logout URL, a request for a session that is gone.
 */
import { createVerify, X509Certificate } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { keyAndCertificate } from '../helpers/credentials.js';
import { follow } from '../helpers/browserless.js';
import { ADA, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { appCertPem, browse, CookieJar, deflate64, LOGOUT_URL, OTHER_SAML_APP, pageCode, readForm, redirectUrl, SAML_APP, samlEndpoint, scenario, STATUS, withQuery } from './support.js';

const OTHER_LOGOUT_URL = 'http://localhost:4000/saml/logout';
const FRONTCHANNEL_URL = 'http://localhost:3000/frontchannel-logout';
const THIRD = { name: 'third-saml', clientId: '4f5a6b7c-8d9e-4fa0-b1c2-d3e4f5a6b7c8', identifier: 'https://third.example.test/saml', acs: 'http://localhost:5000/saml/acs' };

const idp = useMockEntra();
let spKey: string;
let otherKey: string;

// sample-saml requires signed requests (its SP's certificate is made here); other-saml has a Logout
// URL; third-saml has none; sample-web has a front-channel logout URL and a post-logout redirect URI.
beforeAll(async () => {
  const [sp, other] = await Promise.all([keyAndCertificate('sp.example.test'), keyAndCertificate('someone else')]);
  spKey = sp.keyPem;
  otherKey = other.keyPem;
  const s = scenario({ logoutUrl: LOGOUT_URL, requireSignedRequests: true, verificationCertificates: [sp.certPem] });
  for (const app of s.apps!) {
    if (app.clientId === OTHER_SAML_APP.clientId) app.saml = { ...app.saml!, logoutUrl: OTHER_LOGOUT_URL };
    if (app.clientId === WEB.clientId) Object.assign(app, { frontchannelLogoutUrl: FRONTCHANNEL_URL, postLogoutRedirectUris: [WEB.postLogoutRedirectUri] });
  }
  s.apps!.push({ name: THIRD.name, clientId: THIRD.clientId, saml: { identifier: THIRD.identifier, replyUrls: [THIRD.acs] } });
  await idp.useScenario(s);
});

/** sample-saml's SP (node-saml), signing its requests with `key`. */
async function sampleSp(key = spKey): Promise<SAML> {
  return new SAML({
    entryPoint: withQuery(samlEndpoint(idp), { login_hint: ADA.upn }),
    logoutUrl: samlEndpoint(idp),
    issuer: SAML_APP.identifier,
    callbackUrl: SAML_APP.acs,
    idpCert: await appCertPem(idp),
    privateKey: key,
    signatureAlgorithm: 'sha256',
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.never,
  });
}

/** An unsigned SP of another app (other-saml, third-saml). */
async function unsignedSp(app: { clientId: string; identifier: string; acs: string }): Promise<SAML> {
  return new SAML({
    entryPoint: withQuery(samlEndpoint(idp), { login_hint: ADA.upn }),
    logoutUrl: samlEndpoint(idp),
    issuer: app.identifier,
    callbackUrl: app.acs,
    idpCert: await appCertPem(idp, app.clientId),
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.never,
  });
}

/** Signs `sp`'s app in (HTTP-Redirect AuthnRequest, then the POSTed Response validated by node-saml), in `jar`'s session. */
async function signIn(sp: SAML, jar: CookieJar) {
  const answer = await browse(await sp.getAuthorizeUrlAsync('', undefined, {}), { jar });
  expect(answer.samlResponse, answer.html).toBeDefined();
  const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! });
  return profile!;
}

const sessionCleared = (res: { headers: Headers }) => res.headers.getSetCookie().some((c) => c.startsWith(`estsauth.${TENANT_ID}=`) && /expires=Thu, 01 Jan 1970/i.test(c));

/** Verifies an HTTP-Redirect signature (SAMLRequest|SAMLResponse&RelayState&SigAlg as on the wire) with a certificate. */
function redirectSignatureVerifies(url: string, certPem: string): boolean {
  const parts = new URL(url).search.slice(1).split('&');
  const signature = decodeURIComponent(parts.find((p) => p.startsWith('Signature='))!.slice('Signature='.length));
  const signed = ['SAMLRequest', 'SAMLResponse', 'RelayState', 'SigAlg'].flatMap((k) => parts.filter((p) => p.startsWith(`${k}=`))).join('&');
  return createVerify('RSA-SHA256').update(signed).verify(new X509Certificate(certPem).publicKey, signature, 'base64');
}

const inflated = (url: string, param: string) => inflateRawSync(Buffer.from(new URL(url).searchParams.get(param)!, 'base64')).toString('utf8');
const unescapeHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const frames = (html: string) => [...html.matchAll(/<iframe src="([^"]*)"/g)].map((m) => unescapeHtml(m[1]!));
const nextOf = (html: string) => JSON.parse(/next=("(?:[^"\\]|\\.)*")/.exec(html)![1]!) as string;

describe('signed LogoutRequests (the app requires signed requests)', () => {
  it('an unsigned LogoutRequest gets the AADSTS76021 page, and the session stays', async () => {
    const jar = new CookieJar();
    await signIn(await sampleSp(), jar);
    const xml = `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_unsigned1" Version="2.0" IssueInstant="${new Date().toISOString()}"><saml:Issuer>${SAML_APP.identifier}</saml:Issuer><saml:NameID>${ADA.upn}</saml:NameID></samlp:LogoutRequest>`;
    const res = await browse(redirectUrl(idp, xml), { jar });
    expect(pageCode(res.html)).toBe('76021');
    expect(sessionCleared(res)).toBe(false);
    // Still signed in: the next sign-in needs no page.
    expect((await browse(await (await unsignedSp({ ...OTHER_SAML_APP })).getAuthorizeUrlAsync('', undefined, {}), { jar })).samlResponse).toBeDefined();
  });

  it('a LogoutRequest signed with a key that is not the app’s gets the AADSTS75005 page, and the session stays', async () => {
    const jar = new CookieJar();
    const profile = await signIn(await sampleSp(), jar);
    const res = await browse(await (await sampleSp(otherKey)).getLogoutUrlAsync(profile, 'r', {}), { jar });
    expect(pageCode(res.html)).toBe('75005');
    expect(res.html).toContain('does not verify');
    expect(sessionCleared(res)).toBe(false);
  });

  it('a LogoutRequest with an enveloped signature by the app’s key (HTTP-POST) ends the session and is answered with Success', async () => {
    const jar = new CookieJar();
    await signIn(await sampleSp(), jar);
    const xml = `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_post1" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${samlEndpoint(idp)}"><saml:Issuer>${SAML_APP.identifier}</saml:Issuer><saml:NameID>${ADA.upn}</saml:NameID></samlp:LogoutRequest>`;
    const sig = new SignedXml({ privateKey: spKey, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
    sig.addReference({ xpath: "/*[local-name(.)='LogoutRequest']", transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
    sig.computeSignature(xml, { location: { reference: "/*[local-name(.)='LogoutRequest']/*[local-name(.)='Issuer']", action: 'after' } });
    const res = await browse(samlEndpoint(idp), { jar, method: 'POST', body: new URLSearchParams({ SAMLRequest: Buffer.from(sig.getSignedXml()).toString('base64') }) });
    expect(res.status).toBe(302);
    expect(sessionCleared(res)).toBe(true);
    const location = res.headers.get('location')!;
    expect(location.startsWith(`${LOGOUT_URL}?`)).toBe(true);
    const answer = inflated(location, 'SAMLResponse');
    expect(answer).toMatch(/InResponseTo="_post1"/);
    expect(answer).toContain(`<samlp:StatusCode Value="${STATUS.success}"/>`);
  });

  it('a LogoutRequest for a session that is gone (no cookie) is still answered with a signed Success LogoutResponse node-saml accepts', async () => {
    const sp = await sampleSp();
    const profile = await signIn(sp, new CookieJar());
    const res = await browse(await sp.getLogoutUrlAsync(profile, 'gone', {}));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(LOGOUT_URL);
    expect(await sp.validateRedirectAsync(Object.fromEntries(location.searchParams), location.search.slice(1))).toEqual({ profile: null, loggedOut: true });
  });
});

describe('the front-channel page', () => {
  it('tells the other apps of the session: a signed LogoutRequest with its NameID and SessionIndex to other-saml, iss and sid to sample-web, nothing to an app without a Logout URL', async () => {
    const jar = new CookieJar();
    const sp = await sampleSp();
    const own = await signIn(sp, jar);
    const other = await signIn(await unsignedSp(OTHER_SAML_APP), jar);
    await signIn(await unsignedSp(THIRD), jar);
    const authorize = withQuery(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`, { client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile', state: 's' });
    const code = (await follow(authorize, { jar })).url.searchParams.get('code')!;
    const tokens = (await (await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: WEB.redirectUri, client_id: WEB.clientId, client_secret: WEB.secret }) })).json()) as { id_token: string };
    const sid = (JSON.parse(Buffer.from(tokens.id_token.split('.')[1]!, 'base64url').toString('utf8')) as { sid?: string }).sid;
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);

    const res = await browse(await sp.getLogoutUrlAsync(own, 'bye', {}), { jar });
    expect(res.status).toBe(200);
    expect(sessionCleared(res)).toBe(true);
    const [toOther, toWeb, ...rest] = frames(res.html);
    expect(rest).toEqual([]);
    // other-saml: its Logout URL, signed with its certificate, naming what its assertion carried.
    expect(toOther!.startsWith(`${OTHER_LOGOUT_URL}?`)).toBe(true);
    expect(redirectSignatureVerifies(toOther!, await appCertPem(idp, OTHER_SAML_APP.clientId))).toBe(true);
    const request = inflated(toOther!, 'SAMLRequest');
    expect(request).toMatch(/^<samlp:LogoutRequest [^>]*Destination="http:\/\/localhost:4000\/saml\/logout"/);
    expect(request).toContain(`<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/${TENANT_ID}/</Issuer>`);
    expect(request).toContain(`>${other.nameID}</NameID>`);
    expect(request).toContain(`<samlp:SessionIndex>${other.sessionIndex}</samlp:SessionIndex>`);
    // sample-web: its front-channel logout URL with the issuer and the sid of its ID token.
    const web = new URL(toWeb!);
    expect(`${web.origin}${web.pathname}`).toBe(FRONTCHANNEL_URL);
    expect(Object.fromEntries(web.searchParams)).toEqual({ iss: `${idp.url}/${TENANT_ID}/v2.0`, sid });
    // Then on to the originator's Logout URL with the LogoutResponse, which node-saml accepts.
    const next = new URL(nextOf(res.html));
    expect(`${next.origin}${next.pathname}`).toBe(LOGOUT_URL);
    expect(await sp.validateRedirectAsync(Object.fromEntries(next.searchParams), next.search.slice(1))).toEqual({ profile: null, loggedOut: true });
  });

  it('an app’s LogoutResponse coming back in a frame is acknowledged; a message that is no LogoutResponse gets AADSTS75005', async () => {
    const response = `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_lr1" Version="2.0" IssueInstant="${new Date().toISOString()}" InResponseTo="_x"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">${OTHER_SAML_APP.identifier}</saml:Issuer><samlp:Status><samlp:StatusCode Value="${STATUS.success}"/></samlp:Status></samlp:LogoutResponse>`;
    const ok = await fetch(withQuery(samlEndpoint(idp), { SAMLResponse: deflate64(response) }));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('Signed out.');
    const wrong = await browse(withQuery(samlEndpoint(idp), { SAMLResponse: deflate64(response.replace(/LogoutResponse/g, 'Response')) }));
    expect(pageCode(wrong.html)).toBe('75005');
  });
});

describe('an app without a Logout URL', () => {
  it('signs the user out all the same and shows AADSTS500113: there is nowhere to send the LogoutResponse', async () => {
    const jar = new CookieJar();
    const sp = await unsignedSp(THIRD);
    const profile = await signIn(sp, jar);
    const res = await browse(await sp.getLogoutUrlAsync(profile, '', {}), { jar });
    expect(pageCode(res.html)).toBe('500113');
    expect(sessionCleared(res)).toBe(true);
    // Signed out: the next sign-in without a hint shows the sign-in page.
    const again = await browse(withQuery(await new SAML({ entryPoint: samlEndpoint(idp), issuer: THIRD.identifier, callbackUrl: THIRD.acs, idpCert: await appCertPem(idp, THIRD.clientId) }).getAuthorizeUrlAsync('', undefined, {}), {}), { jar });
    expect(again.samlResponse).toBeUndefined();
    expect(again.html).toContain('Pick an account');
  });

  it('with other apps in the session: they are still told, then the browser ends on the AADSTS500113 lookup page', async () => {
    const jar = new CookieJar();
    await signIn(await unsignedSp(OTHER_SAML_APP), jar);
    const sp = await unsignedSp(THIRD);
    const profile = await signIn(sp, jar);
    const res = await browse(await sp.getLogoutUrlAsync(profile, '', {}), { jar });
    expect(res.status).toBe(200);
    expect(frames(res.html)).toHaveLength(1);
    expect(frames(res.html)[0]!.startsWith(`${OTHER_LOGOUT_URL}?`)).toBe(true);
    expect(nextOf(res.html)).toBe(`${idp.url}/error?code=500113`);
  });
});

describe('OIDC sign-out (end_session)', () => {
  /** Signs sample-web in (code flow, login_hint) in `jar`'s session. */
  async function signInWeb(jar: CookieJar) {
    const authorize = withQuery(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`, { client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid', state: 's', login_hint: ADA.upn });
    expect((await follow(authorize, { jar })).url.searchParams.get('code')).toBeTruthy();
  }

  /** The logout request, then the confirmation form it auto-submits: the answer to that POST. */
  async function signOut(jar: CookieJar) {
    const first = await browse(withQuery(`${idp.url}/${TENANT_ID}/oauth2/v2.0/logout`, { client_id: WEB.clientId, post_logout_redirect_uri: WEB.postLogoutRedirectUri }), { jar });
    const form = readForm(first.html)!;
    return browse(new URL(form.action, idp.url).toString(), { jar, method: 'POST', body: new URLSearchParams(form.fields) });
  }

  it('with a SAML app in the session: a signed LogoutRequest in a frame, then on to the post_logout_redirect_uri', async () => {
    const jar = new CookieJar();
    const other = await signIn(await unsignedSp(OTHER_SAML_APP), jar);
    await signInWeb(jar);
    const res = await signOut(jar);
    expect(res.status).toBe(200);
    expect(sessionCleared(res)).toBe(true);
    const [frame, ...rest] = frames(res.html);
    expect(rest).toEqual([]);
    expect(redirectSignatureVerifies(frame!, await appCertPem(idp, OTHER_SAML_APP.clientId))).toBe(true);
    expect(inflated(frame!, 'SAMLRequest')).toContain(`<samlp:SessionIndex>${other.sessionIndex}</samlp:SessionIndex>`);
    expect(nextOf(res.html)).toBe(WEB.postLogoutRedirectUri);
  });

  it('with no other app in the session: the provider’s redirect to the post_logout_redirect_uri, as before', async () => {
    const jar = new CookieJar();
    await signInWeb(jar);
    const res = await signOut(jar);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(WEB.postLogoutRedirectUri);
  });
});
