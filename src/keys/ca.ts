// X.509 creation with node-forge. Keys come from node:crypto (much faster than forge's JS RSA);
// forge only builds and signs the certificates. node-forge is imported lazily so that loading
// cached keys (the common case) never pays for it.
import { generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { promisify } from 'node:util';
import type * as Forge from 'node-forge';

export interface RsaKeyPair { privateKey: KeyObject; publicKey: KeyObject }

const DAY = 24 * 60 * 60 * 1000;

/** Every local CA's common name starts so; each install adds 8 random hex digits. */
export const CA_COMMON_NAME = 'mock-entra local CA';
/** How long a local CA is valid: two years. */
export const CA_VALID_DAYS = 730;
// Entra's token-signing certificates are self-signed with this subject.
export const SIGNING_COMMON_NAME = 'accounts.accesscontrol.windows.net';

/**
 * What every local CA may issue for, whatever host names were asked for: loopback names and
 * addresses, and the one name of the untrusted-tls scenario's wrong-host certificate (.invalid is
 * reserved and never resolves, so permitting it lets the CA vouch for no real host).
 */
export const CA_ALWAYS_PERMITTED = ['localhost', '.localhost', 'wrong-host.invalid', '127.0.0.0/8', '::1/128'];

/**
 * The names a CA made for these host names permits (its name constraints): CA_ALWAYS_PERMITTED plus
 * each DNS name (which, per RFC 5280, also covers names below it) and each IP address alone.
 * `*.example.test` permits example.test and below.
 */
export function permittedNames(hostnames: string[]): string[] {
  const extra = hostnames.map((h) => {
    const name = normalizeHost(h);
    const v = isIP(name);
    return v === 4 ? `${name}/32` : v === 6 ? `${name}/128` : name.replace(/^\*\./, '');
  });
  return [...new Set([...CA_ALWAYS_PERMITTED, ...extra])];
}

/** Lower case, no trailing dot, no IPv6 brackets (`new URL('https://[::1]').hostname` is `[::1]`). */
export function normalizeHost(h: string): string {
  const s = h.trim().toLowerCase().replace(/\.$/, '');
  return /^\[.*\]$/.test(s) ? s.slice(1, -1) : s;
}

/**
 * Whether a CA with these permitted names (as permittedNames or readPermittedNames give them) may
 * issue for `host`, the way OpenSSL checks it: a DNS base covers itself and any name with labels
 * added on the left (a base with a leading dot only those); an IP base is a CIDR range.
 */
export function caPermits(permitted: string[], host: string): boolean {
  const h = normalizeHost(host);
  const v = isIP(h);
  return permitted.some((p) => {
    const slash = p.lastIndexOf('/');
    if (slash > 0 && isIP(p.slice(0, slash))) {
      const base = p.slice(0, slash);
      const type = isIP(base) === 4 ? 'ipv4' : 'ipv6';
      if (v !== isIP(base)) return false;
      const list = new BlockList();
      list.addSubnet(base, Number(p.slice(slash + 1)), type);
      return list.check(h, type);
    }
    if (v) return false;
    const b = p.toLowerCase();
    return b.startsWith('.') ? h.endsWith(b) : h === b || h.endsWith(`.${b}`);
  });
}

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

export interface CaCertOptions {
  /** Host names the CA is made for (see permittedNames); loopback is always permitted. */
  hostnames?: string[];
  /** Default: `mock-entra local CA <8 random hex digits>`, so two installs' CAs never share a name. */
  commonName?: string;
  /** Default CA_VALID_DAYS (two years). */
  validDays?: number;
  /**
   * Exclude the names below each DNS host name (excluded subtree `.name`), so the CA permits exactly
   * those names and not their subdomains: the as-Microsoft CA, whose names are other people's. Default false.
   */
  exactNames?: boolean;
}

/**
 * Self-signed local CA, name-constrained (critical nameConstraints: only permittedNames(hostnames)),
 * so its key cannot mint a certificate that a client trusting it accepts for any other host.
 * Other extensions follow what OpenSSL's X509_STRICT demands (Python 3.13 enables it by default):
 * critical basicConstraints and keyUsage, and an SKI.
 */
export async function createCaCert(key: RsaKeyPair, opts: CaCertOptions = {}): Promise<string> {
  const forge = await loadForge();
  const cn = opts.commonName ?? `${CA_COMMON_NAME} ${randomBytes(4).toString('hex')}`;
  const cert = newCert(forge, key.publicKey, cn, opts.validDays ?? CA_VALID_DAYS);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    // forge reads nameConstraints but cannot write them: the DER is built here (RFC 5280 4.2.1.10).
    { id: '2.5.29.30', name: 'nameConstraints', critical: true, value: nameConstraintsDer(forge, permittedNames(opts.hostnames ?? []), opts.exactNames ? excludedBelow(opts.hostnames ?? []) : []) },
  ]);
  cert.sign(toForgePrivate(forge, key.privateKey), forge.md.sha256.create());
  return toPem(forge, cert);
}

/** `.name` for each DNS host name (not loopback's, not IPs): the subtrees below them, for exactNames. */
function excludedBelow(hostnames: string[]): string[] {
  return [...new Set(hostnames.map(normalizeHost).filter((h) => h && !isIP(h) && !h.startsWith('*.') && h !== 'localhost').map((h) => `.${h}`))];
}

// NameConstraints ::= SEQUENCE { permittedSubtrees [0] IMPLICIT GeneralSubtrees, excludedSubtrees [1] IMPLICIT GeneralSubtrees OPTIONAL }
// GeneralSubtree ::= SEQUENCE { base GeneralName } (minimum 0 and no maximum, as RFC 5280 requires)
// GeneralName: [2] IMPLICIT IA5String dNSName, [7] IMPLICIT OCTET STRING iPAddress (address then mask).
function nameConstraintsDer(forge: typeof Forge, permitted: string[], excluded: string[] = []): Forge.asn1.Asn1 {
  const { asn1 } = forge;
  const subtrees = (names: string[]) => names.map((p) => {
    const slash = p.lastIndexOf('/');
    const ip = slash > 0 && isIP(p.slice(0, slash)) ? p.slice(0, slash) : undefined;
    const base = ip
      ? asn1.create(asn1.Class.CONTEXT_SPECIFIC, 7, false, ipUtil(forge).bytesFromIP(ip) + maskBytes(isIP(ip) === 4 ? 4 : 16, Number(p.slice(slash + 1))))
      : asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, p);
    return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [base]);
  });
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, subtrees(permitted)),
    ...(excluded.length ? [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 1, true, subtrees(excluded))] : []),
  ]);
}

// In node-forge, missing from its type definitions.
const ipUtil = (forge: typeof Forge) => forge.util as unknown as { bytesFromIP(ip: string): string; bytesToIP(bytes: string): string };

function maskBytes(length: number, prefix: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(0xff & (0xff00 >> Math.max(0, Math.min(8, prefix - 8 * i))));
  return s;
}

/**
 * The permitted names of a CA certificate's nameConstraints, in permittedNames' notation
 * (`localhost`, `127.0.0.0/8`, `::1/128`), or undefined when it has none (a CA made before CAs were
 * name-constrained: it may issue for any name). Other kinds of names show as `<type N>`.
 */
export async function readPermittedNames(certPem: string): Promise<string[] | undefined> {
  const forge = await loadForge();
  const extensions = forge.pki.certificateFromPem(certPem).extensions as Array<{ id: string; permittedSubtrees?: Array<{ type: number; value: string }> }>;
  const ext = extensions.find((e) => e.id === '2.5.29.30');
  if (!ext) return undefined;
  return (ext.permittedSubtrees ?? []).map((s) => {
    if (s.type === 2) return s.value;
    if (s.type === 7 && (s.value.length === 8 || s.value.length === 32)) {
      const n = s.value.length / 2;
      let prefix = 0;
      for (const c of s.value.slice(n)) prefix += [...c.charCodeAt(0).toString(2)].filter((b) => b === '1').length;
      return `${ipUtil(forge).bytesToIP(s.value.slice(0, n))}/${prefix}`;
    }
    return `<type ${s.type}>`;
  });
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
  // Never outlive the CA: a chain with a leaf valid past its issuer fails in some verifiers.
  if (cert.validity.notAfter > caCert.validity.notAfter) cert.validity.notAfter = caCert.validity.notAfter;
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
