/** Signed AuthnRequests, checked against the app's verification certificates (node-saml signs them as an SP would). */
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { ADA } from '../helpers/ids.js';
import { keyAndCertificate } from '../helpers/credentials.js';
import { useMockEntra } from '../helpers/mock.js';
import { appCertPem, authnRequest, browse, pageCode, redirectUrl, SAML_APP, samlEndpoint, scenario, withQuery } from './support.js';

const idp = useMockEntra();
let spKey: string;
let otherKey: string;

// The SP's signing certificate is made here, so the scenario is switched to once the server runs.
beforeAll(async () => {
  const [sp, other] = await Promise.all([keyAndCertificate('sp.example.test'), keyAndCertificate('someone else')]);
  spKey = sp.keyPem;
  otherKey = other.keyPem;
  await idp.useScenario(scenario({ requireSignedRequests: true, verificationCertificates: [sp.certPem] }));
});

async function sp(privateKey: string, binding: 'HTTP-Redirect' | 'HTTP-POST' = 'HTTP-Redirect') {
  return new SAML({
    entryPoint: withQuery(samlEndpoint(idp), { login_hint: ADA.upn }),
    issuer: SAML_APP.identifier,
    callbackUrl: SAML_APP.acs,
    idpCert: await appCertPem(idp),
    privateKey,
    signatureAlgorithm: 'sha256',
    authnRequestBinding: binding,
    validateInResponseTo: ValidateInResponseTo.never,
  });
}

describe('signed AuthnRequests', () => {
  it('a request signed with the registered key (HTTP-Redirect, RSA-SHA256) is answered', async () => {
    const url = await (await sp(spKey)).getAuthorizeUrlAsync('rs', undefined, {});
    expect(url).toContain('Signature=');
    const answer = await browse(url);
    expect(answer.samlResponse).toBeDefined();
  });

  it('a request with an enveloped XML signature by the registered key (HTTP-POST) is answered; a tampered one is refused', async () => {
    const sign = (xml: string, key: string) => {
      // What SAML SP libraries do for HTTP-POST: an enveloped signature right after the Issuer.
      const sig = new SignedXml({ privateKey: key, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
      sig.addReference({ xpath: "/*[local-name(.)='AuthnRequest']", transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
      sig.computeSignature(xml, { location: { reference: "/*[local-name(.)='AuthnRequest']/*[local-name(.)='Issuer']", action: 'after' } });
      return sig.getSignedXml();
    };
    const post = (xml: string) =>
      browse(withQuery(samlEndpoint(idp), { login_hint: ADA.upn }), { method: 'POST', body: new URLSearchParams({ SAMLRequest: Buffer.from(xml).toString('base64'), RelayState: 'rs' }) });
    const signed = sign(authnRequest().xml, spKey);
    expect((await post(signed)).samlResponse).toBeDefined();
    const tampered = signed.replace(SAML_APP.acs, SAML_APP.acs2);
    expect(pageCode((await post(tampered)).html)).toBe('75005');
    expect(pageCode((await post(sign(authnRequest().xml, otherKey))).html)).toBe('75005');
  });

  it('an unsigned request is refused with AADSTS76021, as the app requires signed requests', async () => {
    const answer = await browse(redirectUrl(idp, authnRequest().xml, { login_hint: ADA.upn }));
    expect(pageCode(answer.html)).toBe('76021');
    expect(answer.samlResponse).toBeUndefined();
  });

  it('a request signed with another key is refused (AADSTS75005), never answered', async () => {
    const answer = await browse(await (await sp(otherKey)).getAuthorizeUrlAsync('rs', undefined, {}));
    expect(pageCode(answer.html)).toBe('75005');
    expect(answer.samlResponse).toBeUndefined();
  });
});
