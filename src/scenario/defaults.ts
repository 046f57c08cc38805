/** Every default of a scenario, in one place. */
export const DEFAULTS = {
  /** Password of a user that does not set one. */
  password: 'Passw0rd!',
  /** Entra's default accessTokenAcceptedVersion is null, which means v1 tokens. */
  accessTokenVersion: 1 as 1 | 2,
  /** tenant_region_scope of a tenant-specific discovery document. */
  region: 'WW',
  /** A login_hint naming a known user completes sign-in without a page (CI needs no browser). */
  autoSignIn: true,
  /** Lifetimes, in seconds. Entra: access tokens 60–90 min (we use a fixed 3599), ID tokens 1 h, codes ~10 min. */
  accessTokenSeconds: 3599,
  idTokenSeconds: 3600,
  codeSeconds: 600,
  refreshTokenSeconds: 90 * 24 * 3600,
  /** Refresh tokens issued to a SPA redirect URI: 24 hours, not extended by use. */
  spaRefreshTokenSeconds: 24 * 3600,
  sessionSeconds: 24 * 3600,
  /** Device code flow: Entra's polling interval and code lifetime. */
  deviceCodeInterval: 5,
  deviceCodeSeconds: 900,
  /** Managed identity tokens live 24 hours (reference §12.2: expires_on − not_before = 86700). */
  managedIdentityTokenSeconds: 24 * 3600,
  /** Resource group of a managed identity's ARM resource ID when the scenario names none. */
  managedIdentityResourceGroup: 'mock-entra',
  /** Entra back-dates iat and nbf by five minutes. */
  backdateSeconds: 300,
  /** Workload identity federation: the audience a federated credential expects unless it names one (Entra's recommended value). */
  federatedAudience: 'api://AzureADTokenExchange',
  /** Entra's limit of federated identity credentials per app (or user-assigned managed identity). */
  maxFederatedCredentials: 20,
  /** Lifetime of a token minted by the mock's own external issuer (Kubernetes projects service-account tokens for 1 h). */
  federatedTokenSeconds: 3600,
} as const;
