// SAML pieces of bench/run.js: the SP-initiated sign-in URL (HTTP-Redirect AuthnRequest with
// login_hint, so auto sign-in answers the POST form at once), a check that a page carries a
// correctly signed SAMLResponse, and the unsigned template the baseline signs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';

export const SAML_APP = {
  clientId: '5d4c3b2a-9e8f-4a7b-8c6d-1e0f2a3b4c5d',
  identifier: 'https://sp.example.test/saml/metadata',
  acs: 'http://localhost:3000/saml/acs',
};

// As test/saml/support.ts authnRequest() builds it; one fixed ID (the same URL is sent every time).
const AUTHN_REQUEST =
  `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_benchreq0001a" Version="2.0" IssueInstant="${new Date().toISOString()}"` +
  ` AssertionConsumerServiceURL="${SAML_APP.acs}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">` +
  `<saml:Issuer>${SAML_APP.identifier}</saml:Issuer></samlp:AuthnRequest>`;

export function samlSignInUrl(base, tenant) {
  const query = new URLSearchParams({
    SAMLRequest: deflateRawSync(Buffer.from(AUTHN_REQUEST)).toString('base64'),
    RelayState: 'x',
    login_hint: 'ada@contoso.onmicrosoft.com',
  });
  return `${base}/${tenant}/saml2?${query}`;
}

const unescapeHtml = (s) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const SIGNATURE = /<Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">[\s\S]*?<\/Signature>/;

/**
 * The decoded SAMLResponse of a sign-in page, after checking (throws otherwise) that it is the
 * auto-submitting POST form to the ACS and that its Assertion carries a Signature that verifies
 * with the app's certificate (`saml-<appId>-current.pem` in certsDir).
 */
export function checkSamlPage(name, { status, body }, certsDir) {
  const fail = (why) => {
    throw new Error(`${name} SAML probe failed: ${why}\n${status} ${String(body).replace(/<style>[\s\S]*?<\/style>/g, '').slice(0, 800)}`);
  };
  if (status !== 200) fail('status is not 200');
  const form = /<form[^>]*method="POST"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(body);
  if (!form) fail('no POST form');
  if (unescapeHtml(form[1]) !== SAML_APP.acs) fail(`the form posts to ${form[1]}, not ${SAML_APP.acs}`);
  const b64 = /<input type="hidden" name="SAMLResponse" value="([^"]*)"\/?>/.exec(form[2])?.[1];
  if (!b64) fail('no SAMLResponse field in the form');
  const xml = Buffer.from(unescapeHtml(b64), 'base64').toString('utf8');
  if (!xml.includes('<Signature')) fail(`the decoded SAMLResponse has no <Signature:\n${xml.slice(0, 600)}`);
  if (!/<Assertion ID="[^"]+"[^>]*><Issuer>[^<]*<\/Issuer><Signature /.test(xml)) fail('the Signature is not right after the Assertion Issuer');
  if (!/<(?:samlp:)?StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"\/>/.test(xml)) fail('the Response status is not Success');
  const verifier = new SignedXml({ publicCert: readFileSync(join(certsDir, `saml-${SAML_APP.clientId}-current.pem`), 'utf8') });
  verifier.loadSignature(SIGNATURE.exec(xml)[0]);
  let valid = false;
  try {
    valid = verifier.checkSignature(xml);
  } catch (err) {
    fail(`the Signature does not verify: ${err.message}`);
  }
  if (!valid) fail('the Signature does not verify');
  return xml;
}

/** The signed Response without its Signature: what the mock signed, for the baseline to sign again. */
export const unsignedTemplate = (signedXml) => signedXml.replace(SIGNATURE, '');
