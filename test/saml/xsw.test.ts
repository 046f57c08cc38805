/**
 * Hardened AuthnRequest parsing (issue 10): what a signature covers is what is read. XML signature
 * wrapping (XSW), comment injection, duplicate IDs, DTDs, deflate bombs and garbled Redirect
 * parameters all get Entra's error page, never a SAMLResponse.
 */
import { createSign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { keyAndCertificate } from '../helpers/credentials.js';
import { ADA } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { type Answer, authnRequest, browse, deflate64, pageCode, redirectUrl, SAML_APP, samlEndpoint, scenario, withQuery } from './support.js';

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const ROOT = "/*[local-name(.)='AuthnRequest']";
const AFTER_ISSUER = { reference: `${ROOT}/*[local-name(.)='Issuer']`, action: 'after' } as const;

let spKey: string;

/** An enveloped signature, as SAML SP libraries make it for HTTP-POST; the reference and its place can be varied. */
function sign(xml: string, o: { xpath?: string; emptyUri?: boolean; location?: { reference: string; action: 'after' | 'append' | 'prepend' | 'before' } } = {}): string {
  const sig = new SignedXml({ privateKey: spKey, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXC_C14N });
  sig.addReference({ xpath: o.xpath ?? ROOT, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: SHA256, ...(o.emptyUri ? { isEmptyUri: true } : {}) });
  sig.computeSignature(xml, { location: o.location ?? AFTER_ISSUER });
  return sig.getSignedXml();
}

const SIGNATURE = /<Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">[\s\S]*<\/Signature>/;
const signatureOf = (signed: string) => SIGNATURE.exec(signed)![0];
const withoutSignature = (signed: string) => signed.replace(SIGNATURE, '');

const post = (xml: string) =>
  browse(withQuery(samlEndpoint(idp), { login_hint: ADA.upn }), { method: 'POST', body: new URLSearchParams({ SAMLRequest: Buffer.from(xml).toString('base64'), RelayState: 'rs' }) });

/** HTTP-Redirect with a query signature over "SAMLRequest=…&RelayState=…&SigAlg=…" as sent; `tamper` edits the final query string. */
function signedRedirect(xml: string, tamper: (query: string) => string = (q) => q): string {
  const enc = encodeURIComponent;
  const octets = `SAMLRequest=${enc(deflate64(xml))}&RelayState=rs&SigAlg=${enc(RSA_SHA256)}`;
  const signature = createSign('RSA-SHA256').update(octets).sign(spKey, 'base64');
  return `${samlEndpoint(idp)}?${tamper(`${octets}&Signature=${enc(signature)}`)}&login_hint=${enc(ADA.upn)}`;
}

/** Entra's error page (HTTP 200, as errors.test.ts pins it) with this code, and no SAMLResponse anywhere. */
function refused(answer: Answer, code: string) {
  // What a Response would have answered, not its whole base64: enough to see which request was honoured.
  expect(answer.responseXml && /InResponseTo="[^"]*"/.exec(answer.responseXml)?.[0], 'no SAMLResponse is issued').toBeUndefined();
  expect(answer.html).not.toMatch(/name="SAMLResponse"/);
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
  expect(pageCode(answer.html), answer.html.slice(0, 400)).toBe(code);
}

const idp = useMockEntra();

beforeAll(async () => {
  const sp = await keyAndCertificate('sp.example.test');
  spKey = sp.keyPem;
  await idp.useScenario(scenario({ requireSignedRequests: true, verificationCertificates: [sp.certPem] }));
});

describe('a signed AuthnRequest is read from what its signature covers', () => {
  it('the legitimate signed request still succeeds over HTTP-POST and HTTP-Redirect, answering its own ID', async () => {
    const legit = authnRequest({ id: '_legit' });
    const viaPost = await post(sign(legit.xml));
    expect(viaPost.samlResponse).toBeDefined();
    expect(viaPost.action).toBe(SAML_APP.acs);
    expect(viaPost.responseXml).toContain('InResponseTo="_legit"');
    const viaRedirect = await browse(signedRedirect(legit.xml));
    expect(viaRedirect.samlResponse).toBeDefined();
    expect(viaRedirect.responseXml).toContain('InResponseTo="_legit"');
  });

  it('a validly signed request wrapped in the Extensions of an unsigned root is an unsigned request (AADSTS76021)', async () => {
    const signed = sign(authnRequest({ id: '_legit' }).xml);
    const evil = authnRequest({ id: '_evil', acs: SAML_APP.acs2, body: `<samlp:Extensions>${signed}</samlp:Extensions>` });
    refused(await post(evil.xml), '76021');
  });

  it('a Signature moved under an unsigned root, referencing an unsigned copy of the signed request, is refused (AADSTS75005)', async () => {
    const signed = sign(authnRequest({ id: '_legit' }).xml);
    const evil = authnRequest({ id: '_evil', acs: SAML_APP.acs2, body: `${signatureOf(signed)}<samlp:Extensions>${withoutSignature(signed)}</samlp:Extensions>` });
    refused(await post(evil.xml), '75005');
  });

  it('the signed request moved into an Object inside the Signature of an unsigned root is refused (AADSTS75005)', async () => {
    const signed = sign(authnRequest({ id: '_legit' }).xml);
    const moved = signatureOf(signed).replace(/<\/Signature>$/, `<Object>${withoutSignature(signed)}</Object></Signature>`);
    const evil = authnRequest({ id: '_evil', acs: SAML_APP.acs2, body: moved });
    refused(await post(evil.xml), '75005');
  });

  it('two AuthnRequests: a signed one nested in an unsigned one is unsigned (AADSTS76021); two documents back to back are not XML (AADSTS75005)', async () => {
    const signed = sign(authnRequest({ id: '_legit' }).xml);
    refused(await post(authnRequest({ id: '_evil', acs: SAML_APP.acs2, body: signed }).xml), '76021');
    refused(await post(`${authnRequest({ id: '_evil', acs: SAML_APP.acs2 }).xml}${signed}`), '75005');
    refused(await post(`${signed}${authnRequest({ id: '_evil', acs: SAML_APP.acs2 }).xml}`), '75005');
  });

  it('a root Signature whose Reference is not the root ID (a child element, or the whole document) is refused (AADSTS75005)', async () => {
    const issuerOnly = sign(authnRequest({ id: '_evil', acs: SAML_APP.acs2 }).xml, { xpath: `${ROOT}/*[local-name(.)='Issuer']` });
    expect(issuerOnly).toMatch(/<Reference URI="#[^"]+"/);
    expect(issuerOnly).not.toContain('URI="#_evil"');
    refused(await post(issuerOnly), '75005');
    const wholeDocument = sign(authnRequest({ id: '_evil', acs: SAML_APP.acs2 }).xml, { emptyUri: true });
    expect(wholeDocument).toContain('<Reference URI=""');
    refused(await post(wholeDocument), '75005');
  });

  it('a root-signed request that carries a second Signature (a signed request in its Extensions) is refused (AADSTS75005)', async () => {
    const inner = sign(authnRequest({ id: '_inner' }).xml);
    refused(await post(sign(authnRequest({ id: '_outer', body: `<samlp:Extensions>${inner}</samlp:Extensions>` }).xml)), '75005');
  });

  it('a root Signature whose exc-c14n transform is the WithComments variant is accepted, as the reference allows', async () => {
    const sig = new SignedXml({ privateKey: spKey, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXC_C14N });
    sig.addReference({ xpath: ROOT, transforms: [ENVELOPED, `${EXC_C14N}WithComments`], digestAlgorithm: SHA256 });
    sig.computeSignature(authnRequest({ id: '_withcomments' }).xml, { location: AFTER_ISSUER });
    const answer = await post(sig.getSignedXml());
    expect(answer.responseXml).toContain('InResponseTo="_withcomments"');
  });

  it('a root Signature with other transforms than enveloped-signature + exc-c14n is refused (AADSTS75005)', async () => {
    const sig = new SignedXml({ privateKey: spKey, signatureAlgorithm: RSA_SHA256, canonicalizationAlgorithm: EXC_C14N });
    sig.addReference({ xpath: ROOT, transforms: [ENVELOPED, 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315'], digestAlgorithm: SHA256 });
    sig.computeSignature(authnRequest({ id: '_inclusive' }).xml, { location: AFTER_ISSUER });
    refused(await post(sig.getSignedXml()), '75005');
  });
});

describe('what the mock reads is the canonical text the signature covered', () => {
  it('a comment inside the Issuer is refused (AADSTS75005), whether or not the text around it names the app', async () => {
    // Signed as-is: exc-c14n drops the comment, so the signature covers "…/saml/metadata" while the
    // text nodes either side of the comment are "…/saml/" and "metadata".
    refused(await post(sign(authnRequest({ issuer: 'https://sp.example.test/saml/<!---->metadata' }).xml)), '75005');
    refused(await post(sign(authnRequest({ issuer: `${SAML_APP.identifier}<!---->.evil` }).xml)), '75005');
    refused(await browse(signedRedirect(authnRequest({ issuer: 'https://sp.example.test/saml/<!---->metadata' }).xml)), '75005');
  });

  it('a processing instruction inside the Issuer or the NameIDPolicy is refused (AADSTS75005)', async () => {
    refused(await post(sign(authnRequest({ issuer: 'https://sp.example.test/saml/<?x y?>metadata' }).xml)), '75005');
    const policy = '<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"><?x y?></samlp:NameIDPolicy>';
    refused(await post(sign(authnRequest({ body: policy }).xml, { location: { reference: ROOT, action: 'append' } })), '75005');
  });
});

describe('malformed or hostile messages', () => {
  it('duplicate IDs anywhere in the document are refused (AADSTS75005)', async () => {
    // The signed request's ID reused by an unsigned root that wraps it.
    const signed = sign(authnRequest({ id: '_legit' }).xml);
    refused(await post(authnRequest({ id: '_legit', acs: SAML_APP.acs2, body: `<samlp:Extensions>${signed}</samlp:Extensions>` }).xml), '75005');
    // A signed request whose Signature carries an Object with an element reusing the root's ID
    // (the enveloped-signature transform leaves the Object out of the digest).
    const withObject = signed.replace(/<\/Signature>/, '<Object><x ID="_legit"/></Object></Signature>');
    refused(await post(withObject), '75005');
  });

  it('a DTD, an internal entity or an undeclared entity is refused (AADSTS75005), over HTTP-POST and HTTP-Redirect', async () => {
    const { xml } = authnRequest();
    const dtd = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "${SAML_APP.identifier}">]>${xml}`;
    refused(await post(dtd), '75005');
    refused(await browse(redirectUrl(idp, dtd, { login_hint: ADA.upn })), '75005');
    refused(await post(authnRequest({ issuer: '&e;' }).xml), '75005');
    const external = `<!DOCTYPE r SYSTEM "file:///etc/passwd">${xml}`;
    refused(await post(external), '75005');
  });

  it('a small DEFLATE payload that inflates past the size limit is refused with a clear AADSTS75005', async () => {
    const bomb = deflateRawSync(Buffer.from(authnRequest({ body: `<samlp:Extensions>${' '.repeat(4 * 1024 * 1024)}</samlp:Extensions>` }).xml));
    expect(bomb.length).toBeLessThan(8 * 1024);
    const answer = await browse(withQuery(samlEndpoint(idp), { SAMLRequest: bomb.toString('base64'), login_hint: ADA.upn }));
    refused(answer, '75005');
    expect(answer.html).toMatch(/too large once inflated/);
  });

  it('a garbled or unknown SigAlg, or a garbled Signature, on HTTP-Redirect is refused (AADSTS75005), never a 500', async () => {
    const { xml } = authnRequest();
    const garbledAlg = signedRedirect(xml, (q) => q.replace(/SigAlg=[^&]*/, 'SigAlg=%E0%A4%A'));
    refused(await browse(garbledAlg), '75005');
    const unknownAlg = signedRedirect(xml, (q) => q.replace(/SigAlg=[^&]*/, `SigAlg=${encodeURIComponent('http://www.w3.org/2000/09/xmldsig#hmac-sha1')}`));
    refused(await browse(unknownAlg), '75005');
    const garbledSignature = signedRedirect(xml, (q) => q.replace(/Signature=[^&]*/, 'Signature=%E0%A4%A'));
    refused(await browse(garbledSignature), '75005');
    const twoSigAlgs = signedRedirect(xml, (q) => `${q}&SigAlg=${encodeURIComponent(RSA_SHA256)}`);
    refused(await browse(twoSigAlgs), '75005');
  });
});

describe('an app that checks no signatures still refuses hostile shapes', () => {
  const plain = useMockEntra();

  it('duplicate IDs in an unsigned request are refused (AADSTS75005)', async () => {
    const { xml } = authnRequest({ id: '_dup', body: '<samlp:Extensions><x ID="_dup"/></samlp:Extensions>' });
    const answer = await browse(redirectUrl(plain, xml, { login_hint: ADA.upn }));
    expect(answer.samlResponse).toBeUndefined();
    expect(pageCode(answer.html)).toBe('75005');
  });

  it('a comment inside the Issuer of an unsigned request is refused (AADSTS75005); the plain request is answered', async () => {
    const commented = await browse(redirectUrl(plain, authnRequest({ issuer: 'https://sp.example.test/saml/<!---->metadata' }).xml, { login_hint: ADA.upn }));
    expect(commented.samlResponse).toBeUndefined();
    expect(pageCode(commented.html)).toBe('75005');
    const ok = await browse(redirectUrl(plain, authnRequest().xml, { login_hint: ADA.upn }));
    expect(ok.samlResponse).toBeDefined();
  });
});
