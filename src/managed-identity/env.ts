/** The environment that points an unmodified app's managed identity credential at a mock (docs/managed-identity.md). */
import { url } from '../server/routes.js';

/**
 * Per form, the variables an app needs to get managed identity tokens from this server, unmodified.
 * Add NODE_EXTRA_CA_CERTS (or REQUESTS_CA_BUNDLE…) = the CA for HTTPS.
 */
export interface ManagedIdentityEnv {
  /** App Service / Functions: ManagedIdentityCredential's "App Service" source. */
  appService: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  /** IMDS (VMs, AKS pod identity): this origin replaces http://169.254.169.254. */
  imds: { AZURE_POD_IDENTITY_AUTHORITY_HOST: string };
}

export function managedIdentityEnv(origin: string, identityHeader: string): ManagedIdentityEnv {
  return {
    appService: { IDENTITY_ENDPOINT: url(origin, 'managedIdentity.appService'), IDENTITY_HEADER: identityHeader },
    imds: { AZURE_POD_IDENTITY_AUTHORITY_HOST: origin },
  };
}
