/**
 * The mock signs the canonical form of the XML it writes (src/saml/tree.ts) rather than parsing its
 * own output again. These tests hold that form to what verifiers compute: xml-crypto's exclusive
 * canonicalizer, run on the parsed wire form, gives the same bytes; and xmlsec1, node-saml and
 * samlify verify Responses whose values need escaping (& < > " ', tabs and line breaks, non-ASCII,
 * a character XML cannot carry) in every signing option, encrypted too, while the fault that
 * breaks signatures on purpose still breaks them.
 */
import { createHash } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import * as samlify from 'samlify';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioInput } from '../../src/index.js';
import { c14n, el, wire } from '../../src/saml/tree.js';
import { keyAndCertificate } from '../helpers/credentials.js';
import { useMockEntra } from '../helpers/mock.js';
import {
  appCertPem,
  appMetadataUrl,
  CLAIM,
  expectXmlsecRejected,
  expectXmlsecVerified,
  fetchBytes,
  nodeSamlSignIn,
  SAML_APP,
  type SamlSettings,
  scenario,
} from './support.js';

const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml') as unknown as Document;
/** xml-crypto's exclusive canonicalization of an element of a parsed document: what node-saml and samlify digest. */
const theirC14n = (node: Element) => new ExclusiveCanonicalization().process(node, {});

/** Every character the canonical form treats specially, plus non-ASCII (BMP and astral). */
const AWKWARD = `Zoë "Z" O'Brien & <Co>\t✓\r\nline two\n𝄞 ]]> \u0001 end`;
/** What a parser reads back from an attribute: the one character XML cannot carry became U+FFFD. */
const AWKWARD_ATTR = AWKWARD.replace('\u0001', '\uFFFD');
/** From text, also CRLF as LF: the line break as any parser reads a CR (XML 1.0 §2.11). */
const asText = (s: string) => s.replace('\u0001', '\uFFFD').replace(/\r\n?/g, '\n');
const AWKWARD_TEXT = asText(AWKWARD);

describe('the canonical form of what the mock writes is the one xml-crypto computes from the wire form', () => {
  it('escapes text and attribute values the way exc-c14n does, and the wire form parses back to the values written', () => {
    const tree = el('Root', { xmlns: 'urn:test', b: AWKWARD, a: '>' }, [el('Text', {}, [AWKWARD]), el('Empty'), el('Blank', {}, [''])]);
    const doc = parse(wire(tree));
    expect(c14n(tree)).toBe(theirC14n(doc.documentElement));
    const root = doc.documentElement;
    expect(root.getAttribute('b')).toBe(AWKWARD_ATTR);
    expect(root.getAttribute('a')).toBe('>');
    expect(root.getElementsByTagName('Text').item(0)!.textContent).toBe(AWKWARD_TEXT);
    // Canonical form: namespaces first, attributes sorted, empty elements with an end tag, > kept in attributes.
    expect(c14n(tree)).toMatch(/^<Root xmlns="urn:test" a=">" b="Zoë &quot;Z&quot; O'Brien &amp; &lt;Co>&#x9;✓&#xD;&#xA;line two&#xA;𝄞 ]]> \uFFFD end">/);
    expect(c14n(tree)).toContain('<Empty></Empty><Blank></Blank>');
  });

  it('writes a namespace where it is first used, not where it is declared (metadata’s xsi:type="fed:…")', () => {
    const tree = el('EntityDescriptor', { ID: '_1', xmlns: 'urn:md' }, [
      el('RoleDescriptor', { 'xsi:type': 'fed:SecurityTokenServiceType', 'xmlns:xsi': 'urn:xsi', 'xmlns:fed': 'urn:fed' }, [
        el('fed:ClaimTypesOffered', {}, [el('auth:ClaimType', { Uri: 'u', 'xmlns:auth': 'urn:auth' }, [el('auth:DisplayName', {}, ['Name'])])]),
      ]),
      el('Other', { xmlns: '' }, [el('Inner')]),
      el('p:Sorted', { 'xmlns:q': 'urn:q', 'xmlns:p': 'urn:p', 'q:z': '1', 'p:a': '2', b: '3', a: '4' }),
    ]);
    const mine = c14n(tree);
    expect(mine).toBe(theirC14n(parse(wire(tree)).documentElement));
    expect(mine).toContain('<RoleDescriptor xmlns:xsi="urn:xsi" xsi:type="fed:SecurityTokenServiceType"><fed:ClaimTypesOffered xmlns:fed="urn:fed">');
    expect(mine).toContain('<Other xmlns=""><Inner></Inner></Other>');
    expect(mine).toContain('<p:Sorted xmlns:p="urn:p" xmlns:q="urn:q" a="4" b="3" p:a="2" q:z="1"></p:Sorted>');
  });

  it('canonicalizes an element below the root with the namespaces its ancestors declare (SignedInfo inside Signature)', () => {
    const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
    const signedInfo = el('SignedInfo', {}, [el('CanonicalizationMethod', { Algorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' })]);
    const doc = parse(wire(el('samlp:Response', { 'xmlns:samlp': 'urn:p' }, [el('Signature', { xmlns: DSIG }, [signedInfo])])));
    const parsed = doc.getElementsByTagNameNS(DSIG, 'SignedInfo').item(0)!;
    expect(c14n(signedInfo, new Map([['', DSIG]]))).toBe(theirC14n(parsed));
    expect(c14n(signedInfo, new Map([['', DSIG]]))).toBe(`<SignedInfo xmlns="${DSIG}"><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></CanonicalizationMethod></SignedInfo>`);
  });

  it('refuses a prefix nobody declared instead of guessing its namespace', () => {
    expect(() => c14n(el('saml:Assertion', { ID: '_1' }))).toThrow(/prefix 'saml'/);
  });
});

/** A user, a claim name and fault-set values that need every kind of escaping. */
const ZOE = { upn: `zoë&<o'brien>"@contoso.onmicrosoft.com`, name: AWKWARD };
const AWKWARD_CLAIM = `urn:test:"quoted" & <angle> 'apos'\ttab\r\nnewline`;
const SET_CLAIM = 'urn:test:set';
const SET_VALUES = ['a&b<c>d', ' leading and trailing ', 'crlf\r\nand tab\t'];

function awkwardScenario(saml: SamlSettings): ScenarioInput {
  const s = scenario({
    ...saml,
    claims: { [AWKWARD_CLAIM]: 'user.displayname', [CLAIM.name]: 'user.userprincipalname', [CLAIM.givenname]: 'user.givenname' },
  });
  s.users = [...(s.users ?? []), { upn: ZOE.upn, name: ZOE.name, password: 'Passw0rd!' }];
  const app = s.apps!.find((a) => a.clientId === SAML_APP.clientId)!;
  app.assignments = [...(app.assignments ?? []), ZOE.upn];
  return s;
}

const ASSERTION_SIGNATURE = "//*[local-name()='Assertion']/*[local-name()='Signature']";
const RESPONSE_SIGNATURE = "/*[local-name()='Response']/*[local-name()='Signature']";

const idp = useMockEntra();
let spKeyPem: string;
let spCertPem: string;
beforeAll(async () => {
  ({ keyPem: spKeyPem, certPem: spCertPem } = await keyAndCertificate('sp.example.test'));
});

/** Zoë signs in through node-saml's AuthnRequest (login_hint, auto sign-in); the answer and the SP that asked. */
async function signIn(o: { response: boolean; assertion: boolean; decryptionPvk?: string }) {
  const { sp, answer } = await nodeSamlSignIn(idp, { upn: ZOE.upn, ...o });
  expect(answer.responseXml, answer.html.slice(0, 500)).toBeDefined();
  return { sp, xml: answer.responseXml!, samlResponse: answer.samlResponse! };
}

const CASES = [
  { name: 'the assertion signed with RSA-SHA256 (Entra’s default)', signing: { option: 'assertion', algorithm: 'sha256' }, signatures: [ASSERTION_SIGNATURE] },
  { name: 'the response signed with RSA-SHA1', signing: { option: 'response', algorithm: 'sha1' }, signatures: [RESPONSE_SIGNATURE] },
  { name: 'both signed with RSA-SHA256', signing: { option: 'both', algorithm: 'sha256' }, signatures: [RESPONSE_SIGNATURE, ASSERTION_SIGNATURE] },
] as const;

for (const c of CASES) {
  describe(`a Response full of characters to escape, ${c.name}`, () => {
    const wants = { assertion: c.signing.option !== 'response', response: c.signing.option !== 'assertion' };
    beforeAll(async () => {
      await idp.useScenario(awkwardScenario({ signing: c.signing }));
    });

    it('verifies with xmlsec1, every signature of it', async () => {
      idp.use({ when: { endpoint: 'saml' }, then: { setClaims: { [SET_CLAIM]: SET_VALUES } } });
      const { xml } = await signIn(wants);
      expect(xml.match(/<Signature /g)).toHaveLength(c.signatures.length);
      for (const signature of c.signatures) expectXmlsecVerified(xml, await appCertPem(idp), signature);
    });

    it('verifies with node-saml, which reads back every value as the directory and the fault rule hold it', async () => {
      idp.use({ when: { endpoint: 'saml' }, then: { setClaims: { [SET_CLAIM]: SET_VALUES } } });
      const { sp, samlResponse } = await signIn(wants);
      const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: samlResponse });
      expect(profile?.nameID).toBe(ZOE.upn);
      expect(profile?.[AWKWARD_CLAIM]).toBe(AWKWARD_TEXT);
      expect(profile?.[CLAIM.name]).toBe(ZOE.upn);
      expect(profile?.[CLAIM.givenname]).toBe('Zoë');
      expect(profile?.[SET_CLAIM]).toEqual(SET_VALUES.map(asText));
    });

    it('verifies with samlify, from the App Federation Metadata', async () => {
      samlify.setSchemaValidator({ validate: async () => 'skipped' });
      const entra = samlify.IdentityProvider({ metadata: (await fetchBytes(appMetadataUrl(idp))).toString('utf8') });
      const sp = samlify.ServiceProvider({
        entityID: SAML_APP.identifier,
        assertionConsumerService: [{ Binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', Location: SAML_APP.acs }],
        wantAssertionsSigned: wants.assertion,
        wantMessageSigned: wants.response,
      });
      const { samlResponse } = await signIn(wants);
      const { extract } = await sp.parseLoginResponse(entra, 'post', { body: { SAMLResponse: samlResponse } });
      expect(extract.nameID).toBe(ZOE.upn);
      expect(extract.attributes?.[AWKWARD_CLAIM]).toBe(AWKWARD_TEXT);
    });

    it('still fails every verifier when a rule breaks the signature on purpose', async () => {
      idp.use({ when: { endpoint: 'saml' }, then: { breakSignature: true } });
      const { sp, xml, samlResponse } = await signIn(wants);
      // The fault breaks the first SignatureValue in the document: the one xmlsec1 checks by default.
      expectXmlsecRejected(xml, await appCertPem(idp));
      await expect(sp.validatePostResponseAsync({ SAMLResponse: samlResponse })).rejects.toThrow(/signature/i);
    });
  });
}

describe('an encrypted assertion inside a Response signed as well (both signed, token encryption)', () => {
  beforeAll(async () => {
    await idp.useScenario(awkwardScenario({ signing: { option: 'both', algorithm: 'sha256' }, encryptionCertificate: spCertPem }));
  });

  it('verifies with xmlsec1 over the EncryptedAssertion, and node-saml decrypts it and verifies the assertion inside', async () => {
    const { sp, xml, samlResponse } = await signIn({ response: true, assertion: true, decryptionPvk: spKeyPem });
    expect(xml).toContain('<EncryptedAssertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData ');
    expect(xml).not.toContain('<Assertion ');
    expectXmlsecVerified(xml, await appCertPem(idp), RESPONSE_SIGNATURE);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: samlResponse });
    expect(profile?.nameID).toBe(ZOE.upn);
    expect(profile?.[AWKWARD_CLAIM]).toBe(AWKWARD_TEXT);
  });
});

/** The tree the tests above rely on is what the server sends: the Response parses to the same canonical bytes. */
describe('a Response as sent', () => {
  beforeAll(async () => {
    await idp.useScenario(awkwardScenario({ signing: { option: 'assertion', algorithm: 'sha256' } }));
  });

  it('has the Signature right after the Assertion Issuer, and its Assertion canonicalizes without the Signature to what was digested', async () => {
    const { xml } = await signIn({ response: false, assertion: true });
    expect(xml).toMatch(/<Assertion ID="[^"]+" IssueInstant="[^"]+" Version="2\.0" xmlns="urn:oasis:names:tc:SAML:2\.0:assertion"><Issuer>[^<]+<\/Issuer><Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">/);
    const doc = parse(xml);
    const assertion = doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Assertion').item(0)!;
    const signature = assertion.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature').item(0)!;
    const digest = signature.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'DigestValue').item(0)!.textContent;
    assertion.removeChild(signature);
    expect(createHash('sha256').update(theirC14n(assertion as unknown as Element)).digest('base64')).toBe(digest);
  });
});
