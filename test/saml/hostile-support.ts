/**
 * The two sides of a hostile-response test (issue 16): the vulnerable paths that accept a hostile
 * Response (a plain XML parser's NameID, a signature checked somewhere in the document, the KeyInfo
 * certificate trusted), and python3-saml in strict mode, run once per batch.
 */
import { createVerify, X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { ExclusiveCanonicalization, SignedXml } from 'xml-crypto';
import { runProcess } from '../helpers/process.js';
import { toPem, xmlsecVerify } from './support.js';

const A = 'urn:oasis:names:tc:SAML:2.0:assertion';
const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

/** Parses like an SP's plain XML parser would; `problems` lists what a strict parser complained about. */
export function parse(xml: string): { doc: Document; problems: string[] } {
  const problems: string[] = [];
  const doc = new DOMParser({ errorHandler: { warning: (m: string) => problems.push(m), error: (m: string) => problems.push(m), fatalError: (m: string) => problems.push(m) } }).parseFromString(xml, 'text/xml') as unknown as Document;
  return { doc, problems };
}

const elements = (root: Document | Element, ns: string, name: string) => Array.from(root.getElementsByTagNameNS(ns, name) as unknown as ArrayLike<Element>);
const childOf = (parent: Element, ns: string, name: string) => Array.from(parent.childNodes as unknown as ArrayLike<Node>).find((n): n is Element => n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === name);

/** How a vulnerable SP reads who signed in. */
export type Reader = 'first' | 'child' | 'first-text';
export function readNameId(doc: Document, how: Reader): string | undefined {
  if (how === 'child') {
    const assertion = childOf(doc.documentElement, A, 'Assertion');
    const subject = assertion && childOf(assertion, A, 'Subject');
    return (subject && childOf(subject, A, 'NameID'))?.textContent ?? undefined;
  }
  const first = elements(doc, A, 'NameID')[0];
  if (!first) return undefined;
  return how === 'first' ? (first.textContent ?? undefined) : ((first.firstChild as Text | null)?.data ?? undefined);
}

export const statusOf = (doc: Document) => elements(doc, P, 'StatusCode')[0]?.getAttribute('Value') ?? undefined;

/** How a vulnerable SP checks the signature. */
/**
 * How a vulnerable SP checks the signature: `somewhere` (a Signature verifies over an element with
 * the ID it references, taken on its own), `xmlsec` (xmlsec1 --verify of the document's first
 * Signature, with the metadata certificate), `keyinfo` (somewhere, with the certificate in KeyInfo),
 * `keyinfo-by-name` (the KeyInfo certificate, when its subject is the trusted one's),
 * `signature-value` (SignatureValue over SignedInfo only, digests unchecked), `none`.
 */
export type Verifier = 'somewhere' | 'xmlsec' | 'keyinfo' | 'keyinfo-by-name' | 'signature-value' | 'none';

const keyInfoCert = (sig: Element) => {
  const b64 = elements(sig, DSIG, 'X509Certificate')[0]?.textContent?.replace(/\s+/g, '');
  return b64 ? toPem(b64) : undefined;
};

/**
 * Some Signature in the document verifies over some element carrying the ID it references, that
 * element taken on its own: signature checking and data reading decoupled, the root of XSW.
 */
function verifiesSomewhere(doc: Document, certFor: (sig: Element) => string | undefined): boolean {
  for (const sig of elements(doc, DSIG, 'Signature')) {
    const cert = certFor(sig);
    const uri = elements(sig, DSIG, 'Reference')[0]?.getAttribute('URI')?.replace(/^#/, '');
    if (!cert || !uri) continue;
    const candidates = Array.from(doc.getElementsByTagName('*') as unknown as ArrayLike<Element>).filter((e) => e.getAttribute('ID') === uri);
    for (const target of candidates) {
      const verifier = new SignedXml({ publicCert: cert, getCertFromKeyInfo: () => null });
      verifier.loadSignature(sig);
      try {
        if (verifier.checkSignature(new XMLSerializer().serializeToString(target))) return true;
      } catch {
        // xml-crypto throws for some shapes: this candidate does not verify
      }
    }
  }
  return false;
}

/** Only SignatureValue over SignedInfo is checked, never the References' digests. */
function signatureValueOnly(doc: Document, cert: string): boolean {
  const sig = elements(doc, DSIG, 'Signature')[0];
  const signedInfo = sig && elements(sig, DSIG, 'SignedInfo')[0];
  const value = sig && elements(sig, DSIG, 'SignatureValue')[0]?.textContent;
  if (!signedInfo || !value) return false;
  const canonical = new ExclusiveCanonicalization().process(signedInfo, {}) as unknown as string;
  return createVerify('RSA-SHA256').update(canonical.toString()).verify(cert, value, 'base64');
}

export function vulnerableVerify(xml: string, doc: Document, how: Verifier, metadataCert: string): boolean {
  switch (how) {
    case 'xmlsec':
      return xmlsecVerify(xml, metadataCert).ok;
    case 'none':
      return true;
    case 'somewhere':
      return verifiesSomewhere(doc, () => metadataCert);
    case 'keyinfo':
      return verifiesSomewhere(doc, keyInfoCert);
    case 'keyinfo-by-name': {
      const trusted = new X509Certificate(metadataCert).subject;
      return verifiesSomewhere(doc, (sig) => {
        const c = keyInfoCert(sig);
        return c && new X509Certificate(c).subject === trusted ? c : undefined;
      });
    }
    case 'signature-value':
      return signatureValueOnly(doc, metadataCert);
  }
}

export interface PythonResult {
  name: string;
  errors: string[];
  reason: string | null;
  authenticated: boolean;
  nameId: string | null;
  attributes: Record<string, string[]> | null;
}

const SCRIPT = fileURLToPath(new URL('./onelogin-validate.py', import.meta.url));

/** python3-saml strict, as the SP: every case in one run of Debian's /usr/bin/python3. */
export async function pythonSaml(job: { settings: unknown; acs: string; cases: Array<{ name: string; response: string; requestId?: string }> }): Promise<Map<string, PythonResult>> {
  const ran = await runProcess('/usr/bin/python3', [SCRIPT], { input: JSON.stringify(job) });
  if (ran.status !== 0) throw new Error(`python3-saml failed (${ran.status}): ${ran.stderr}`);
  return new Map((JSON.parse(ran.stdout) as PythonResult[]).map((r) => [r.name, r]));
}

/** python3-saml settings for sample-saml trusting the App Federation Metadata certificate, strict, as a careful SP sets them. */
export function pythonSettings(o: { spEntityId: string; acs: string; idpEntityId: string; sso: string; cert: string }) {
  return {
    strict: true,
    debug: false,
    sp: { entityId: o.spEntityId, assertionConsumerService: { url: o.acs, binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' }, NameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' },
    idp: { entityId: o.idpEntityId, singleSignOnService: { url: o.sso, binding: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect' }, x509cert: o.cert },
    security: { wantAssertionsSigned: true, wantMessagesSigned: false, rejectDeprecatedAlgorithm: true, wantNameId: true, requestedAuthnContext: false },
  };
}
