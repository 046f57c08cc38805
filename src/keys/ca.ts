// X.509 creation with node-forge. Keys come from node:crypto (much faster than forge's JS RSA);
// forge only builds and signs the certificates. node-forge is imported lazily so that loading
// cached keys (the common case) never pays for it.
import { generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import type * as Forge from 'node-forge';

export interface RsaKeyPair { privateKey: KeyObject; publicKey: KeyObject }

const DAY = 24 * 60 * 60 * 1000;

export const CA_COMMON_NAME = 'mock-entra local CA';
// Entra's token-signing certificates are self-signed with this subject.
export const SIGNING_COMMON_NAME = 'accounts.accesscontrol.windows.net';

let forgePromise: Promise<typeof Forge> | undefined;
function loadForge(): Promise<typeof Forge> {
  forgePromise ??= import('node-forge').then((m) => m.default);
  return forgePromise;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** RSA-2048 key pair; async so several can be generated in parallel on the thread pool. */
export function generateRsaKeyPair(): Promise<RsaKeyPair> {
  return generateKeyPairAsync('rsa', { modulusLength: 2048 });
}

function toForgePrivate(forge: typeof Forge, key: KeyObject): Forge.pki.rsa.PrivateKey {
  return forge.pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }).toString());
}

function toForgePublic(forge: typeof Forge, key: KeyObject): Forge.pki.rsa.PublicKey {
  return forge.pki.publicKeyFromPem(key.export({ type: 'spki', format: 'pem' }).toString()) as Forge.pki.rsa.PublicKey;
}

// Random positive serial: 16 bytes with the top bit cleared (DER INTEGER would be negative
// otherwise) and a non-zero first byte (strict verifiers reject zero/non-minimal serials).
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

// forge emits CRLF line endings; use LF like openssl and node.
function toPem(forge: typeof Forge, cert: Forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

function newCert(forge: typeof Forge, publicKey: KeyObject, cn: string, validDays: number): Forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = toForgePublic(forge, publicKey);
  cert.serialNumber = randomSerial();
  // Backdate a little to tolerate clock skew between this machine and clients (containers, VMs).
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(now + validDays * DAY);
  cert.setSubject([{ name: 'commonName', value: cn }]);
  return cert;
}

/** Self-signed local CA (10 years). Extensions follow what OpenSSL's X509_STRICT demands
 *  (Python 3.13 enables it by default): critical basicConstraints and keyUsage, and an SKI. */
export async function createCaCert(key: RsaKeyPair): Promise<string> {
  const forge = await loadForge();
  const cert = newCert(forge, key.publicKey, CA_COMMON_NAME, 3650);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(toForgePrivate(forge, key.privateKey), forge.md.sha256.create());
  return toPem(forge, cert);
}

/** TLS server certificate signed by the CA. 364 days keeps it under Apple's/Chrome's
 *  398-day limit for leaf certificates. */
export async function createServerCert(
  ca: { certPem: string; privateKey: KeyObject },
  key: RsaKeyPair,
  hostnames: string[],
): Promise<string> {
  const forge = await loadForge();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = newCert(forge, key.publicKey, 'localhost', 364);
  cert.setIssuer(caCert.subject.attributes);
  // GeneralName type 7 = iPAddress, 2 = dNSName.
  const altNames = hostnames.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h }));
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'subjectKeyIdentifier' },
    // forge's `keyIdentifier: true` would use the leaf's own key, so pass the CA's explicitly.
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(toForgePrivate(forge, ca.privateKey), forge.md.sha256.create());
  return toPem(forge, cert);
}

/** Self-signed token-signing certificate (5 years), shaped like Entra's. */
/** Entra's name for an enterprise app's SAML signing certificate. */
export const SAML_COMMON_NAME = 'Microsoft Azure Federated SSO Certificate';

export async function createSigningCert(key: RsaKeyPair, opts: { commonName?: string; notAfter?: Date } = {}): Promise<string> {
  const forge = await loadForge();
  const cert = newCert(forge, key.publicKey, opts.commonName ?? SIGNING_COMMON_NAME, 5 * 365);
  if (opts.notAfter) cert.validity.notAfter = opts.notAfter;
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, critical: true },
  ]);
  cert.sign(toForgePrivate(forge, key.privateKey), forge.md.sha256.create());
  return toPem(forge, cert);
}
