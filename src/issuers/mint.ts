/**
 * Tokens of the mock's built-in external issuers (builtin.ts), shaped like the ones the issuer
 * stands in for: a Kubernetes projected service-account token, a GitHub Actions OIDC token.
 * Minted through the issuance funnel with the issuer's own key; no request, so no fault effects.
 */
import { randomUUID } from 'node:crypto';
import { builtinIssuer, type Origins } from '../entra/urls.js';
import { issueJwtSync } from '../issuance/funnel.js';
import type { SigningKey } from '../keys/store.js';
import { DEFAULTS } from '../scenario/defaults.js';
import type { BuiltinIssuerName } from './builtin.js';

/** What a federated token says: whose workload it is (sub), for whom (aud), for how long. */
export interface FederatedTokenOptions {
  /** e.g. `system:serviceaccount:NAMESPACE:NAME` (k8s) or `repo:OWNER/REPO:ref:refs/heads/main` (github). */
  subject: string;
  /** Default api://AzureADTokenExchange. */
  audience?: string;
  /** Which built-in issuer signs it. Default k8s. */
  issuer?: BuiltinIssuerName;
  /** Seconds from now; negative gives an already expired token. Default 3600. */
  lifetimeSeconds?: number;
  /** Extra or overriding claims. */
  claims?: Record<string, unknown>;
}

/** The claims the issuer stands in for would put in the token, derived from its subject where it can. */
function issuerClaims(name: BuiltinIssuerName, subject: string): Record<string, unknown> {
  if (name === 'k8s') {
    const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(subject);
    return m ? { 'kubernetes.io': { namespace: m[1], serviceaccount: { name: m[2], uid: randomUUID() } } } : {};
  }
  const repo = /^repo:([^/:]+)\/([^:]+)(?::(.*))?$/.exec(subject);
  if (!repo) return { jti: randomUUID() };
  const rest = repo[3] ?? '';
  return {
    jti: randomUUID(),
    repository: `${repo[1]}/${repo[2]}`,
    repository_owner: repo[1],
    ...(rest.startsWith('ref:') ? { ref: rest.slice(4) } : {}),
    ...(rest.startsWith('environment:') ? { environment: rest.slice(12) } : {}),
    event_name: 'push',
    workflow: 'ci',
  };
}

/** A token from the built-in issuer, signed through the funnel with the issuer's key (no request: no fault effects). */
export function mintFederatedToken(origin: Origins | string, key: SigningKey, o: FederatedTokenOptions): { token: string; claims: Record<string, unknown> } {
  const name = o.issuer ?? 'k8s';
  const now = Math.floor(Date.now() / 1000);
  const lifetime = o.lifetimeSeconds ?? DEFAULTS.federatedTokenSeconds;
  const aud = o.audience ?? DEFAULTS.federatedAudience;
  // Kubernetes' projected tokens carry aud as an array; GitHub's as a string.
  const exp = now + lifetime;
  const claims: Record<string, unknown> = {
    aud: name === 'k8s' ? [aud] : aud,
    exp,
    iat: Math.min(now, exp - 60),
    iss: builtinIssuer(origin, name),
    nbf: Math.min(now, exp - 60),
    sub: o.subject,
    ...issuerClaims(name, o.subject),
    ...o.claims,
  };
  return { token: issueJwtSync({ kind: 'federated_token', claims, keys: [key] }), claims };
}
