/**
 * @node-saml/node-saml (the library under passport-saml) as the service provider: it checks the
 * signatures with the certificate of the App Federation Metadata, InResponseTo against the requests
 * it sent, the audience, the time window and the status, exactly as an application would.
 */
import { SAML, type Profile, type SamlConfig, ValidateInResponseTo } from '@node-saml/node-saml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockEntra } from '../../src/index.js';
import { ADA, TENANT_ID } from '../helpers/ids.js';
import { startMock } from '../helpers/server.js';
import {
  CLAIM,
  CookieJar,
  LOGOUT_URL,
  NAMEID,
  OTHER_SAML_APP,
  SAML_APP,
  appCertPem,
  browse,
  samlEndpoint,
  scenario,
  withQuery,
  type SamlSettings,
} from './support.js';

const ISSUER = `https://sts.windows.net/${TENANT_ID}/`;

/** An SP configured the way the Entra SAML guides describe, trusting `cert`. */
function serviceProvider(idp: MockEntra, cert: string, overrides: Partial<SamlConfig> = {}): SAML {
  return new SAML({
    entryPoint: samlEndpoint(idp),
    issuer: SAML_APP.identifier,
    audience: SAML_APP.identifier,
    callbackUrl: SAML_APP.acs,
    idpCert: cert,
    logoutUrl: samlEndpoint(idp),
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.always,
    signatureAlgorithm: 'sha256',
    ...overrides,
  });
}

/** SP-initiated sign-in: the SP's AuthnRequest URL plus login_hint, then the form the browser would auto-submit. */
async function signIn(sp: SAML, relayState = 'relay-123', jar?: CookieJar) {
  const url = await sp.getAuthorizeUrlAsync(relayState, undefined, {});
  const answer = await browse(withQuery(url, { login_hint: ADA.upn }), { jar });
  expect(answer.status).toBe(200);
  expect(answer.samlResponse, `no SAMLResponse form in: ${answer.html.slice(0, 500)}`).toBeDefined();
  return answer;
}

function expectAdaProfile(profile: Profile | null, idp: MockEntra) {
  expect(profile).not.toBeNull();
  const p = profile!;
  const ada = idp.directory.tenants[0]!.users.find((u) => u.upn === ADA.upn)!;
  expect(p.issuer).toBe(ISSUER);
  expect(p.nameID).toBe(ADA.upn);
  expect(p.nameIDFormat).toBe(NAMEID.emailAddress);
  expect(p.sessionIndex).toMatch(/^_[0-9a-f-]{36}$/);
  expect(p.attributes).toMatchObject({
    [CLAIM.tenantid]: TENANT_ID,
    [CLAIM.objectidentifier]: ada.id,
    [CLAIM.displayname]: 'Ada Lovelace',
    [CLAIM.identityprovider]: ISSUER,
    [CLAIM.authnmethodsreferences]: 'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password',
    [CLAIM.givenname]: 'Ada',
    [CLAIM.surname]: 'Lovelace',
    [CLAIM.emailaddress]: 'ada@contoso.onmicrosoft.com',
    [CLAIM.name]: ADA.upn,
  });
}

const SIG_METHOD = {
  sha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
} as const;

/** Which elements carry a Signature as their direct child: the Response, the Assertion, or both. */
function signedElements(xml: string): { response: boolean; assertion: boolean } {
  const assertion = /<Assertion [^>]*>([\s\S]*)<\/Assertion>/.exec(xml)?.[1] ?? '';
  const outsideAssertion = xml.replace(/<Assertion [\s\S]*<\/Assertion>/, '');
  return { response: /<Signature[ >]/.test(outsideAssertion), assertion: /<Signature[ >]/.test(assertion) };
}

const OPTIONS = ['assertion', 'response', 'both'] as const;
const ALGORITHMS = ['sha256', 'sha1'] as const;

for (const option of OPTIONS) {
  for (const algorithm of ALGORITHMS) {
    describe(`an app that signs the ${option === 'both' ? 'response and the assertion' : option} with ${algorithm.toUpperCase()}`, () => {
      let idp: MockEntra;
      let cert: string;
      const want = { wantAssertionsSigned: option !== 'response', wantAuthnResponseSigned: option !== 'assertion' };
      beforeAll(async () => {
        idp = await startMock({ scenario: scenario({ signing: { option, algorithm } }) });
        cert = await appCertPem(idp);
      });
      afterAll(async () => {
        await idp?.stop();
      });

      it('gives node-saml a response it validates, with Ada’s NameID, Entra’s attributes, a SessionIndex and the RelayState echoed', async () => {
        const sp = serviceProvider(idp, cert, { ...want, signatureAlgorithm: algorithm });
        const answer = await signIn(sp, 'relay-123');
        expect(answer.action).toBe(SAML_APP.acs);
        expect(answer.relayState).toBe('relay-123');
        const { profile, loggedOut } = await sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! });
        expect(loggedOut).toBe(false);
        expectAdaProfile(profile, idp);
      });

      it(`signs exactly the ${option === 'both' ? 'Response and the Assertion' : option === 'assertion' ? 'Assertion' : 'Response'} with ${SIG_METHOD[algorithm]}`, async () => {
        const answer = await signIn(serviceProvider(idp, cert, want));
        const xml = answer.responseXml!;
        expect(signedElements(xml)).toEqual({ response: option !== 'assertion', assertion: option !== 'response' });
        const methods = [...xml.matchAll(/<SignatureMethod Algorithm="([^"]+)"/g)].map((m) => m[1]);
        expect(methods).toEqual(Array(option === 'both' ? 2 : 1).fill(SIG_METHOD[algorithm]));
      });

      if (option === 'assertion') {
        it('is refused by an SP that insists on a signed Response, since only the Assertion is signed', async () => {
          const sp = serviceProvider(idp, cert, { wantAssertionsSigned: true, wantAuthnResponseSigned: true });
          const answer = await signIn(sp);
          await expect(sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! })).rejects.toThrow(/Invalid document signature/);
        });
      }
      if (option === 'response') {
        it('is refused by an SP that insists on a signed Assertion, since only the Response is signed', async () => {
          const sp = serviceProvider(idp, cert, { wantAssertionsSigned: true, wantAuthnResponseSigned: true });
          const answer = await signIn(sp);
          await expect(sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! })).rejects.toThrow(/Invalid signature/);
        });
      }
    });
  }
}

/** One mock per special app configuration. */
function withApp(saml: SamlSettings) {
  const ctx = {} as { idp: MockEntra; cert: string };
  beforeAll(async () => {
    ctx.idp = await startMock({ scenario: scenario(saml) });
    ctx.cert = await appCertPem(ctx.idp);
  });
  afterAll(async () => {
    await ctx.idp?.stop();
  });
  return ctx;
}

describe('claims mapped like the Jasper guide (mail, givenname, userprincipalname, surname)', () => {
  const ctx = withApp({ claims: { mail: 'user.mail', givenname: 'user.givenname', userprincipalname: 'user.userprincipalname', surname: 'user.surname' } });

  it('arrive as attributes named exactly mail, givenname, userprincipalname and surname, after Entra’s fixed ones', async () => {
    const sp = serviceProvider(ctx.idp, ctx.cert);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: (await signIn(sp)).samlResponse! });
    const attributes = profile!.attributes as Record<string, unknown>;
    expect(attributes).toMatchObject({ mail: 'ada@contoso.onmicrosoft.com', givenname: 'Ada', userprincipalname: ADA.upn, surname: 'Lovelace' });
    expect(Object.keys(attributes)).toEqual([
      CLAIM.tenantid,
      CLAIM.objectidentifier,
      CLAIM.displayname,
      CLAIM.identityprovider,
      CLAIM.authnmethodsreferences,
      'mail',
      'givenname',
      'userprincipalname',
      'surname',
    ]);
    expect(profile!.mail).toBe('ada@contoso.onmicrosoft.com');
  });
});

describe('an app whose group claim carries group object IDs', () => {
  const ctx = withApp({ groups: 'objectIds' });

  it('sends Ada’s groups as the groups attribute, by object ID', async () => {
    const sp = serviceProvider(ctx.idp, ctx.cert);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: (await signIn(sp)).samlResponse! });
    const engineering = ctx.idp.directory.tenants[0]!.groups.find((g) => g.name === 'Engineering')!;
    expect(engineering.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(profile!.attributes).toMatchObject({ [CLAIM.groups]: engineering.id });
  });
});

describe('an app with a persistent name identifier', () => {
  const ctx = withApp({ nameIdFormat: 'persistent' });

  it('gives a persistent NameID that is the same on two sign-ins and is not the UPN', async () => {
    // No NameIDPolicy in the request, so the app's configured format applies.
    const sp = serviceProvider(ctx.idp, ctx.cert, { identifierFormat: null });
    const first = (await sp.validatePostResponseAsync({ SAMLResponse: (await signIn(sp)).samlResponse! })).profile!;
    const second = (await sp.validatePostResponseAsync({ SAMLResponse: (await signIn(sp)).samlResponse! })).profile!;
    expect(first.nameIDFormat).toBe(NAMEID.persistent);
    expect(second.nameIDFormat).toBe(NAMEID.persistent);
    expect(first.nameID).toBeTruthy();
    expect(second.nameID).toBe(first.nameID);
    expect(first.nameID).not.toBe(ADA.upn);
    expect(second.sessionIndex).not.toBe(first.sessionIndex);
  });
});

describe('the default app (signs the assertion with SHA-256), with a Logout URL', () => {
  const ctx = withApp({ logoutUrl: LOGOUT_URL });

  it('checks InResponseTo: the same response cannot be replayed once the SP consumed its request', async () => {
    const sp = serviceProvider(ctx.idp, ctx.cert);
    const answer = await signIn(sp);
    expect(answer.responseXml).toMatch(/<samlp:Response [^>]*InResponseTo="_[0-9a-f]{40}"/);
    await sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! });
    await expect(sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! })).rejects.toThrow(/InResponseTo is not valid/);
  });

  it('answers a request from another SP instance with an InResponseTo that this SP never issued, which it refuses', async () => {
    const answer = await signIn(serviceProvider(ctx.idp, ctx.cert));
    await expect(serviceProvider(ctx.idp, ctx.cert).validatePostResponseAsync({ SAMLResponse: answer.samlResponse! })).rejects.toThrow(/InResponseTo is not valid/);
  });

  it('IdP-initiated sign-in posts an unsolicited response to the first Reply URL that validates without InResponseTo', async () => {
    const url = `${ctx.idp.url}/api/signin/${SAML_APP.clientId}?${new URLSearchParams({ tenantId: ctx.idp.tenantId, login_hint: ADA.upn, RelayState: 'from-my-apps' })}`;
    const answer = await browse(url);
    expect(answer.status).toBe(200);
    expect(answer.action).toBe(SAML_APP.acs);
    expect(answer.relayState).toBe('from-my-apps');
    expect(answer.responseXml).toBeDefined();
    expect(answer.responseXml).not.toContain('InResponseTo');
    const sp = serviceProvider(ctx.idp, ctx.cert, { validateInResponseTo: ValidateInResponseTo.never });
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! });
    expectAdaProfile(profile, ctx.idp);
    expect(profile!.inResponseTo).toBeUndefined();
  });

  it('fails validation when the SP trusts another certificate (another app’s), so verification is real', async () => {
    const otherCert = await appCertPem(ctx.idp, OTHER_SAML_APP.clientId);
    expect(otherCert).not.toBe(ctx.cert);
    const sp = serviceProvider(ctx.idp, otherCert);
    const answer = await signIn(sp);
    await expect(sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! })).rejects.toThrow(/Invalid signature/);
  });

  it('fails validation when the assertion was altered after signing', async () => {
    const sp = serviceProvider(ctx.idp, ctx.cert);
    const answer = await signIn(sp);
    const tampered = answer.responseXml!.replace('>Ada Lovelace<', '>Mallory<');
    expect(tampered).not.toBe(answer.responseXml);
    await expect(sp.validatePostResponseAsync({ SAMLResponse: Buffer.from(tampered).toString('base64') })).rejects.toThrow(/Invalid signature/);
  });

  it('fails validation at an SP whose audience is another Identifier', async () => {
    const sp = serviceProvider(ctx.idp, ctx.cert, { audience: 'https://elsewhere.example.test/saml' });
    const answer = await signIn(sp);
    await expect(sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! })).rejects.toThrow(/audience/i);
  });

  it('completes node-saml’s logout: a signed LogoutResponse for its LogoutRequest comes back to the Logout URL', async () => {
    const jar = new CookieJar();
    const sp = serviceProvider(ctx.idp, ctx.cert);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: (await signIn(sp, 'r', jar)).samlResponse! });
    expect(jar.cookies.size).toBeGreaterThan(0);

    const logoutUrl = await sp.getLogoutUrlAsync(profile!, 'after-logout', {});
    const res = await fetch(logoutUrl, { redirect: 'manual', headers: { cookie: jar.header() }, signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(LOGOUT_URL);
    expect(location.searchParams.get('RelayState')).toBe('after-logout');
    expect(location.searchParams.get('SigAlg')).toBe(SIG_METHOD.sha256);
    expect(location.searchParams.get('Signature')).toBeTruthy();
    const container = Object.fromEntries(location.searchParams);
    const result = await sp.validateRedirectAsync(container, location.search.slice(1));
    expect(result).toEqual({ profile: null, loggedOut: true });
  });
});
