/** oidc-provider errors -> Entra's AADSTS codes. Most bad input is refused earlier by our own checks (client.ts). */
import { EntraError } from '../entra/errors.js';
import { storeUnavailable } from '../entra/render.js';

interface ProviderErrorLike {
  error?: string;
  error_description?: string;
  error_detail?: string;
  message?: string;
}

export function toEntraError(caught: unknown, fallback?: { error?: string; error_description?: string }): EntraError {
  if (caught instanceof EntraError) return caught;
  // The store did not answer inside the provider (a session, an interaction): a transient outage, not a server error.
  if ((caught as Error | undefined)?.name === 'StoreUnavailableError') return storeUnavailable();
  const e = (caught ?? {}) as ProviderErrorLike;
  const error = e.error ?? fallback?.error ?? 'server_error';
  const text = `${e.error_description ?? fallback?.error_description ?? ''} ${e.error_detail ?? ''}`.toLowerCase();
  const missing = /missing required parameter '?([\w-]+)'?/.exec(text)?.[1];
  if (missing) return new EntraError(900144, { params: { param: missing } });
  switch (error) {
    case 'invalid_grant':
      if (text.includes('pkce') || text.includes('code_verifier')) return new EntraError(501481);
      if (text.includes('already') || text.includes('consumed')) return new EntraError(54005);
      if (text.includes('redirect_uri')) return new EntraError(70008); // (unverified) Entra's code for a redirect_uri mismatch at redemption
      if (text.includes('refresh token') && !text.includes('expired')) return new EntraError(9002313, { error: 'invalid_grant' });
      return new EntraError(70008);
    case 'login_required':
      return new EntraError(50058);
    case 'invalid_scope':
      return new EntraError(70011, { params: { scope: /scope (\S+)/.exec(text)?.[1] ?? '' } });
    case 'unsupported_grant_type':
      return new EntraError(70003, { params: { grantType: /grant_type (\S+)/.exec(text)?.[1] ?? '' } });
    case 'invalid_target':
      return new EntraError(500011, { params: { resource: '', tenant: '' } });
    case 'unsupported_response_type':
      return new EntraError(700054);
    case 'invalid_client':
      return new EntraError(7000215);
    case 'consent_required':
      return new EntraError(65001);
    case 'invalid_request':
      return new EntraError(90023, { params: { detail: e.error_description ?? '' } });
    default:
      return new EntraError(50000, { params: { detail: e.error_description ?? '' } });
  }
}
