/**
 * Signed AuthnRequests (the "Verification certificates" setting): HTTP-Redirect signs the query,
 * HTTP-POST embeds an XML signature. Each answers undefined when the request carries no signature.
 */
import { createPublicKey, verify } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { firstElement, parseXml } from './xml.js';

const QUERY_ALGS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
};

/** The signed octets are the parameters exactly as sent: SAMLRequest, RelayState, SigAlg, in that order. */
export function verifyRedirect(rawQuery: string, certs: string[]): boolean | undefined {
  const raw = new Map(rawQuery.split('&').map((p) => [p.slice(0, p.indexOf('=') >>> 0), p] as [string, string]));
  const signature = raw.get('Signature');
  const sigAlg = raw.get('SigAlg');
  if (!signature) return undefined;
  const alg = sigAlg && QUERY_ALGS[decodeURIComponent(sigAlg.slice('SigAlg='.length))];
  if (!alg) return false;
  const octets = ['SAMLRequest', 'RelayState', 'SigAlg'].flatMap((k) => raw.get(k) ?? []).join('&');
  const sig = Buffer.from(decodeURIComponent(signature.slice('Signature='.length)), 'base64');
  return certs.some((pem) => verify(alg, Buffer.from(octets), createPublicKey(pem), sig));
}

/** An enveloped signature over the AuthnRequest, checked with each certificate in turn. */
export function verifyPost(xml: string, certs: string[]): boolean | undefined {
  const signature = firstElement(parseXml(xml), 'Signature');
  if (!signature) return undefined;
  return certs.some((pem) => {
    try {
      const sig = new SignedXml({ publicCert: pem });
      sig.loadSignature(signature as unknown as Node);
      return sig.checkSignature(xml);
    } catch {
      return false;
    }
  });
}
