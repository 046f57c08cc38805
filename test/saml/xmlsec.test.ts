/**
 * Debian's xmlsec1 (libxmlsec1 on OpenSSL) as an independent verifier of the XML signatures on
 * responses and on federation metadata, plus the layout of the metadata documents (reference §10.1).
 * xmlsec1 is required: `apt-get install -y xmlsec1`.
 */
import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockEntra } from '../../src/index.js';
import { ADA, TENANT_ID } from '../helpers/ids.js';
import { startMock } from '../helpers/server.js';
import {
  OTHER_SAML_APP,
  appCertPem,
  appMetadataUrl,
  authnRequest,
  browse,
  expectXmlsecRejected,
  expectXmlsecVerified,
  fetchBytes,
  idpCertificates,
  redirectUrl,
  scenario,
  stripBom,
  tenantMetadataUrl,
  toPem,
  type SamlSettings,
} from './support.js';

const NS = {
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
};
/** Ada signs in through an HTTP-Redirect AuthnRequest with login_hint; the decoded Response. */
async function responseXml(idp: MockEntra): Promise<string> {
  const { xml } = authnRequest();
  const answer = await browse(redirectUrl(idp, xml, { login_hint: ADA.upn }));
  expect(answer.responseXml, answer.html.slice(0, 400)).toBeDefined();
  return answer.responseXml!;
}

/** The X509Certificate inside the document's enveloped Signature/KeyInfo (the one next to the root). */
function signatureCert(xml: string): string | undefined {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const root = doc.documentElement!;
  for (let n = root.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as unknown as Element).localName === 'Signature') {
      return (n as unknown as Element).getElementsByTagNameNS(NS.ds, 'X509Certificate').item(0)?.textContent?.replace(/\s+/g, '');
    }
  }
  return undefined;
}

const SIG = {
  sha256: { method: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'http://www.w3.org/2001/04/xmlenc#sha256' },
  sha1: { method: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
};

function mock(saml: SamlSettings = {}) {
  const ctx = {} as { idp: MockEntra };
  beforeAll(async () => {
    ctx.idp = await startMock({ scenario: scenario(saml) });
  });
  afterAll(async () => {
    await ctx.idp?.stop();
  });
  return ctx;
}

describe('xmlsec1 verifies the signature of a response whose assertion is signed (Entra’s default)', () => {
  const ctx = mock({ signing: { option: 'assertion', algorithm: 'sha256' } });

  it('accepts it with the certificate of the App Federation Metadata and RSA-SHA256', async () => {
    const xml = await responseXml(ctx.idp);
    expect(xml).toContain(`<SignatureMethod Algorithm="${SIG.sha256.method}"/>`);
    expect(xml).toContain(`<DigestMethod Algorithm="${SIG.sha256.digest}"/>`);
    expect(xml).toContain('<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>');
    expectXmlsecVerified(xml, await appCertPem(ctx.idp));
  });

  it('rejects it with another app’s certificate', async () => {
    const xml = await responseXml(ctx.idp);
    expectXmlsecRejected(xml, await appCertPem(ctx.idp, OTHER_SAML_APP.clientId));
  });

  it('rejects it once the assertion was altered', async () => {
    const xml = (await responseXml(ctx.idp)).replace(`>${ADA.upn}</NameID>`, '>mallory@contoso.onmicrosoft.com</NameID>');
    expect(xml).toContain('mallory@');
    expectXmlsecRejected(xml, await appCertPem(ctx.idp));
  });
});

for (const algorithm of ['sha256', 'sha1'] as const) {
  describe(`xmlsec1 verifies the signature of a response signed as a whole with ${algorithm.toUpperCase()}`, () => {
    const ctx = mock({ signing: { option: 'response', algorithm } });

    it(`accepts it with the app certificate, SignatureMethod ${SIG[algorithm].method}`, async () => {
      const xml = await responseXml(ctx.idp);
      expect(xml).toContain(`<SignatureMethod Algorithm="${SIG[algorithm].method}"/>`);
      expect(xml).toContain(`<DigestMethod Algorithm="${SIG[algorithm].digest}"/>`);
      // The Response signature references the Response itself.
      const id = /<samlp:Response ID="([^"]+)"/.exec(xml)?.[1];
      expect(xml).toContain(`<Reference URI="#${id}">`);
      expectXmlsecVerified(xml, await appCertPem(ctx.idp));
    });

    it('rejects it with another app’s certificate', async () => {
      expectXmlsecRejected(await responseXml(ctx.idp), await appCertPem(ctx.idp, OTHER_SAML_APP.clientId));
    });
  });
}

/** Elements by namespace and local name, as an array. */
function all(node: Document | Element, ns: string, name: string): Element[] {
  const list = node.getElementsByTagNameNS(ns, name);
  return Array.from({ length: list.length }, (_, i) => list.item(i)!);
}

function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml') as unknown as Document;
}

describe('the tenant-wide federation metadata', () => {
  const ctx = mock();

  it('is signed with RSA-SHA256 by a tenant key that the tenant’s JWKS also publishes, and xmlsec1 verifies it', async () => {
    const bytes = await fetchBytes(tenantMetadataUrl(ctx.idp));
    expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
    const xml = bytes.toString('utf8');
    expect(xml.startsWith('<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ')).toBe(true);
    expect(xml).toContain(`<SignatureMethod Algorithm="${SIG.sha256.method}"/>`);
    const signer = signatureCert(xml);
    expect(signer).toBeDefined();
    const jwks = (await (await fetch(`${ctx.idp.url}/${ctx.idp.tenantId}/discovery/v2.0/keys`)).json()) as { keys: Array<{ x5c?: string[] }> };
    expect(jwks.keys.map((k) => k.x5c?.[0])).toContain(signer);
    expectXmlsecVerified(xml, toPem(signer!));
  });

  it('has Entra’s layout: entityID, WS-Fed role descriptors, and the SAML endpoints of the tenant', async () => {
    const doc = parse(stripBom(await fetchBytes(tenantMetadataUrl(ctx.idp))));
    const root = doc.documentElement!;
    expect(root.localName).toBe('EntityDescriptor');
    expect(root.namespaceURI).toBe(NS.md);
    expect(root.getAttribute('entityID')).toBe(`https://sts.windows.net/${TENANT_ID}/`);
    expect(root.getAttribute('ID')).toMatch(/^_[0-9a-f-]{36}$/);

    const roles = all(doc, NS.md, 'RoleDescriptor');
    expect(roles.map((r) => r.getAttributeNS(NS.xsi, 'type'))).toEqual(['fed:SecurityTokenServiceType', 'fed:ApplicationServiceType']);
    for (const role of roles) {
      expect(role.getAttribute('protocolSupportEnumeration')).toBe('http://docs.oasis-open.org/wsfed/federation/200706');
      expect(all(role, NS.md, 'KeyDescriptor').length).toBeGreaterThan(0);
    }

    const [sso] = all(doc, NS.md, 'IDPSSODescriptor');
    expect(sso).toBeDefined();
    expect(sso!.getAttribute('protocolSupportEnumeration')).toBe('urn:oasis:names:tc:SAML:2.0:protocol');
    const saml2 = `${ctx.idp.url}/${TENANT_ID}/saml2`;
    const endpoints = (name: string) => all(sso!, NS.md, name).map((e) => [e.getAttribute('Binding'), e.getAttribute('Location')]);
    expect(endpoints('SingleSignOnService')).toEqual([
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', saml2],
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', saml2],
    ]);
    expect(endpoints('SingleLogoutService')).toEqual([['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', saml2]]);
    const keys = all(sso!, NS.md, 'KeyDescriptor');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.getAttribute('use') === 'signing')).toBe(true);
  });
});

describe('the App Federation Metadata (?appid=)', () => {
  const ctx = mock();

  it('starts with a UTF-8 BOM, as Entra’s does', async () => {
    const bytes = await fetchBytes(appMetadataUrl(ctx.idp));
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(stripBom(bytes).startsWith('<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ')).toBe(true);
  });

  it('publishes the app’s own certificate (CN=Microsoft Azure Federated SSO Certificate, self-signed) as its signing key', async () => {
    const xml = stripBom(await fetchBytes(appMetadataUrl(ctx.idp)));
    const doc = parse(xml);
    const [sso] = all(doc, NS.md, 'IDPSSODescriptor');
    const keys = all(sso!, NS.md, 'KeyDescriptor');
    expect(keys).toHaveLength(1);
    expect(keys[0]!.getAttribute('use')).toBe('signing');
    const certs = idpCertificates(xml);
    expect(certs).toHaveLength(1);
    const cert = new X509Certificate(toPem(certs[0]!));
    expect(cert.subject).toBe('CN=Microsoft Azure Federated SSO Certificate');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    // Three years, give or take a day.
    const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * 24 * 3600 * 1000);
    expect(years).toBeGreaterThan(2.99);
    expect(years).toBeLessThan(3.01);
    // The WS-Fed role descriptors carry the same certificate.
    const everyKey = all(doc, NS.md, 'KeyDescriptor').map((k) => all(k, NS.ds, 'X509Certificate')[0]?.textContent?.replace(/\s+/g, ''));
    expect(everyKey).toEqual([certs[0], certs[0], certs[0]]);
    // It differs from another app's and from the tenant's.
    expect(idpCertificates(stripBom(await fetchBytes(appMetadataUrl(ctx.idp, OTHER_SAML_APP.clientId))))[0]).not.toBe(certs[0]);
    expect(idpCertificates(stripBom(await fetchBytes(tenantMetadataUrl(ctx.idp))))).not.toContain(certs[0]);
  });

  it('keeps the tenant’s entityID and SAML endpoints', async () => {
    const doc = parse(stripBom(await fetchBytes(appMetadataUrl(ctx.idp))));
    expect(doc.documentElement!.getAttribute('entityID')).toBe(`https://sts.windows.net/${TENANT_ID}/`);
    const locations = all(doc, NS.md, 'SingleSignOnService').map((e) => e.getAttribute('Location'));
    expect(locations).toEqual([`${ctx.idp.url}/${TENANT_ID}/saml2`, `${ctx.idp.url}/${TENANT_ID}/saml2`]);
  });

  it('is signed, and xmlsec1 verifies it (BOM stripped) with the certificate in its signature, one the document publishes', async () => {
    const xml = stripBom(await fetchBytes(appMetadataUrl(ctx.idp)));
    const signer = signatureCert(xml);
    expect(signer).toBeDefined();
    expect(xml).toContain(`<SignatureMethod Algorithm="${SIG.sha256.method}"/>`);
    expectXmlsecVerified(xml, toPem(signer!));
    expectXmlsecRejected(xml.replace('protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"', 'protocolSupportEnumeration="urn:x"'), toPem(signer!));
  });
});

const DAY = 24 * 3600 * 1000;

describe('a certificate rollover announced for a future date (signing.nextCertificateFrom)', () => {
  const ctx = mock({ signing: { nextCertificateFrom: new Date(Date.now() + 30 * DAY).toISOString() } });

  it('publishes two certificates in the app metadata and still signs responses with the first', async () => {
    const certs = idpCertificates(stripBom(await fetchBytes(appMetadataUrl(ctx.idp))));
    expect(certs).toHaveLength(2);
    expect(certs[0]).not.toBe(certs[1]);
    const xml = await responseXml(ctx.idp);
    expect(xml).toContain(`<X509Certificate>${certs[0]}</X509Certificate>`);
    expectXmlsecVerified(xml, toPem(certs[0]!));
    expectXmlsecRejected(xml, toPem(certs[1]!));
  });
});

describe('a certificate rollover whose date has passed', () => {
  const ctx = mock({ signing: { nextCertificateFrom: new Date(Date.now() - DAY).toISOString() } });

  it('signs responses with the second certificate of the metadata', async () => {
    const certs = idpCertificates(stripBom(await fetchBytes(appMetadataUrl(ctx.idp))));
    expect(certs).toHaveLength(2);
    const xml = await responseXml(ctx.idp);
    expect(xml).toContain(`<X509Certificate>${certs[1]}</X509Certificate>`);
    expectXmlsecVerified(xml, toPem(certs[1]!));
    expectXmlsecRejected(xml, toPem(certs[0]!));
  });
});
