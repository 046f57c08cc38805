/** Issue-time fault effects, applied once by the issuance funnel: claims removed or overridden, clocks skewed, signatures broken, keys swapped, hostile SAML Responses. */
import type { SigningKey } from '../keys/store.js';
import type { HostileSamlKind } from '../saml/hostile-kinds.js';

export interface IssueEffects {
  removeClaims?: string[];
  setClaims?: Record<string, unknown>;
  clockSkewSeconds?: number;
  breakSignature?: boolean;
  /** `swapKey`: sign with this key, published nowhere. */
  rogueKey?: SigningKey;
  /** `samlResponse`: the hostile or defective SAML Response to send instead of the real one (saml/hostile.ts). */
  samlResponse?: HostileSamlKind;
}

const TIME_CLAIMS = ['iat', 'nbf', 'exp'];

export function shapeClaims<T extends Record<string, unknown>>(claims: T, f: IssueEffects): T {
  const out: Record<string, unknown> = { ...claims };
  for (const c of f.removeClaims ?? []) delete out[c];
  Object.assign(out, f.setClaims ?? {});
  if (f.clockSkewSeconds) for (const c of TIME_CLAIMS) if (typeof out[c] === 'number') out[c] = (out[c] as number) + f.clockSkewSeconds;
  return out as T;
}

/** SAML attribute effects: names match exactly or by their last segment (`mail`, `emailaddress`). */
export function shapeAttributes(attrs: Array<[string, string[]]>, f?: IssueEffects): Array<[string, string[]]> {
  if (!f?.removeClaims && !f?.setClaims) return attrs;
  const hit = (name: string, ref: string) => name === ref || name.split('/').pop() === ref;
  let out = attrs.filter(([name]) => !(f.removeClaims ?? []).some((r) => hit(name, r)));
  for (const [ref, value] of Object.entries(f.setClaims ?? {})) {
    const values = (Array.isArray(value) ? value : [value]).map(String);
    const i = out.findIndex(([name]) => hit(name, ref));
    if (i >= 0) out[i] = [out[i]![0], values];
    else out = [...out, [ref, values]];
  }
  return out;
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
