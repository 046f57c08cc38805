// Loads (or creates on first use) the local CA, the TLS server certificate and the token-signing
// keys in a certs directory. Files are reused across restarts so kids and trust stay stable.
import { createPrivateKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { createCaCert, createServerCert, createSigningCert, generateRsaKeyPair, type RsaKeyPair, SAML_COMMON_NAME } from './ca.js';
import { signingKeyFromPem } from './signing.js';

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

export interface LoadKeysOptions { certsDir: string; hostnames?: string[]; signingKeyCount?: number /* default 2 */ }

const DAY = 24 * 60 * 60 * 1000;
const RENEW_BEFORE = 7 * DAY;
const DEFAULT_HOSTNAMES = ['localhost', '127.0.0.1', '::1'];
const GITIGNORE = '*\n!README.md\n!.gitignore\n';

interface Pair { certPem: string; keyPem: string; cert: X509Certificate; key: KeyObject }
interface OnDisk { ca?: Pair; tls?: Pair; signing: (SigningKey | undefined)[] }

export async function loadKeys(opts: LoadKeysOptions): Promise<KeyMaterial> {
  const certsDir = resolve(opts.certsDir);
  const hostnames = [...new Set([...DEFAULT_HOSTNAMES, ...(opts.hostnames ?? [])])];
  const count = opts.signingKeyCount ?? 2;
  if (!Number.isInteger(count) || count < 1) throw new Error(`signingKeyCount must be a positive integer, got ${count}`);

  await mkdir(certsDir, { recursive: true });
  // Before any key exists, so private keys can't be committed even if certsDir is inside a repo.
  await writeFile(join(certsDir, '.gitignore'), GITIGNORE, { flag: 'wx' }).catch((e: unknown) => {
    if (errCode(e) !== 'EEXIST') throw e;
  });
  let disk = await readDisk(certsDir, hostnames, count);
  if (!isComplete(disk)) {
    // Something must be generated. Serialize with other processes, then re-read: another
    // process may have generated it while we waited.
    disk = await withLock(certsDir, async () => {
      const again = await readDisk(certsDir, hostnames, count);
      return isComplete(again) ? again : generateMissing(certsDir, hostnames, again);
    });
  }
  const { ca, tls, signing } = disk as Required<OnDisk>;
  return {
    certsDir,
    caCertPath: join(certsDir, 'ca.pem'),
    caCertPem: ca.certPem,
    tls: { keyPem: tls.keyPem, certPem: tls.certPem + ca.certPem },
    signing: signing as SigningKey[],
  };
}

export interface SamlCertOptions {
  certsDir: string;
  appId: string;
  /** 'current', or 'next' for a rotation's successor. */
  slot: string;
  /** When the certificate must expire; default three years after it is made, as Entra does. */
  notAfter?: Date;
}

/**
 * An enterprise app's SAML signing certificate (self-signed, CN=Microsoft Azure Federated SSO
 * Certificate), made on first use and kept, so SPs that stored it keep trusting it across restarts.
 * A certificate whose expiry differs from the one asked for (by over a day) is made anew.
 */
export async function loadSamlCert(o: SamlCertOptions): Promise<SigningKey> {
  const dir = resolve(o.certsDir);
  const name = `saml-${o.appId}-${o.slot}`;
  const usable = (k: SigningKey | undefined) =>
    k && (o.notAfter ? Math.abs(k.notAfter.getTime() - o.notAfter.getTime()) < DAY : k.notAfter.getTime() - Date.now() > RENEW_BEFORE);
  const read = async () => {
    const pems = await readPems(dir, name);
    try {
      return pems ? signingKeyFromPem(pems.certPem, pems.keyPem) : undefined;
    } catch {
      return undefined;
    }
  };
  const found = await read();
  if (usable(found)) return found!;
  await mkdir(dir, { recursive: true });
  return withLock(dir, async () => {
    const again = await read();
    if (usable(again)) return again!;
    const keys = await generateRsaKeyPair();
    const notAfter = o.notAfter ?? new Date(Date.now() + 3 * 365 * DAY);
    const pair = await writePair(dir, name, await createSigningCert(keys, { commonName: SAML_COMMON_NAME, notAfter }), keys);
    return signingKeyFromPem(pair.certPem, pair.keyPem);
  });
}

/**
 * TLS material for the untrusted-tls scenario: 'untrusted' is issued by a CA nobody trusts,
 * 'wrong-host' by the local CA but for another host name. Kept on disk like the rest.
 */
export async function loadAltTls(certsDir: string, kind: 'untrusted' | 'wrong-host'): Promise<{ keyPem: string; certPem: string }> {
  const dir = resolve(certsDir);
  const name = `tls-${kind}`;
  const existing = await readPems(dir, name);
  if (existing) return { keyPem: existing.keyPem, certPem: existing.certPem };
  return withLock(dir, async () => {
    const again = await readPems(dir, name);
    if (again) return { keyPem: again.keyPem, certPem: again.certPem };
    const [leafKeys, otherCaKeys] = await Promise.all([generateRsaKeyPair(), generateRsaKeyPair()]);
    const ca = await readPems(dir, 'ca');
    if (!ca) throw new Error(`no local CA in ${dir}; load the keys first`);
    const issuer =
      kind === 'untrusted'
        ? { certPem: await createCaCert(otherCaKeys), privateKey: otherCaKeys.privateKey }
        : { certPem: ca.certPem, privateKey: createPrivateKey(ca.keyPem) };
    const hosts = kind === 'untrusted' ? DEFAULT_HOSTNAMES : ['wrong-host.invalid'];
    const pair = await writePair(dir, name, await createServerCert(issuer, leafKeys, hosts), leafKeys);
    return { keyPem: pair.keyPem, certPem: pair.certPem };
  });
}

function isComplete(d: OnDisk): boolean {
  return !!d.ca && !!d.tls && d.signing.every((s) => s !== undefined);
}

// Reads everything that exists and is usable; anything missing, broken, mismatched or about to
// expire comes back undefined so it gets regenerated.
async function readDisk(dir: string, hostnames: string[], count: number): Promise<OnDisk> {
  const caPair = await readPair(dir, 'ca');
  const ca = caPair?.cert.ca ? caPair : undefined;
  const tls = ca ? await readPair(dir, 'tls') : undefined;
  const signing = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const pems = await readPems(dir, `signing-${i + 1}`);
      if (!pems) return undefined;
      try {
        const key = signingKeyFromPem(pems.certPem, pems.keyPem);
        return key.notAfter.getTime() - Date.now() > RENEW_BEFORE ? key : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return {
    ca,
    tls: ca && tls && tlsIsUsable(tls.cert, ca.cert, hostnames) ? tls : undefined,
    signing,
  };
}

async function readPems(dir: string, name: string): Promise<{ certPem: string; keyPem: string } | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([
      readFile(join(dir, `${name}.pem`), 'utf8'),
      readFile(join(dir, `${name}-key.pem`), 'utf8'),
    ]);
    return { certPem, keyPem };
  } catch (e) {
    if (errCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

async function readPair(dir: string, name: string): Promise<Pair | undefined> {
  const pems = await readPems(dir, name);
  if (!pems) return undefined;
  try {
    const cert = new X509Certificate(pems.certPem);
    const key = createPrivateKey(pems.keyPem);
    // A mismatch means a half-finished write (or a hand edit): treat as missing.
    if (!cert.checkPrivateKey(key)) return undefined;
    if (new Date(cert.validTo).getTime() - Date.now() < RENEW_BEFORE) return undefined;
    return { ...pems, cert, key };
  } catch {
    return undefined;
  }
}

function tlsIsUsable(leaf: X509Certificate, ca: X509Certificate, hostnames: string[]): boolean {
  // Must be issued by the current CA (the CA may have been regenerated) ...
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return false;
  // ... and cover every requested name. IPs via checkIP (byte comparison, so "::1" matches
  // however OpenSSL prints it); DNS names exactly, from the SAN list.
  const dns = new Set(
    (leaf.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4).toLowerCase()),
  );
  return hostnames.every((h) => (isIP(h) ? leaf.checkIP(h) !== undefined : dns.has(h.toLowerCase())));
}

async function generateMissing(dir: string, hostnames: string[], disk: OnDisk): Promise<OnDisk> {
  const missing = disk.signing.flatMap((s, i) => (s ? [] : [i]));
  // Generate all needed RSA keys in parallel (node's async keygen runs on the thread pool).
  const [caKeys, tlsKeys, signKeys] = await Promise.all([
    disk.ca ? undefined : generateRsaKeyPair(),
    disk.ca && disk.tls ? undefined : generateRsaKeyPair(),
    Promise.all(missing.map(() => generateRsaKeyPair())),
  ]);

  let ca = disk.ca;
  if (caKeys) ca = await writePair(dir, 'ca', await createCaCert(caKeys), caKeys);
  let tls = disk.tls;
  if (tlsKeys && ca) {
    tls = await writePair(dir, 'tls', await createServerCert({ certPem: ca.certPem, privateKey: ca.key }, tlsKeys, hostnames), tlsKeys);
  }
  const signing = [...disk.signing];
  await Promise.all(
    missing.map(async (index, j) => {
      const keys = signKeys[j]!;
      const pair = await writePair(dir, `signing-${index + 1}`, await createSigningCert(keys), keys);
      signing[index] = signingKeyFromPem(pair.certPem, pair.keyPem);
    }),
  );
  return { ca, tls, signing };
}

async function writePair(dir: string, name: string, certPem: string, keys: RsaKeyPair): Promise<Pair> {
  const keyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // Key first: a reader that sees the new cert with the old key treats the pair as broken.
  await writeAtomic(join(dir, `${name}-key.pem`), keyPem, 0o600);
  await writeAtomic(join(dir, `${name}.pem`), certPem, 0o644);
  return { certPem, keyPem, cert: new X509Certificate(certPem), key: keys.privateKey };
}

// Temp file in the same directory + rename, so readers never see a half-written file.
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode });
    await chmod(tmp, mode); // the umask may have changed the mode given to writeFile
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

// Cross-process lock (exclusive create of <dir>/.lock). Renaming single files is atomic, but a
// cert/key pair is two files, so two processes generating at once could mix their halves.
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await writeFile(lock, `${process.pid}@${hostname()}`, { flag: 'wx' });
      break;
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw e;
    }
    if (await lockIsStale(lock)) await rm(lock, { force: true });
    else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}; delete it if no mock-entra is running`);
    else await new Promise((r) => setTimeout(r, 50));
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

// A lock left by a crashed process: its owner is gone (same host only; pids mean nothing across
// containers), or it is far older than generating a few keys could take.
async function lockIsStale(lock: string): Promise<boolean> {
  try {
    const [content, info] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
    if (Date.now() - info.mtimeMs > 60_000) return true;
    const [pid, host] = content.split('@');
    if (host !== hostname() || !pid) return false;
    try {
      process.kill(Number(pid), 0);
      return false;
    } catch (e) {
      return errCode(e) === 'ESRCH';
    }
  } catch (e) {
    if (errCode(e) === 'ENOENT') return false; // released meanwhile: just retry
    throw e;
  }
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
