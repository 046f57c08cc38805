/**
 * What Entra does with bad SAML requests (its HTML error page, never a SAML Response), and the
 * request flags and flows around the session: ForceAuthn, IsPassive, logout, the login page.
 */
import { createVerify, X509Certificate } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { describe, expect, it } from 'vitest';
import { ADA, GRACE, TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import {
  CookieJar,
  LOGOUT_URL,
  SAML_APP,
  STATUS,
  type Answer,
  appCertPem,
  authnRequest,
  browse,
  deflate64,
  pageCode,
  redirectUrl,
  samlEndpoint,
  scenario,
  withQuery,
} from './support.js';

const idp = useMockEntra({ scenario: scenario({ logoutUrl: LOGOUT_URL }) });

/** Entra's error page: HTTP 200, the code, the troubleshooting IDs, and no SAML Response anywhere. */
function expectErrorPage(a: Answer, code: string) {
  expect(a.status).toBe(200);
  expect(a.headers.get('content-type')).toMatch(/^text\/html/);
  expect(a.headers.get('location')).toBeNull();
  expect(pageCode(a.html), a.html.slice(0, 600)).toBe(code);
  expect(a.html).toMatch(/data-field="trace_id">[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}</);
  expect(a.html).toMatch(/data-field="correlation_id">[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}</);
  // (750054's own text names "SAMLRequest or SAMLResponse"; what must be absent is a Response to post.)
  expect(a.samlResponse).toBeUndefined();
  expect(a.html).not.toMatch(/name="SAMLResponse"/);
  expect(a.html).not.toMatch(/<form[^>]*method="POST"/i);
}

/** A fresh, valid SP-initiated sign-in for Ada still ends in a Success Response for its request. */
async function expectValidSignInStillWorks() {
  const { id, xml } = authnRequest();
  const a = await browse(redirectUrl(idp, xml, { login_hint: ADA.upn, RelayState: 'still-ok' }));
  expect(a.status).toBe(200);
  expect(a.action).toBe(SAML_APP.acs);
  expect(a.relayState).toBe('still-ok');
  expect(a.responseXml, a.html.slice(0, 600)).toBeDefined();
  expect(a.responseXml).toContain(`<samlp:StatusCode Value="${STATUS.success}"/>`);
  expect(a.responseXml).toMatch(new RegExp(`<samlp:Response [^>]*InResponseTo="${id}"`));
  expect(a.responseXml).toContain(`>${ADA.upn}</NameID>`);
}

const XXE =
  '<?xml version="1.0"?><!DOCTYPE samlp:AuthnRequest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' +
  `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_xxe1" Version="2.0" IssueInstant="2024-01-01T00:00:00Z">` +
  `<saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">&xxe;</saml:Issuer></samlp:AuthnRequest>`;
/** 300 KB of XML that deflates to a few hundred bytes: a small query, a huge message. */
const HUGE = authnRequest({ body: `<samlp:Extensions xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><x>${'A'.repeat(300 * 1024)}</x></samlp:Extensions>` }).xml;

describe('a bad SAMLRequest gets Entra’s error page (HTTP 200) with the code and troubleshooting IDs, never a SAMLResponse', () => {
  const cases: Array<{ name: string; code: string; request: () => Promise<Answer> }> = [
    {
      name: 'an AuthnRequest whose Issuer is no app’s Identifier: AADSTS700016',
      code: '700016',
      request: () => browse(redirectUrl(idp, authnRequest({ issuer: 'https://unknown.example.test/sp' }).xml, { login_hint: ADA.upn })),
    },
    {
      name: 'an AssertionConsumerServiceURL that is not among the Reply URLs: AADSTS50011',
      code: '50011',
      request: () => browse(redirectUrl(idp, authnRequest({ acs: 'https://evil.example.test/acs' }).xml, { login_hint: ADA.upn })),
    },
    {
      name: 'a user who is not assigned to an app that requires assignment (grace, auto sign-in): AADSTS50105',
      code: '50105',
      request: () => browse(redirectUrl(idp, authnRequest().xml, { login_hint: GRACE.upn })),
    },
    {
      name: 'no SAMLRequest at all (HTTP-Redirect): AADSTS750054',
      code: '750054',
      request: () => browse(withQuery(samlEndpoint(idp), { RelayState: 'x', login_hint: ADA.upn })),
    },
    {
      name: 'no SAMLRequest at all (HTTP-POST): AADSTS750054',
      code: '750054',
      request: () => browse(samlEndpoint(idp), { method: 'POST', body: new URLSearchParams({ RelayState: 'x' }) }),
    },
    {
      name: 'a SAMLRequest that is not base64: AADSTS75005',
      code: '75005',
      request: () => browse(withQuery(samlEndpoint(idp), { SAMLRequest: '!!!%%%***', login_hint: ADA.upn })),
    },
    {
      name: 'a SAMLRequest that is base64 but not DEFLATE data: AADSTS75005',
      code: '75005',
      request: () => browse(withQuery(samlEndpoint(idp), { SAMLRequest: Buffer.from('plainly not deflated at all').toString('base64'), login_hint: ADA.upn })),
    },
    {
      name: 'a SAMLRequest that is not well-formed XML: AADSTS75005',
      code: '75005',
      request: () => browse(withQuery(samlEndpoint(idp), { SAMLRequest: deflate64('<samlp:AuthnRequest ID="_a" <<< not xml'), login_hint: ADA.upn })),
    },
    {
      name: 'an HTTP-POST SAMLRequest that is not well-formed XML: AADSTS75005',
      code: '75005',
      request: () => browse(withQuery(samlEndpoint(idp), { login_hint: ADA.upn }), { method: 'POST', body: new URLSearchParams({ SAMLRequest: Buffer.from('<AuthnRequest><unclosed>').toString('base64') }) }),
    },
    {
      name: 'a SAMLRequest with a DOCTYPE declaring an external entity (XXE attempt): AADSTS75005',
      code: '75005',
      request: () => browse(withQuery(samlEndpoint(idp), { SAMLRequest: deflate64(XXE), login_hint: ADA.upn })),
    },
    {
      name: 'a huge SAMLRequest (300 KB once inflated) over HTTP-Redirect: AADSTS75005',
      code: '75005',
      request: () => browse(withQuery(samlEndpoint(idp), { SAMLRequest: deflate64(HUGE), login_hint: ADA.upn })),
    },
    {
      name: 'a huge SAMLRequest (150 KB) over HTTP-POST: AADSTS75005',
      code: '75005',
      request: () =>
        browse(withQuery(samlEndpoint(idp), { login_hint: ADA.upn }), {
          method: 'POST',
          body: new URLSearchParams({ SAMLRequest: Buffer.from(authnRequest({ body: `<samlp:Extensions xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><x>${'A'.repeat(150 * 1024)}</x></samlp:Extensions>` }).xml).toString('base64') }),
        }),
    },
    {
      name: 'an AuthnRequest whose ID starts with a digit: AADSTS7500529',
      code: '7500529',
      request: () => browse(redirectUrl(idp, authnRequest({ id: '1f2e3d4c-not-an-ncname' }).xml, { login_hint: ADA.upn })),
    },
  ];

  for (const c of cases) {
    it(`${c.name}; a valid sign-in still works afterwards`, async () => {
      expectErrorPage(await c.request(), c.code);
      await expectValidSignInStillWorks();
    });
  }

  it('an XXE attempt never shows the entity’s content', async () => {
    const a = await browse(withQuery(samlEndpoint(idp), { SAMLRequest: deflate64(XXE), login_hint: ADA.upn }));
    expect(pageCode(a.html)).toBe('75005');
    expect(a.html).not.toContain('root:x:0:0');
  });

  it('the huge message was small on the wire (a DEFLATE bomb, not an oversized URL)', () => {
    expect(deflate64(HUGE).length).toBeLessThan(4096);
    expect(inflateRawSync(deflateRawSync(Buffer.from(HUGE))).length).toBeGreaterThan(300 * 1024);
  });
});

const loginAction = (html: string) => /<form method="post" action="([^"]*\/saml2\/login\/[^"]+)"/.exec(html)?.[1];

describe('the login page (no login_hint)', () => {
  it('appears for an SP-initiated request, and an unassigned user (grace) who signs in there gets AADSTS50105', async () => {
    const jar = new CookieJar();
    const page = await browse(redirectUrl(idp, authnRequest().xml), { jar });
    expect(page.status).toBe(200);
    expect(page.samlResponse).toBeUndefined();
    const action = loginAction(page.html);
    expect(action).toMatch(new RegExp(`^/${TENANT_ID}/saml2/login/`));
    const answer = await browse(`${idp.url}${action}`, { jar, method: 'POST', body: new URLSearchParams({ username: GRACE.upn, password: GRACE.password }) });
    expectErrorPage(answer, '50105');
    await expectValidSignInStillWorks();
  });

  it('signs Ada in with her password and answers the request it was shown for', async () => {
    const { id, xml } = authnRequest();
    const page = await browse(redirectUrl(idp, xml, { RelayState: 'via-page' }));
    const answer = await browse(`${idp.url}${loginAction(page.html)}`, { method: 'POST', body: new URLSearchParams({ username: ADA.upn, password: ADA.password }) });
    expect(answer.action).toBe(SAML_APP.acs);
    expect(answer.relayState).toBe('via-page');
    expect(answer.responseXml).toMatch(new RegExp(`<samlp:Response [^>]*InResponseTo="${id}"`));
    expect(answer.responseXml).toContain(`>${ADA.upn}</NameID>`);
  });
});

/** Signs Ada in with login_hint and returns the browser's cookies (the SSO session). */
async function sessionJar(): Promise<CookieJar> {
  const jar = new CookieJar();
  const a = await browse(redirectUrl(idp, authnRequest().xml, { login_hint: ADA.upn }), { jar });
  expect(a.samlResponse).toBeDefined();
  expect(jar.cookies.size, 'the sign-in set no session cookie').toBeGreaterThan(0);
  return jar;
}

describe('the SSO session', () => {
  it('signs Ada in again without a page when the browser brings its session cookie', async () => {
    const jar = await sessionJar();
    const { id, xml } = authnRequest();
    const a = await browse(redirectUrl(idp, xml), { jar });
    expect(a.responseXml).toMatch(new RegExp(`InResponseTo="${id}"`));
    expect(a.responseXml).toContain(`>${ADA.upn}</NameID>`);
  });

  it('ForceAuthn="true" shows the login page even with a session cookie', async () => {
    const jar = await sessionJar();
    const a = await browse(redirectUrl(idp, authnRequest({ extra: 'ForceAuthn="true"' }).xml), { jar });
    expect(a.status).toBe(200);
    expect(a.samlResponse).toBeUndefined();
    expect(loginAction(a.html)).toBeDefined();
  });

  it('ForceAuthn="true" shows the password page even with a login_hint that would sign in without a page', async () => {
    const a = await browse(redirectUrl(idp, authnRequest({ extra: 'ForceAuthn="true"' }).xml, { login_hint: ADA.upn }));
    expect(a.samlResponse).toBeUndefined();
    expect(a.html).toContain('type="password"');
  });

  it('IsPassive="true" without a session yields a signed Response with status Responder/NoPassive and no assertion', async () => {
    const { id, xml } = authnRequest({ extra: 'IsPassive="true"' });
    const a = await browse(redirectUrl(idp, xml, { RelayState: 'passive' }));
    expect(a.status).toBe(200);
    expect(a.action).toBe(SAML_APP.acs);
    expect(a.relayState).toBe('passive');
    const r = a.responseXml!;
    expect(r).toBeDefined();
    expect(r).toMatch(new RegExp(`<samlp:Response [^>]*InResponseTo="${id}"`));
    expect(r).toContain(`<samlp:StatusCode Value="${STATUS.responder}"><samlp:StatusCode Value="${STATUS.noPassive}"/></samlp:StatusCode>`);
    expect(r).not.toContain('<Assertion');
    expect(r).toContain('<Signature');
  });

  it('IsPassive="true" without a session reaches node-saml as "nobody signed in" (no profile, no error)', async () => {
    const sp = new SAML({
      entryPoint: samlEndpoint(idp),
      issuer: SAML_APP.identifier,
      callbackUrl: SAML_APP.acs,
      idpCert: await appCertPem(idp),
      passive: true,
      validateInResponseTo: ValidateInResponseTo.always,
    });
    const a = await browse(await sp.getAuthorizeUrlAsync('', undefined, {}));
    const result = await sp.validatePostResponseAsync({ SAMLResponse: a.samlResponse! });
    expect(result.profile).toBeNull();
    expect(result.loggedOut).toBe(false);
  });

  it('IsPassive="true" with a session signs in silently', async () => {
    const jar = await sessionJar();
    const a = await browse(redirectUrl(idp, authnRequest({ extra: 'IsPassive="true"' }).xml), { jar });
    expect(a.responseXml).toContain(`<samlp:StatusCode Value="${STATUS.success}"/>`);
    expect(a.responseXml).toContain(`>${ADA.upn}</NameID>`);
  });
});

function logoutRequest(id = `_logout${Date.now()}`) {
  return {
    id,
    xml:
      `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${samlEndpoint(idp)}">` +
      `<saml:Issuer>${SAML_APP.identifier}</saml:Issuer><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${ADA.upn}</saml:NameID></samlp:LogoutRequest>`,
  };
}

describe('SP-initiated logout (HTTP-Redirect)', () => {
  it('redirects to the app’s Logout URL with a LogoutResponse (Success, InResponseTo the request) and clears the session cookie', async () => {
    const jar = await sessionJar();
    const { id, xml } = logoutRequest();
    const res = await fetch(redirectUrl(idp, xml, { RelayState: 'bye' }), { redirect: 'manual', headers: { cookie: jar.header() }, signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(302);
    const setCookies = res.headers.getSetCookie();
    const session = setCookies.find((c) => c.startsWith(`estsauth.${TENANT_ID}=`));
    expect(session, setCookies.join('\n')).toBeDefined();
    expect(session).toMatch(/expires=Thu, 01 Jan 1970/i);
    jar.store(res);

    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(LOGOUT_URL);
    expect(location.searchParams.get('RelayState')).toBe('bye');
    expect(location.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(location.searchParams.get('Signature')).toBeTruthy();
    const logoutResponse = inflateRawSync(Buffer.from(location.searchParams.get('SAMLResponse')!, 'base64')).toString('utf8');
    expect(logoutResponse).toMatch(/^<samlp:LogoutResponse /);
    expect(logoutResponse).toMatch(new RegExp(`<samlp:LogoutResponse [^>]*InResponseTo="${id}"`));
    expect(logoutResponse).toMatch(new RegExp(`<samlp:LogoutResponse [^>]*Destination="${LOGOUT_URL}"`));
    expect(logoutResponse).toContain(`<samlp:StatusCode Value="${STATUS.success}"/>`);

    // The session is gone: the next request without a hint gets the login page.
    const after = await browse(redirectUrl(idp, authnRequest().xml), { jar });
    expect(after.samlResponse).toBeUndefined();
    expect(loginAction(after.html)).toBeDefined();
  });

  it('signs the LogoutResponse redirect (SigAlg + Signature over SAMLResponse&RelayState&SigAlg) with the app’s certificate', async () => {
    const { xml } = logoutRequest();
    const res = await fetch(redirectUrl(idp, xml, { RelayState: 'bye' }), { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(302);
    const query = res.headers.get('location')!.split('?')[1]!;
    const parts = query.split('&');
    const signature = decodeURIComponent(parts.find((p) => p.startsWith('Signature='))!.slice('Signature='.length));
    // saml-bindings §3.4.4.1: the octet string is SAMLResponse=…&RelayState=…&SigAlg=…, as URL-encoded on the wire.
    const signed = ['SAMLResponse', 'RelayState', 'SigAlg'].map((k) => parts.find((p) => p.startsWith(`${k}=`))!).join('&');
    const cert = new X509Certificate(await appCertPem(idp));
    const verified = createVerify('RSA-SHA256').update(signed).verify(cert.publicKey, signature, 'base64');
    expect(verified, 'the LogoutResponse redirect signature does not verify with the app certificate of the metadata').toBe(true);
  });
});

describe('RequestedAuthnContext', () => {
  const context = (ref: string, comparison = 'exact') =>
    `<samlp:RequestedAuthnContext Comparison="${comparison}"><saml:AuthnContextClassRef>${ref}</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>`;

  it('a request for password authentication is met', async () => {
    const a = await browse(redirectUrl(idp, authnRequest({ body: context('urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport') }).xml, { login_hint: ADA.upn }));
    expect(a.samlResponse).toBeDefined();
  });

  it('a request for another method (X509) gets the AADSTS75011 page and no response', async () => {
    const a = await browse(redirectUrl(idp, authnRequest({ body: context('urn:oasis:names:tc:SAML:2.0:ac:classes:X509') }).xml, { login_hint: ADA.upn }));
    expectErrorPage(a, '75011');
    expect(a.html).toContain("requested authentication method &#39;X509&#39;");
  });

  it('a Comparison other than exact is an invalid request (AADSTS75005)', async () => {
    const a = await browse(redirectUrl(idp, authnRequest({ body: context('urn:oasis:names:tc:SAML:2.0:ac:classes:Password', 'minimum') }).xml, { login_hint: ADA.upn }));
    expectErrorPage(a, '75005');
  });
});
