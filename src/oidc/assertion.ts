/**
 * A client_assertion JWT as the token endpoint reads it, whoever signed it: the app's own
 * certificate (client.ts) or an external issuer it trusts (federation.ts).
 */
import { EntraError } from '../entra/errors.js';

export interface ParsedAssertion {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** The bytes the signature covers (`header.payload` as sent). */
  signed: Buffer;
  signature: Buffer;
}

/** A JWT part as a JSON object; anything else (null, a number, not JSON) throws. */
function b64json(part: string | undefined): Record<string, unknown> {
  const v: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
  return v as Record<string, unknown>;
}

/** Three base64url parts, the first two JSON objects; else AADSTS50027. */
export function parseAssertion(assertion: string): ParsedAssertion {
  const parts = assertion.split('.');
  if (parts.length !== 3) throw new EntraError(50027);
  const [h, p, s] = parts;
  try {
    return { header: b64json(h), claims: b64json(p), signed: Buffer.from(`${h}.${p}`), signature: Buffer.from(s ?? '', 'base64url') };
  } catch {
    throw new EntraError(50027);
  }
}

/** nbf/exp against now, with five minutes of clock skew (unverified); outside: AADSTS700024. A missing exp counts as expired. */
export function checkValidity(claims: Record<string, unknown>): void {
  const now = Math.floor(Date.now() / 1000);
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : now;
  const exp = typeof claims.exp === 'number' ? claims.exp : 0;
  if (exp + 300 < now || nbf - 300 > now) {
    const t = (n: number) => new Date(n * 1000).toISOString();
    throw new EntraError(700024, { params: { now: t(now), nbf: t(nbf), exp: t(exp) } });
  }
}
