// Turns a signing certificate + private key (PEM) into a SigningKey using node:crypto only,
// so loading cached keys never needs node-forge.
import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify, X509Certificate } from 'node:crypto';
import type { SigningKey } from './store.js';

export function sha1Base64url(der: Buffer): string {
  return createHash('sha1').update(der).digest('base64url');
}

export function sha256Base64url(der: Buffer): string {
  return createHash('sha256').update(der).digest('base64url');
}

/** Throws if the PEMs don't parse or the key doesn't belong to the certificate. */
export function signingKeyFromPem(certPem: string, keyPem: string): SigningKey {
  const cert = new X509Certificate(certPem);
  const privateKey = createPrivateKey(keyPem);
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('signing key must be RSA');
  if (!cert.checkPrivateKey(privateKey)) throw new Error('signing key does not match its certificate');
  const publicKey = createPublicKey(privateKey);
  const der = cert.raw;
  // Entra uses the base64url SHA-1 thumbprint of the cert as both kid and x5t.
  const kid = sha1Base64url(der);
  const { n, e } = publicKey.export({ format: 'jwk' });
  if (typeof n !== 'string' || typeof e !== 'string') throw new Error('not an RSA public key');
  return {
    kid,
    x5t: kid,
    x5tS256: sha256Base64url(der),
    privateKey,
    publicKey,
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
    publicJwk: { kty: 'RSA', n, e },
    certPem: cert.toString(),
    x5c: der.toString('base64'),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    thumbprintSha1Hex: createHash('sha1').update(der).digest('hex').toUpperCase(),
  };
}

export interface JwtSignOptions {
  /** v1 tokens carry x5t next to kid. */
  x5t?: boolean;
  /**
   * Microsoft Graph's access tokens: a `nonce` in the header, and the signature computed over the
   * header with the nonce's SHA-256 instead, so no one but Graph can verify them (reference §3).
   */
  graphNonce?: boolean;
}

const sha256url = (s: string) => createHash('sha256').update(s).digest('base64url');
const b64json = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A JWT's header, as sent, and the encoded part the signature covers (they differ for Graph's tokens). */
interface Header {
  header: Record<string, unknown>;
  sent: string;
  signed: string;
}

/** The two headers a key signs under without a nonce (with and without x5t): encoded once per key, not per token. */
const fixedHeaders = new WeakMap<SigningKey, { kid: Header; x5t: Header }>();

function fixed(header: Record<string, unknown>): Header {
  const encoded = b64json(header);
  return { header, sent: encoded, signed: encoded };
}

function headerFor(key: SigningKey, opts: JwtSignOptions): Header {
  if (!opts.graphNonce) {
    let h = fixedHeaders.get(key);
    if (!h) {
      h = { kid: fixed({ typ: 'JWT', alg: 'RS256', kid: key.kid }), x5t: fixed({ typ: 'JWT', alg: 'RS256', x5t: key.x5t, kid: key.kid }) };
      fixedHeaders.set(key, h);
    }
    return opts.x5t ? h.x5t : h.kid;
  }
  const nonce = randomBytes(32).toString('base64url');
  const header = (n: string) => ({ typ: 'JWT', nonce: n, alg: 'RS256', x5t: key.x5t, kid: key.kid });
  const sent = header(nonce);
  return { header: sent, sent: b64json(sent), signed: b64json(header(sha256url(nonce))) };
}

/** A signed JWT and the header it carries (what the funnel reports without decoding the token again). */
export interface SignedJwt {
  token: string;
  header: Record<string, unknown>;
}

/**
 * Signs a token as Entra does: RS256, typ JWT, kid; v1 tokens also carry x5t (reference §3).
 * Synchronous (node:crypto), so it can run inside the provider's event hooks.
 */
export function signJwt(payload: Record<string, unknown>, key: SigningKey, opts: JwtSignOptions = {}): SignedJwt {
  const h = headerFor(key, opts);
  const p = b64json(payload);
  return { token: `${h.sent}.${p}.${sign('sha256', Buffer.from(`${h.signed}.${p}`), key.privateKey).toString('base64url')}`, header: h.header };
}

/** The same, with the RSA work on libuv's thread pool: the event loop keeps serving meanwhile. */
export function signJwtAsync(payload: Record<string, unknown>, key: SigningKey, opts: JwtSignOptions = {}): Promise<SignedJwt> {
  const h = headerFor(key, opts);
  const p = b64json(payload);
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(`${h.signed}.${p}`), key.privateKey, (err, sig) => (err ? reject(err) : resolve({ token: `${h.sent}.${p}.${sig.toString('base64url')}`, header: h.header })));
  });
}

export type VerifyFailure = 'malformed' | 'unknown-key' | 'bad-signature';

/** Verifies a token this server signed (any of its published keys); returns its claims or why it failed. */
export function verifyOwnJwt(token: string, keys: SigningKey[]): { header: Record<string, unknown>; payload: Record<string, unknown> } | VerifyFailure {
  const parts = token.split('.');
  const [h, p, s] = parts;
  if (parts.length !== 3 || !h || !p || !s) return 'malformed';
  const object = (part: string): Record<string, unknown> | undefined => {
    try {
      const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const header = object(h);
  const payload = object(p);
  if (!header || !payload) return 'malformed';
  const key = keys.find((k) => k.kid === header.kid);
  if (!key) return 'unknown-key';
  // Graph's tokens were signed over the header with the nonce hashed (see JwtSignOptions).
  const signedHeader = typeof header.nonce === 'string' ? b64json({ ...header, nonce: sha256url(header.nonce) }) : h;
  if (header.alg !== 'RS256' || !verify('sha256', Buffer.from(`${signedHeader}.${p}`), key.publicKey, Buffer.from(s, 'base64url'))) return 'bad-signature';
  return { header, payload };
}
