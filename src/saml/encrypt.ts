/**
 * SAML token encryption ("Token encryption" on an enterprise app): the signed Assertion becomes an
 * EncryptedAssertion for the SP's certificate, AES-256-CBC with an RSA-OAEP key transport.
 */
import { createPublicKey } from 'node:crypto';
import { el, parseElement, type XmlElement } from './tree.js';

interface XmlEnc {
  encrypt(content: string, options: Record<string, unknown>, cb: (err: Error | null, result: string) => void): void;
}
let xmlenc: Promise<XmlEnc> | undefined;
/** CommonJS, loaded only when an app encrypts: its exports sit on `default` under Node's ESM loader. */
const load = () => (xmlenc ??= import('@authenio/xml-encryption').then((m) => ((m as { default?: XmlEnc }).default ?? (m as unknown as XmlEnc))));

/** The (signed) Assertion as sent, encrypted: the EncryptedAssertion that takes its place in the Response. */
export async function encryptAssertion(assertion: string, certPem: string): Promise<XmlElement> {
  const lib = await load();
  const encrypted = await new Promise<string>((resolve, reject) =>
    lib.encrypt(
      assertion,
      {
        rsa_pub: createPublicKey(certPem).export({ type: 'spki', format: 'pem' }),
        pem: certPem,
        encryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
        keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    ),
  );
  // A tree like the rest of the Response, so that a Response signature can canonicalize it.
  return el('EncryptedAssertion', { xmlns: 'urn:oasis:names:tc:SAML:2.0:assertion' }, [parseElement(encrypted)]);
}
