// Loads (or creates on first use) the local CA, the TLS server certificate and the token-signing
// keys in a certs directory. Files are reused across restarts so kids and trust stay stable.
//
// What is missing is made (first start). What is there but damaged (unparseable, a key that does not
// belong to its certificate, a directory where a file belongs) is never replaced silently: a new CA
// or SAML certificate would break the trust clients and SPs were given, with no word why. Those
// throw KeyFileError, which names the file, what is wrong and the fix.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import {
  caPermits,
  createCaCert,
  createServerCert,
  createSigningCert,
  generateRsaKeyPair,
  normalizeHost,
  readPermittedNames,
  type RsaKeyPair,
  SAML_COMMON_NAME,
} from './ca.js';
import { KeyFileError, regenerateCommand, unwritable } from './errors.js';
import { diskKeyFiles, ensureDir } from './files.js';
import { withLock } from './lock.js';
import type { KeyFiles } from '../store/types.js';
import { signingKeyFromPem } from './signing.js';

export { KeyFileError, type KeyFileProblem } from './errors.js';

export interface SigningKey {
  kid: string;          // = x5t = base64url(SHA-1(cert DER)), 27 chars, like Entra
  x5t: string;
  x5tS256: string;      // base64url(SHA-256(cert DER))
  privateKey: KeyObject;
  publicKey: KeyObject;
  privateJwk: Record<string, unknown>; // JWK of the private key, with kid, alg "RS256", use "sig"
  publicJwk: { kty: 'RSA'; n: string; e: string }; // only n and e
  certPem: string;
  x5c: string;          // base64 (standard, not url) of the cert DER
  notBefore: Date; notAfter: Date;
  thumbprintSha1Hex: string; // upper-case hex SHA-1 of the cert DER (what the Azure portal shows)
}

export interface KeyMaterial {
  certsDir: string;
  caCertPath: string;    // <certsDir>/ca.pem
  caCertPem: string;
  tls: { keyPem: string; certPem: string }; // server cert (leaf PEM followed by the CA PEM, so it is a chain) and its key
  signing: SigningKey[];  // token signing keys; index 0 is the active one
}

export interface LoadKeysOptions {
  certsDir: string;
  /**
   * Host names the TLS certificate must cover besides localhost, 127.0.0.1 and ::1. A new CA permits
   * exactly these (and loopback); a CA made earlier that does not permit one makes loadKeys throw
   * KeyFileError ('not-permitted') rather than issue a certificate clients would reject.
   */
  hostnames?: string[];
  /** Default 2; 0 for a directory that holds only a CA and TLS certificate (the as-Microsoft mode's). */
  signingKeyCount?: number;
  /** A new CA permits the host names but not the names below them (see CaCertOptions.exactNames); the as-Microsoft CA. */
  exactNames?: boolean;
  /** Told what is being made, one line each ("making the local CA …"); the CLI prints these, start() passes none. */
  onProgress?: (message: string) => void;
  /** Where the files are read and written (default: the certs directory on disk; the Redis store's for instances that share one). */
  files?: KeyFiles;
}

const DAY = 24 * 60 * 60 * 1000;
const RENEW_BEFORE = 7 * DAY;
const DEFAULT_HOSTNAMES = ['localhost', '127.0.0.1', '::1'];

/** Every file mock-entra makes in a certs directory (README.md and .gitignore are not among them). */
export const GENERATED_FILE = /^(ca|tls|tls-untrusted|tls-wrong-host|signing-\d+|saml-[0-9a-f-]+-[a-z]+|issuer-[a-z0-9]+)(-key)?\.pem$/;
// Left by a writer that died between writing a temp file and renaming it, or by a lock take-over.
const LEFTOVER = /^(.+\.pem\.\d+\.[0-9a-f]+\.tmp|\.lock(\.\d+\.[0-9a-f]+\.stale)?)$/;

interface Pair { certPem: string; keyPem: string; cert: X509Certificate; key: KeyObject }
interface OnDisk { ca?: Pair; tls?: Pair; signing: (SigningKey | undefined)[] }
interface Ctx { dir: string; files: KeyFiles; hostnames: string[]; extra: string[]; exactNames: boolean; progress: (m: string) => void }

/**
 * The local CA, TLS certificate and token-signing keys of a certs directory, made where missing.
 * Rejects with KeyFileError when a file is damaged, is a directory, or when the CA does not permit a
 * requested host name; nothing on disk is replaced then. Prints nothing (see onProgress).
 */
export async function loadKeys(opts: LoadKeysOptions): Promise<KeyMaterial> {
  const dir = resolve(opts.certsDir);
  return loadKeysIn(dir, opts).catch((e: unknown) => {
    throw unwritable(dir, e);
  });
}

async function loadKeysIn(dir: string, opts: LoadKeysOptions): Promise<KeyMaterial> {
  const extra = [...new Set((opts.hostnames ?? []).map(normalizeHost).filter((h) => h !== ''))];
  const hostnames = [...new Set([...DEFAULT_HOSTNAMES, ...extra])];
  const count = opts.signingKeyCount ?? 2;
  if (!Number.isInteger(count) || count < 0) throw new Error(`signingKeyCount must be a non-negative integer, got ${count}`);
  const files = opts.files ?? diskKeyFiles(dir);
  const ctx: Ctx = { dir, files, hostnames, extra, exactNames: opts.exactNames ?? false, progress: opts.onProgress ?? (() => {}) };

  // A read-only directory that already holds the keys (a mounted secret) is fine: it is refused below only if a key must be made.
  await files.prepare();
  let disk = await readDisk(ctx, count).catch(unlessDamaged);
  if (!disk || !isComplete(disk)) {
    // Something must be generated. Serialize with other processes, then re-read: another
    // process may have generated it while we waited.
    disk = await files.lock(async () => {
      const again = await readDisk(ctx, count);
      return isComplete(again) ? again : generateMissing(ctx, again);
    });
  }
  const { ca, tls, signing } = disk as Required<OnDisk>;
  return {
    certsDir: dir,
    caCertPath: files.exportCa ? await files.exportCa(ca.certPem) : join(dir, 'ca.pem'),
    caCertPem: ca.certPem,
    tls: { keyPem: tls.keyPem, certPem: tls.certPem + ca.certPem },
    signing: signing as SigningKey[],
  };
}

/**
 * The subdirectory of a certs directory with the as-Microsoft mode's own CA and TLS certificate
 * (`<certs>/as-microsoft/ca.pem`): that CA permits Microsoft's host names, the everyday one never
 * does, so trusting the everyday CA opens no Microsoft name. Token-signing keys stay in the certs
 * directory itself: both modes sign with the same keys.
 */
export const AS_MICROSOFT_DIR = 'as-microsoft';

/**
 * `mock-entra certs regenerate`: deletes every file mock-entra made in the certs directory (the CA,
 * TLS, token-signing, SAML and alternative TLS keys and certificates; README.md and .gitignore stay),
 * whatever state they are in, then makes a new set as loadKeys does. Clients must trust the new CA,
 * SPs must be given the new SAML certificates, running servers must restart.
 */
export async function regenerateKeys(opts: LoadKeysOptions): Promise<KeyMaterial> {
  const dir = resolve(opts.certsDir);
  await clearGenerated(dir).catch((e: unknown) => {
    throw unwritable(dir, e);
  });
  return loadKeys(opts);
}

async function clearGenerated(dir: string): Promise<void> {
  await ensureDir(dir);
  await withLock(dir, async () => {
    for (const f of (await readdir(dir)).filter((f) => GENERATED_FILE.test(f) || (LEFTOVER.test(f) && f !== '.lock'))) {
      const path = join(dir, f);
      if (!(await lstat(path)).isDirectory()) await rm(path, { force: true });
      else {
        await rmdir(path).catch((e: unknown) => {
          throw new KeyFileError(path, 'not-a-file', 'is a directory with files in it, where a key or certificate file belongs', 'mock-entra does not delete it: move it out of the certs directory and run the command again', { cause: e });
        });
      }
    }
  });
}

export interface SamlCertOptions {
  certsDir: string;
  appId: string;
  /** 'current', or 'next' for a rotation's successor. */
  slot: string;
  /** When the certificate must expire; default three years after it is made, as Entra does. */
  notAfter?: Date;
  files?: KeyFiles;
}

/**
 * An enterprise app's SAML signing certificate (self-signed, CN=Microsoft Azure Federated SSO
 * Certificate), made on first use and kept, so SPs that stored it keep trusting it across restarts.
 * A certificate whose expiry differs from the one asked for (by over a day) is made anew; a damaged
 * one throws KeyFileError.
 */
export async function loadSamlCert(o: SamlCertOptions): Promise<SigningKey> {
  const dir = resolve(o.certsDir);
  const name = `saml-${o.appId}-${o.slot}`;
  const usable = (k: SigningKey | undefined) =>
    k && (o.notAfter ? Math.abs(k.notAfter.getTime() - o.notAfter.getTime()) < DAY : k.notAfter.getTime() - Date.now() > RENEW_BEFORE);
  const fix =
    `Put back the original, or delete ${name}.pem and ${name}-key.pem to make a new certificate ` +
    `(service providers that stored the old one must then be given the new one, e.g. from the App Federation Metadata URL), or run ${regenerateCommand(dir)} to make every key anew`;
  return loadSelfSigned(o.files ?? diskKeyFiles(dir), name, 'SAML signing certificate', fix, usable, async (keys) => createSigningCert(keys, { commonName: SAML_COMMON_NAME, notAfter: o.notAfter ?? new Date(Date.now() + 3 * 365 * DAY) }));
}

/**
 * A self-signed key pair of the certs directory (`{file}.pem`, `{file}-key.pem` 0600): read when
 * usable, else made under the directory's lock (another process may be making it too). A damaged
 * one throws KeyFileError with `fix`.
 */
export async function loadSelfSigned(files: KeyFiles, file: string, what: string, fix: string, usable: (k: SigningKey | undefined) => unknown, make: (keys: RsaKeyPair) => Promise<string>): Promise<SigningKey> {
  const read = async () => {
    const pair = await readPair(files, file, what, fix);
    return pair && signingKey(files, file, pair, fix);
  };
  const found = await read().catch(unlessDamaged);
  if (usable(found)) return found!;
  const made = async () => {
    await files.prepare();
    return files.lock(async () => {
      const again = await read();
      if (usable(again)) return again!;
      const keys = await generateRsaKeyPair();
      const pair = await writePair(files, file, await make(keys), keys);
      return signingKeyFromPem(pair.certPem, pair.keyPem);
    });
  };
  return made().catch((e: unknown) => {
    throw unwritable(files.dir, e);
  });
}

/**
 * The signing key of one of the mock's own external issuers (workload identity federation: a
 * Kubernetes-like service-account issuer, …), `issuer-{name}.pem` with its key (0600), made on first
 * use and kept, so tokens minted earlier (a file a test wrote) keep verifying across restarts.
 */
export async function loadIssuerKey(certsDir: string, name: string, files?: KeyFiles): Promise<SigningKey> {
  if (!/^[a-z0-9]+$/.test(name)) throw new Error(`issuer name must be lower-case letters and digits, got '${name}'`);
  const dir = resolve(certsDir);
  const file = `issuer-${name}`;
  const fix = `Delete ${file}.pem and ${file}-key.pem to make a new key (tokens minted with the old one stop verifying; mint them again), or run ${regenerateCommand(dir)} to make every key anew`;
  const usable = (k: SigningKey | undefined) => k && k.notAfter.getTime() - Date.now() > RENEW_BEFORE;
  return loadSelfSigned(files ?? diskKeyFiles(dir), file, 'external issuer signing key', fix, usable, (keys) => createSigningCert(keys, { commonName: `mock-entra external issuer ${name}` }));
}

/**
 * TLS material for the untrusted-tls scenario: 'untrusted' is issued by a CA nobody trusts,
 * 'wrong-host' by the local CA but for another host name (wrong-host.invalid, which every local CA
 * permits). Kept on disk like the rest; a wrong-host certificate from an earlier CA is made anew.
 */
export async function loadAltTls(certsDir: string, kind: 'untrusted' | 'wrong-host', keyFiles?: KeyFiles, onProgress?: (message: string) => void): Promise<{ keyPem: string; certPem: string }> {
  const dir = resolve(certsDir);
  const files = keyFiles ?? diskKeyFiles(dir);
  const name = `tls-${kind}`;
  const fix = `Delete ${name}.pem and ${name}-key.pem: a new pair is made (nothing depends on this one)`;
  const caFix = caDamagedFix(dir);
  const current = async () => {
    const pair = await readPair(files, name, 'TLS certificate', fix);
    if (!pair || kind === 'untrusted') return pair;
    const ca = await readPair(files, 'ca', 'local CA', caFix);
    return ca && pair.cert.checkIssued(ca.cert) && pair.cert.verify(ca.cert.publicKey) ? pair : undefined;
  };
  const existing = await current().catch(unlessDamaged);
  if (existing) return { keyPem: existing.keyPem, certPem: existing.certPem };
  const made = files.lock(async () => {
    const again = await current();
    if (again) return { keyPem: again.keyPem, certPem: again.certPem };
    const ca = await readPair(files, 'ca', 'local CA', caFix);
    if (!ca) throw new Error(`no local CA in ${dir}; load the keys first`);
    onProgress?.(`making the ${kind === 'untrusted' ? 'untrusted TLS certificate (from a CA nobody trusts)' : 'TLS certificate for the wrong host (wrong-host.invalid)'} that the scenario asks for (${join(dir, `${name}.pem`)})`);
    const [leafKeys, otherCaKeys] = await Promise.all([generateRsaKeyPair(), kind === 'untrusted' ? generateRsaKeyPair() : undefined]);
    const issuer = otherCaKeys
      ? { certPem: await createCaCert(otherCaKeys, { commonName: 'mock-entra untrusted CA' }), privateKey: otherCaKeys.privateKey }
      : { certPem: ca.certPem, privateKey: ca.key };
    const hosts = kind === 'untrusted' ? DEFAULT_HOSTNAMES : ['wrong-host.invalid'];
    const pair = await writePair(files, name, await createServerCert(issuer, leafKeys, hosts), leafKeys);
    return { keyPem: pair.keyPem, certPem: pair.certPem };
  });
  return made.catch((e: unknown) => {
    throw unwritable(dir, e);
  });
}

/**
 * For a read without the lock: a KeyFileError may be a pair half-renewed by a process holding the
 * lock (new key, old certificate), so it only means "read again under the lock", where it is real.
 */
function unlessDamaged(e: unknown): undefined {
  if (e instanceof KeyFileError) return undefined;
  throw e;
}

function isComplete(d: OnDisk): boolean {
  return !!d.ca && !!d.tls && d.signing.every((s) => s !== undefined);
}

const caDamagedFix = (dir: string) =>
  `Put back the original, or delete ca.pem and ca-key.pem to make a new CA (clients must then trust the new ${join(dir, 'ca.pem')}), ` +
  `or run ${regenerateCommand(dir)} to make every key anew`;

// Reads what exists. Missing pairs come back undefined (made next); so do a TLS certificate that is
// about to expire, was issued by another CA or lacks a requested name, and signing keys about to
// expire: renewing those breaks no one's trust. Damaged files throw KeyFileError.
async function readDisk(ctx: Ctx, count: number): Promise<OnDisk> {
  const { dir, files } = ctx;
  const ca = await readPair(files, 'ca', 'local CA', caDamagedFix(dir));
  if (ca) {
    const caPath = files.where('ca.pem');
    if (!ca.cert.ca) throw new KeyFileError(caPath, 'damaged', 'is not a CA certificate', caDamagedFix(dir));
    const until = new Date(ca.cert.validTo);
    if (until.getTime() <= Date.now()) {
      throw new KeyFileError(
        caPath,
        'expired',
        `the local CA expired on ${until.toISOString().slice(0, 10)}`,
        `Run ${regenerateCommand(dir, ctx.extra)} to make a new one (clients must then trust the new ca.pem)`,
      );
    }
  }
  const tlsFix = `Delete tls.pem and tls-key.pem: a new one is made from the local CA (clients notice nothing), or run ${regenerateCommand(dir)} to make every key anew`;
  const tls = await readPair(files, 'tls', 'TLS certificate', tlsFix);
  const signing = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `signing-${i + 1}`;
      const fix =
        `Put back the original, or delete ${name}.pem and ${name}-key.pem to make a new key (tokens then carry a new kid; ` +
        `clients fetch it from the JWKS), or run ${regenerateCommand(dir)} to make every key anew`;
      const pair = await readPair(files, name, 'token-signing key', fix);
      if (!pair) return undefined;
      const key = signingKey(files, name, pair, fix);
      return key.notAfter.getTime() - Date.now() > RENEW_BEFORE ? key : undefined;
    }),
  );
  return { ca, tls: ca && tls && tlsIsUsable(tls.cert, ca.cert, ctx.hostnames) ? tls : undefined, signing };
}

function signingKey(files: KeyFiles, name: string, pair: Pair, fix: string): SigningKey {
  try {
    return signingKeyFromPem(pair.certPem, pair.keyPem);
  } catch (e) {
    throw new KeyFileError(files.where(`${name}-key.pem`), 'damaged', `is not an RSA key (${(e as Error).message})`, fix, { cause: e });
  }
}

/**
 * A certificate and its key, checked: both parse and belong together. With no certificate it is
 * undefined (a key alone is a first write that died before the certificate: no one has seen it);
 * a certificate without its key, or anything that does not parse or match, throws.
 */
async function readPair(files: KeyFiles, name: string, what: string, fix: string): Promise<Pair | undefined> {
  const certPath = files.where(`${name}.pem`);
  const keyPath = files.where(`${name}-key.pem`);
  const [certPem, keyPem] = await Promise.all([files.read(`${name}.pem`, fix), files.read(`${name}-key.pem`, fix)]);
  if (certPem === undefined) return undefined;
  if (keyPem === undefined) throw new KeyFileError(keyPath, 'incomplete', `is missing, while ${name}.pem (the ${what}) is there: a certificate without its private key`, fix);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    throw new KeyFileError(certPath, 'damaged', `is not a PEM certificate (the ${what}) that can be read`, fix, { cause: e });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw new KeyFileError(keyPath, 'damaged', `is not a PEM private key (of the ${what}) that can be read`, fix, { cause: e });
  }
  if (!cert.checkPrivateKey(key)) throw new KeyFileError(keyPath, 'mismatch', `is not the private key of ${name}.pem (the ${what})`, fix);
  return { certPem, keyPem, cert, key };
}

function tlsIsUsable(leaf: X509Certificate, ca: X509Certificate, hostnames: string[]): boolean {
  // Must be issued by the current CA (the CA may have been made anew) ...
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return false;
  // ... not about to expire, unless it ends with the CA (it cannot outlive it) ...
  const leafEnd = new Date(leaf.validTo).getTime();
  if (leafEnd - Date.now() < RENEW_BEFORE && new Date(ca.validTo).getTime() - leafEnd > DAY) return false;
  // ... and cover every requested name. IPs via checkIP (byte comparison, so "::1" matches
  // however OpenSSL prints it); DNS names exactly, from the SAN list.
  const dns = new Set(
    (leaf.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4).toLowerCase()),
  );
  return hostnames.every((h) => (isIP(h) ? leaf.checkIP(h) !== undefined : dns.has(h)));
}

async function generateMissing(ctx: Ctx, disk: OnDisk): Promise<OnDisk> {
  const { files, hostnames, progress } = ctx;
  // A CA made earlier keeps the names it was made for: refuse before making anything.
  if (disk.ca && !disk.tls) await checkPermitted(ctx, disk.ca);
  const missing = disk.signing.flatMap((s, i) => (s ? [] : [i]));
  const names = hostnames.join(', ');
  if (!disk.ca) progress(`making a local CA for ${names} (${files.where('ca.pem')}); clients must trust it`);
  if (!disk.ca || !disk.tls) progress(`making the TLS certificate for ${names} (${files.where('tls.pem')})`);
  for (const i of missing) progress(`making token-signing key ${i + 1} (${files.where(`signing-${i + 1}.pem`)})`);
  // Generate all needed RSA keys in parallel (node's async keygen runs on the thread pool).
  const [caKeys, tlsKeys, signKeys] = await Promise.all([
    disk.ca ? undefined : generateRsaKeyPair(),
    disk.ca && disk.tls ? undefined : generateRsaKeyPair(),
    Promise.all(missing.map(() => generateRsaKeyPair())),
  ]);

  let ca = disk.ca;
  if (caKeys) ca = await writePair(files, 'ca', await createCaCert(caKeys, { hostnames: ctx.extra, exactNames: ctx.exactNames }), caKeys);
  let tls = disk.tls;
  if (tlsKeys && ca) {
    tls = await writePair(files, 'tls', await createServerCert({ certPem: ca.certPem, privateKey: ca.key }, tlsKeys, hostnames), tlsKeys);
  }
  const signing = [...disk.signing];
  await Promise.all(
    missing.map(async (index, j) => {
      const keys = signKeys[j]!;
      const pair = await writePair(files, `signing-${index + 1}`, await createSigningCert(keys), keys);
      signing[index] = signingKeyFromPem(pair.certPem, pair.keyPem);
    }),
  );
  return { ca, tls, signing };
}

async function checkPermitted(ctx: Ctx, ca: Pair): Promise<void> {
  const permitted = await readPermittedNames(ca.certPem);
  if (!permitted) return; // made before CAs were name-constrained: it may issue for anything
  const refused = ctx.hostnames.filter((h) => !caPermits(permitted, h));
  if (refused.length === 0) return;
  throw new KeyFileError(
    ctx.files.where('ca.pem'),
    'not-permitted',
    `the local CA may issue certificates only for ${permitted.join(', ')}, not for ${refused.join(', ')} (a CA's names are fixed when it is made)`,
    `Run ${regenerateCommand(ctx.dir, ctx.extra)} to make a CA that permits them (clients must then trust the new ca.pem), or use another certs directory`,
  );
}

async function writePair(files: KeyFiles, name: string, certPem: string, keys: RsaKeyPair): Promise<Pair> {
  const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await files.writePair(name, certPem, keyPem);
  return { certPem, keyPem, cert: new X509Certificate(certPem), key: keys.privateKey };
}
