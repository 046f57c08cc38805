/**
 * Workload identity federation (reference §13): a client_assertion issued by an external OIDC
 * issuer (a Kubernetes cluster, GitHub Actions, …) stands in for the client's secret when one of its
 * federated identity credentials names that issuer, the token's subject and one of its audiences.
 * The issuer's keys come from its discovery document and JWKS, fetched over HTTPS (the system's
 * roots and the mock's own CA trusted; bounded in size and time; kept a few minutes per issuer); the
 * mock's own built-in issuers' keys are read directly, since the server may not reach its own public
 * origin (a proxy, a container's published port, --as-microsoft).
 *
 * The matching works on a FederatedOwner, not an app: user-assigned managed identities can use it.
 * Entra's order of checks is not documented; the one here (unverified) refuses before fetching
 * anything an issuer no credential names (Entra fetches only issuers it was told to trust).
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { FederatedOwner, Tenant } from '../directory/model.js';
import { EntraError } from '../entra/errors.js';
import { MICROSOFT_HOSTS, v1Issuer, v2Issuer } from '../entra/urls.js';
import { builtinIssuerOf, resolveIssuer } from '../issuers/builtin.js';
import type { FederationKeys } from '../server/runtime.js';
import type { Transaction } from '../server/transaction.js';
import { checkValidity, type ParsedAssertion } from './assertion.js';

/** Limits of one fetch of an issuer's document. */
const FETCH_TIMEOUT_MS = 5000;
const FETCH_MAX_BYTES = 512 * 1024;
/** Entra reads the first 100 keys of an issuer's JWKS (reference §13). */
const MAX_KEYS = 100;

/** Hosts of Entra's public cloud: tokens they issue are refused for federation (700222). */
const ENTRA_HOSTS = new Set<string>(MICROSOFT_HOSTS.login);
const isEntraHost = (iss: string) => {
  try {
    const u = new URL(iss);
    return u.protocol === 'https:' && ENTRA_HOSTS.has(u.hostname.toLowerCase());
  } catch {
    return false;
  }
};

function isEntraIssued(iss: string, tx: Transaction): boolean {
  // The mock's own external issuers live under its origin, which may be login.microsoftonline.com (--as-microsoft).
  if (builtinIssuerOf(iss, tx.world.origin)) return false;
  if (isEntraHost(iss)) return true;
  return tx.world.directory.tenants.some((t: Tenant) => iss === v2Issuer(tx.world.origin, t.id) || iss === v1Issuer(t.id));
}

const audiencesOf = (aud: unknown): string[] => (Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : typeof aud === 'string' ? [aud] : []);

/**
 * Checks an external issuer's assertion for `owner`: a federated credential matches its iss, sub
 * and aud, and the issuer's key signed it, in its validity period. Throws Entra's error otherwise.
 */
export async function checkFederatedAssertion(tx: Transaction, owner: FederatedOwner, a: ParsedAssertion): Promise<void> {
  const iss = String(a.claims.iss);
  if (isEntraIssued(iss, tx)) throw new EntraError(700222);
  if (owner.federatedCredentials.length === 0) throw new EntraError(70025, { params: { appId: owner.clientId, appName: owner.name } });
  const origin = tx.world.origin;
  const byIssuer = owner.federatedCredentials.filter((c) => resolveIssuer(c.issuer, origin) === iss);
  if (byIssuer.length === 0) throw new EntraError(700211, { params: { iss } });

  const kid = typeof a.header.kid === 'string' ? a.header.kid : undefined;
  const pick = (keys: FederationKeys) => (kid !== undefined ? [keys.get(kid)].filter((k): k is KeyObject => k !== undefined) : [...keys.values()]);
  let candidates = pick(await issuerKeys(tx, iss));
  // A kid the kept keys do not have may be the issuer's new key: fetch them again once.
  if (candidates.length === 0) candidates = pick(await issuerKeys(tx, iss, true));
  const shown = kid ?? '';
  // The reference names no code for an external assertion's bad signature; the certificate path's 700027 (unverified).
  if (candidates.length === 0) throw new EntraError(700027, { params: { reason: `The key was not found in the JWKS of issuer '${iss}'.`, thumbprint: shown, appId: owner.clientId } });
  if (a.header.alg !== 'RS256' || !candidates.some((k) => verify('sha256', a.signed, k, a.signature))) {
    throw new EntraError(700027, { params: { reason: 'The provided signature value did not match the expected signature value.', thumbprint: shown, appId: owner.clientId } });
  }
  checkValidity(a.claims);

  const sub = typeof a.claims.sub === 'string' ? a.claims.sub : '';
  const auds = audiencesOf(a.claims.aud);
  const bySubject = byIssuer.filter((c) => c.subject === sub);
  if (bySubject.length === 0) {
    const folded = sub.toLowerCase();
    throw new EntraError(byIssuer.some((c) => c.subject.toLowerCase() === folded) ? 7002138 : 700213, { params: { sub } });
  }
  if (bySubject.some((c) => c.audiences.some((x) => auds.includes(x)))) return;
  // The audience is one another credential of this issuer expects: no single record matches all three.
  if (byIssuer.some((c) => c.audiences.some((x) => auds.includes(x)))) throw new EntraError(70021, { params: { iss, sub, aud: auds.join(',') } });
  throw new EntraError(700212, { params: { aud: auds.join(',') } });
}

/** The issuer's keys by kid: the built-in issuers' from the certs directory, others' over HTTPS (cached a few minutes). */
async function issuerKeys(tx: Transaction, iss: string, fresh = false): Promise<FederationKeys> {
  const builtin = builtinIssuerOf(iss, tx.world.origin);
  if (builtin) {
    const key = await tx.runtime.issuerKey(tx.world.keys.certsDir, builtin);
    return new Map([[key.kid, key.publicKey]]);
  }
  const cache = tx.runtime.federationKeys;
  let p = fresh ? undefined : cache.get(iss);
  if (!p) {
    p = fetchIssuerKeys(iss, tx.world.keys.caCertPem);
    cache.set(iss, p);
    p.catch(() => {
      if (cache.get(iss) === p) cache.delete(iss);
    });
  }
  try {
    return await p;
  } catch (err) {
    throw new EntraError(501661, { params: { detail: (err as Error).message } });
  }
}

/** An OIDC issuer's signing keys: its discovery document, then its jwks_uri. Rejects with what went wrong and what to check. */
export async function fetchIssuerKeys(iss: string, caPem: string): Promise<FederationKeys> {
  const discoveryUrl = `${iss.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const discovery = await fetchJson(discoveryUrl, caPem);
  if (discovery.issuer !== iss) throw new Error(`The discovery document at ${discoveryUrl} names the issuer '${String(discovery.issuer)}', not the assertion's '${iss}': they must be equal.`);
  const jwksUri = discovery.jwks_uri;
  if (typeof jwksUri !== 'string' || !jwksUri.startsWith('https://')) throw new Error(`The discovery document at ${discoveryUrl} has no https jwks_uri.`);
  const jwks = await fetchJson(jwksUri, caPem);
  if (!Array.isArray(jwks.keys)) throw new Error(`The JWKS at ${jwksUri} has no "keys" array.`);
  const keys: FederationKeys = new Map();
  for (const jwk of (jwks.keys as unknown[]).slice(0, MAX_KEYS)) {
    const k = jwk as Record<string, unknown> | null;
    if (!k || k.kty !== 'RSA' || typeof k.kid !== 'string' || (k.use !== undefined && k.use !== 'sig')) continue;
    try {
      keys.set(k.kid, createPublicKey({ key: { kty: 'RSA', n: String(k.n), e: String(k.e) }, format: 'jwk' }));
    } catch {
      // A key that does not parse is skipped, as a JWKS reader does.
    }
  }
  if (keys.size === 0) throw new Error(`The JWKS at ${jwksUri} has no RSA signing key with a kid.`);
  return keys;
}

/** GET an https URL's JSON object, trusting the system's roots and the mock's CA; at most FETCH_MAX_BYTES in FETCH_TIMEOUT_MS. */
function fetchJson(target: string, caPem: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(target);
    } catch {
      reject(new Error(`'${target}' is not a URL.`));
      return;
    }
    if (u.protocol !== 'https:') {
      reject(new Error(`${target} is not https: issuers and their JWKS must be served over HTTPS.`));
      return;
    }
    // The socket's idle timeout, and one for the whole exchange: a server that drips bytes is cut off too.
    const timer = setTimeout(() => {
      req.destroy();
      fail(`no complete answer within ${FETCH_TIMEOUT_MS} ms`);
    }, FETCH_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`GET ${target} failed: ${why}. Check that the issuer serves it over HTTPS with a certificate the mock trusts (system roots or its own CA).`));
    };
    const req = request(u, { method: 'GET', headers: { accept: 'application/json' }, ca: [...rootCertificates, caPem], timeout: FETCH_TIMEOUT_MS }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        fail(`HTTP ${res.statusCode}`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > FETCH_MAX_BYTES) {
          req.destroy();
          fail(`the document is larger than ${FETCH_MAX_BYTES} bytes`);
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        try {
          const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
          clearTimeout(timer);
          resolve(v as Record<string, unknown>);
        } catch {
          fail('the answer is not a JSON object');
        }
      });
      res.on('error', (e) => fail(e.message));
    });
    req.on('timeout', () => {
      req.destroy();
      fail(`no answer within ${FETCH_TIMEOUT_MS} ms`);
    });
    req.on('error', (e) => fail(e.message));
    req.end();
  });
}
