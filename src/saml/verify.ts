/**
 * Signed AuthnRequests (the "Verification certificates" setting): HTTP-Redirect signs the query,
 * HTTP-POST embeds an enveloped XML signature.
 *
 * The contract, for both bindings: a verified request comes back as the Document to read it from,
 * parsed from exactly the octets the signature covers. Checking that *a* signature in the message
 * is valid is not enough (XML signature wrapping: a validly signed request inside the Extensions
 * of an unsigned one, or a Signature moved under an unsigned root, verifies perfectly well); what
 * counts is that the element read is the element signed, so the caller reads only what it is given.
 */
import { createPublicKey, verify } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { childElements, decodeMessage, parseXml } from './xml.js';

/**
 * What a signature check found:
 * - a Document: the signature verifies with one of the certificates; this is the request exactly
 *   as signed, and the only document to read it from;
 * - `false`: a signature is there but does not verify, or has a shape the mock does not accept;
 * - `undefined`: the request carries no signature (for HTTP-POST: no Signature child of the root).
 */
export type SignatureCheck = Document | false | undefined;

const QUERY_ALGS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};

/** Undefined when the value is not valid percent-encoding (`%E0%A4%A`), rather than a URIError. */
function percentDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * HTTP-Redirect: the signed octets are the parameters exactly as sent, `SAMLRequest=…&RelayState=…&SigAlg=…`
 * in that order (RelayState only if sent). A parameter sent twice, an unknown or garbled SigAlg, or a
 * garbled Signature is a signature that does not verify. On success the SAMLRequest value of those
 * octets is decoded (as Koa decodes the query the front-end read) and parsed: that is the request.
 */
export function verifyRedirect(rawQuery: string, certs: string[]): SignatureCheck {
  const parts = new Map<string, string[]>();
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    // Names decoded the way Koa's ctx.query decodes them, so both see the same parameters.
    const [name] = [...new URLSearchParams(eq < 0 ? part : part.slice(0, eq)).keys()];
    if (name === undefined) continue;
    parts.set(name, [...(parts.get(name) ?? []), part]);
  }
  const one = (name: string): string | undefined | null => {
    const found = parts.get(name);
    if (!found) return undefined;
    return found.length === 1 ? found[0]! : null;
  };
  const valueOf = (part: string) => part.slice(part.indexOf('=') + 1);
  const signature = one('Signature');
  if (signature === undefined) return undefined;
  const [request, relayState, sigAlg] = [one('SAMLRequest'), one('RelayState'), one('SigAlg')];
  if (signature === null || !request || relayState === null || !sigAlg) return false;
  const alg = QUERY_ALGS[percentDecode(valueOf(sigAlg)) ?? ''];
  const sigB64 = percentDecode(valueOf(signature));
  if (!alg || !sigB64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(sigB64)) return false;
  const octets = Buffer.from([request, ...(relayState ? [relayState] : []), sigAlg].join('&'));
  const sig = Buffer.from(sigB64, 'base64');
  const verified = certs.some((pem) => {
    try {
      return verify(alg, octets, createPublicKey(pem), sig);
    } catch {
      return false;
    }
  });
  if (!verified) return false;
  const encoded = new URLSearchParams(request).get('SAMLRequest') ?? '';
  return parseXml(decodeMessage(encoded, 'redirect'));
}

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const EXC_C14N = new Set(['http://www.w3.org/2001/10/xml-exc-c14n#', 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments']);
const XML_SIG_ALGS = new Set(['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512']);
const DIGEST_ALGS = new Set(['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2000/09/xmldsig#sha1', 'http://www.w3.org/2001/04/xmlenc#sha512']);

const isDsig = (el: Element | undefined, localName: string): el is Element => el?.namespaceURI === DSIG && el.localName === localName;
const algorithmIn = (el: Element | undefined, allowed: Set<string>) => el !== undefined && allowed.has(el.getAttribute('Algorithm') ?? '');

/** Every ds:Signature element in the document. */
function signaturesIn(doc: Document): Element[] {
  const all = doc.getElementsByTagNameNS(DSIG, 'Signature');
  return Array.from({ length: all.length }, (_, i) => all.item(i)!);
}

/**
 * The one shape an SP's enveloped AuthnRequest signature has, and the only one accepted:
 * Signature = SignedInfo, SignatureValue, KeyInfo? (no Object); SignedInfo = exc-c14n, an RSA
 * SignatureMethod, exactly one Reference; the Reference's URI is `#{root ID}` (an empty URI, the
 * whole document, is refused: Entra-compatible SPs never send it) with exactly the transforms
 * enveloped-signature then exc-c14n (with or without comments), and a SHA digest.
 */
function hasRequestSignatureShape(signature: Element, rootId: string): boolean {
  const [signedInfo, signatureValue, keyInfo, ...rest] = childElements(signature);
  if (!isDsig(signedInfo, 'SignedInfo') || !isDsig(signatureValue, 'SignatureValue') || rest.length > 0) return false;
  if (keyInfo !== undefined && !isDsig(keyInfo, 'KeyInfo')) return false;
  const [c14n, method, reference, ...more] = childElements(signedInfo);
  if (!isDsig(c14n, 'CanonicalizationMethod') || !algorithmIn(c14n, EXC_C14N)) return false;
  if (!isDsig(method, 'SignatureMethod') || !algorithmIn(method, XML_SIG_ALGS)) return false;
  if (!isDsig(reference, 'Reference') || more.length > 0) return false;
  if (reference.getAttribute('URI') !== `#${rootId}`) return false;
  const [transforms, digestMethod, digestValue, ...extra] = childElements(reference);
  if (!isDsig(transforms, 'Transforms') || !isDsig(digestMethod, 'DigestMethod') || !isDsig(digestValue, 'DigestValue') || extra.length > 0) return false;
  if (!algorithmIn(digestMethod, DIGEST_ALGS)) return false;
  const steps = childElements(transforms);
  return steps.length === 2 && steps.every((t) => isDsig(t, 'Transform')) && steps[0]!.getAttribute('Algorithm') === ENVELOPED && algorithmIn(steps[1], EXC_C14N);
}

/**
 * HTTP-POST: the signature that counts is the ds:Signature child of the root element; a root
 * without one is an unsigned request, whatever signed elements it carries elsewhere (a signed
 * AuthnRequest wrapped in its Extensions is not a signature of it). A root signature verifies
 * only in the shape above, only when it is the one Signature in the document, and only with the
 * app's certificates (never a certificate from KeyInfo). On success the request is re-parsed from
 * the canonical octets the Reference covered, checked to be the root (same element, same ID: IDs
 * are unique, parseXml refuses duplicates), and returned: the caller reads that, not `xml`.
 */
export function verifyPost(xml: string, certs: string[]): SignatureCheck {
  const doc = parseXml(xml);
  const root = doc.documentElement;
  const signatures = signaturesIn(doc);
  const own = signatures.filter((s) => s.parentNode === root);
  if (own.length === 0) return undefined;
  const rootId = root.getAttribute('ID');
  if (signatures.length !== 1 || !rootId || !hasRequestSignatureShape(own[0]!, rootId)) return false;
  for (const pem of certs) {
    const signed = signedRoot(xml, own[0]!, pem, root);
    if (signed) return signed;
  }
  return false;
}

/** The document the signature covers, if it verifies with this certificate and covers `root`. */
function signedRoot(xml: string, signature: Element, pem: string, root: Element): Document | undefined {
  try {
    const sig = new SignedXml({ publicCert: pem, getCertFromKeyInfo: () => null });
    sig.loadSignature(signature as unknown as Node);
    if (!sig.checkSignature(xml)) return undefined;
    const [octets, ...others] = sig.getSignedReferences();
    if (octets === undefined || others.length > 0) return undefined;
    const signed = parseXml(octets);
    const el = signed.documentElement;
    const same = el.namespaceURI === root.namespaceURI && el.localName === root.localName && el.getAttribute('ID') === root.getAttribute('ID');
    return same ? signed : undefined;
  } catch {
    // checkSignature throws for a wrong SignatureValue, parseXml for octets that are no document.
    return undefined;
  }
}
