/** Issue-time faults: claims removed or overridden, clocks skewed, signatures broken, keys swapped. */
import type { Context } from 'koa';
import type { SigningKey } from '../keys/store.js';
import { createSigningCert, generateRsaKeyPair } from '../keys/ca.js';
import { signingKeyFromPem, signJwtAsync } from '../keys/signing.js';

export interface IssueFaults {
  removeClaims?: string[];
  setClaims?: Record<string, unknown>;
  clockSkewSeconds?: number;
  breakSignature?: boolean;
  swapKey?: boolean;
}

export function issueFaults(ctx: Context): IssueFaults | undefined {
  return ctx.state.issueFaults as IssueFaults | undefined;
}

const TIME_CLAIMS = ['iat', 'nbf', 'exp'];

export function shapeClaims<T extends Record<string, unknown>>(claims: T, f: IssueFaults): T {
  const out: Record<string, unknown> = { ...claims };
  for (const c of f.removeClaims ?? []) delete out[c];
  Object.assign(out, f.setClaims ?? {});
  if (f.clockSkewSeconds) for (const c of TIME_CLAIMS) if (typeof out[c] === 'number') out[c] = (out[c] as number) + f.clockSkewSeconds;
  return out as T;
}

/** Flips bits in the signature part: the token still parses, but no verifier accepts it. */
export function breakJwt(jwt: string): string {
  const [h, p, s] = jwt.split('.');
  const sig = Buffer.from(s ?? '', 'base64url');
  if (sig.length > 0) sig[0] = sig[0]! ^ 0xff;
  return `${h}.${p}.${sig.toString('base64url')}`;
}

/** Same for XML-DSig: the first SignatureValue no longer matches. */
export function breakXmlSignature(xml: string): string {
  return xml.replace(/<SignatureValue>([A-Za-z0-9+/])/, (_m, c: string) => `<SignatureValue>${c === 'A' ? 'B' : 'A'}`);
}

let rogue: Promise<SigningKey> | undefined;
/** A key and certificate published nowhere (generated once per process, never written to disk). */
export function rogueKey(): Promise<SigningKey> {
  rogue ??= (async () => {
    const pair = await generateRsaKeyPair();
    const certPem = await createSigningCert(pair);
    return signingKeyFromPem(certPem, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  })();
  return rogue;
}

const decodePart = (part: string | undefined) => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/** Applies issue-time faults to a signed JWT: re-signs it with the changed claims (or the unpublished key), then breaks it if asked. */
export async function shapeJwt(jwt: string, f: IssueFaults | undefined, keys: SigningKey[]): Promise<string> {
  if (!f) return jwt;
  let out = jwt;
  if (f.removeClaims || f.setClaims || f.clockSkewSeconds || f.swapKey) {
    const [h, p] = jwt.split('.');
    const header = decodePart(h);
    const key = f.swapKey ? await rogueKey() : (keys.find((k) => k.kid === header.kid) ?? keys[0]!);
    out = await signJwtAsync(shapeClaims(decodePart(p), f), key, { x5t: 'x5t' in header, graphNonce: 'nonce' in header });
  }
  return f.breakSignature ? breakJwt(out) : out;
}
