/**
 * Decoding for the dashboard's request detail: JWT header and claims, SAML messages pretty-printed.
 * Nothing here verifies: it shows what was sent.
 */

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** False for an unsecured JWT (alg none, empty signature part). */
  signed: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function part(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A compact JWS's header and claims; undefined for anything else (opaque tokens, JWE). */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const header = part(parts[0]!);
  const claims = part(parts[1]!);
  return header && claims ? { header, claims, signed: parts[2]!.length > 0 } : undefined;
}


const TOKENS = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[^>]*>|[^<]+/g;
const isTag = (t: string | undefined) => t?.startsWith('<') === true;
const isOpening = (t: string) => isTag(t) && !/^<[?!/]/.test(t) && !t.endsWith('/>');

/**
 * Indents XML two spaces per level for reading; elements holding only text stay on one line.
 * For display only: whitespace changes, so a pretty-printed message no longer verifies.
 */
export function prettyXml(xml: string): string {
  const tokens = xml.replace(/^\uFEFF/, '').match(TOKENS) ?? [];
  const lines: string[] = [];
  let depth = 0;
  const push = (s: string) => lines.push(`${'  '.repeat(depth)}${s}`);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!isTag(t)) {
      if (t.trim()) push(t.trim());
      continue;
    }
    if (t.startsWith('</')) {
      depth = Math.max(0, depth - 1);
      push(t);
    } else if (isOpening(t)) {
      const next = tokens[i + 1];
      const after = tokens[i + 2];
      if (next?.startsWith('</')) {
        push(t + next);
        i += 1;
      } else if (next !== undefined && !isTag(next) && after?.startsWith('</')) {
        push(t + next + after);
        i += 2;
      } else {
        push(t);
        depth++;
      }
    } else {
      push(t);
    }
  }
  return lines.join('\n');
}
