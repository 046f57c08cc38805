/**
 * The mock's own external token issuers, for workload identity federation without anything outside
 * the machine: each is an OIDC issuer at {origin}/_issuers/{name} with a discovery document, a JWKS
 * and a signing key of its own (certs dir, issuer-{name}.pem, 0600), shaped like the issuer it
 * stands in for. `k8s` is a Kubernetes API server's service-account issuer (what AKS workload
 * identity projects into pods); `github` is GitHub Actions' OIDC issuer. Entra fetches their
 * documents like any issuer's; the mock's token endpoint reads their keys directly (oidc/federation.ts).
 * Their tokens are minted in mint.ts (through the issuance funnel).
 */
import { builtinIssuer, type Origins } from '../entra/urls.js';
import type { SigningKey } from '../keys/store.js';
import { BUILTIN_ISSUERS, BUILTIN_ISSUER_REF } from '../scenario/schema.js';
import { url } from '../server/routes.js';

export type BuiltinIssuerName = (typeof BUILTIN_ISSUERS)[number];

export const isBuiltinIssuer = (name: string): name is BuiltinIssuerName => (BUILTIN_ISSUERS as readonly string[]).includes(name);

/** A federated credential's issuer as a token carries it: `builtin:NAME` resolved against this server's origin. */
export function resolveIssuer(issuer: string, origin: Origins | string): string {
  const m = BUILTIN_ISSUER_REF.exec(issuer);
  return m ? builtinIssuer(origin, m[1]!) : issuer;
}

/** The name of the built-in issuer an iss names on this origin, if it is one of ours. */
export function builtinIssuerOf(iss: string, origin: Origins | string): BuiltinIssuerName | undefined {
  return BUILTIN_ISSUERS.find((n) => builtinIssuer(origin, n) === iss);
}

export const issuerJwksUri = (origin: Origins | string, name: BuiltinIssuerName) => url(origin, name === 'github' ? 'issuer.jwks.github' : 'issuer.jwks.k8s', { issuer: name });

/** The discovery document, as a Kubernetes API server (`/.well-known/openid-configuration`) or GitHub Actions publishes it. */
export function issuerDiscovery(origin: Origins | string, name: BuiltinIssuerName): Record<string, unknown> {
  const issuer = builtinIssuer(origin, name);
  const jwks_uri = issuerJwksUri(origin, name);
  if (name === 'github') {
    return {
      issuer,
      jwks_uri,
      subject_types_supported: ['public', 'pairwise'],
      response_types_supported: ['id_token'],
      claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'repository_owner', 'run_id', 'workflow', 'event_name', 'environment'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
    };
  }
  return { issuer, jwks_uri, response_types_supported: ['id_token'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'] };
}

export function issuerJwks(key: SigningKey): { keys: Record<string, unknown>[] } {
  return { keys: [{ use: 'sig', kty: 'RSA', kid: key.kid, alg: 'RS256', n: key.publicJwk.n, e: key.publicJwk.e }] };
}
