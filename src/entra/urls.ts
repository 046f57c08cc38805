/** Entra's URL layout and fixed identifiers (reference §1–§3). Fidelity fixes to paths belong here. */

export const GRAPH = {
  appId: '00000003-0000-0000-c000-000000000000',
  resource: 'https://graph.microsoft.com',
  /** Delegated permissions our Graph exposes; any app may ask for them (user consent). */
  scopes: ['User.Read', 'User.ReadBasic.All', 'User.Read.All', 'GroupMember.Read.All', 'Directory.Read.All', 'openid', 'profile', 'email', 'offline_access'],
  /** Application permissions an admin can grant on our Graph. */
  roles: ['User.Read.All', 'GroupMember.Read.All', 'Directory.Read.All'],
  name: 'Microsoft Graph',
} as const;

/**
 * Azure Resource Manager ("Windows Azure Service Management API"): az asks for
 * https://management.core.windows.net//.default, managed identities for https://management.azure.com/.
 */
export const ARM = {
  appId: '797f4846-ba00-4fd7-ba43-dac1f8f63013',
  resource: 'https://management.core.windows.net/',
  aliases: ['https://management.azure.com/'],
  name: 'Windows Azure Service Management API',
} as const;

/**
 * The managed identity endpoints (reference §12): App Service's (what IDENTITY_ENDPOINT points at;
 * the docs' sample is http://localhost:4141/MSI/token) and IMDS's token path, with the api-version
 * each speaks.
 */
export const MANAGED_IDENTITY = {
  appServiceApiVersion: '2019-08-01',
  imdsApiVersion: '2018-02-01',
  /** The header App Service checks against IDENTITY_HEADER. */
  appServiceHeader: 'x-identity-header',
} as const;

/** Directory role template IDs (the wids claim); every member also carries the default user role. */
export const DIRECTORY_ROLES: Record<string, string> = {
  'Global Administrator': '62e90394-69f5-4237-9190-012177145e10',
  'User Administrator': 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  'Application Administrator': '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
  'Cloud Application Administrator': '158c047a-c907-4556-b7ef-446551a6b5f7',
  'Global Reader': 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  'Security Administrator': '194ae4cb-b126-40b2-bd5b-6091b380977d',
};
export const DEFAULT_MEMBER_ROLE = 'b79fbf4d-3ef9-4689-8143-76b194e85509';

/** Whether a token's audience is Microsoft Graph (by URI, with or without trailing slash, or app ID). */
export const isGraphAudience = (aud: unknown) => {
  const a = String(aud ?? '').replace(/\/+$/, '');
  return a === GRAPH.resource || a === GRAPH.appId;
};

/** OIDC scopes: they select ID-token claims and never name a resource. */
export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

/**
 * Entra's URL layout (reference §1), relative to the origin; `:tenant` is a tenant GUID, domain or
 * alias. server/routes.ts registers these and builds every URL the project prints from them.
 */
export const paths = {
  v2: {
    discovery: '/:tenant/v2.0/.well-known/openid-configuration',
    authorize: '/:tenant/oauth2/v2.0/authorize',
    token: '/:tenant/oauth2/v2.0/token',
    logout: '/:tenant/oauth2/v2.0/logout',
    devicecode: '/:tenant/oauth2/v2.0/devicecode',
    keys: '/:tenant/discovery/v2.0/keys',
  },
  v1: {
    discovery: '/:tenant/.well-known/openid-configuration',
    authorize: '/:tenant/oauth2/authorize',
    token: '/:tenant/oauth2/token',
    logout: '/:tenant/oauth2/logout',
    devicecode: '/:tenant/oauth2/devicecode',
    keys: '/:tenant/discovery/keys',
    userinfo: '/:tenant/openid/userinfo',
    checksession: '/:tenant/oauth2/checksession',
  },
  /** MSAL's instance discovery and home-realm discovery (reference §9). */
  instanceDiscovery: '/common/discovery/instance',
  userRealm: '/common/userrealm/:user',
  /** Served on our own host: Entra's is graph.microsoft.com/oidc/userinfo. */
  userinfo: '/oidc/userinfo',
  kerberos: '/:tenant/kerberos',
  saml2: '/:tenant/saml2',
  wsfed: '/:tenant/wsfed',
  federationMetadata: '/:tenant/federationmetadata/2007-06/federationmetadata.xml',
  /** The portal's "User access URL" of an enterprise app: IdP-initiated SAML sign-in (`?tenantId=`). */
  samlLaunch: '/api/signin/:appId',
  /** Entra's is https://microsoft.com/devicelogin. */
  deviceLogin: '/devicelogin',
  /** Managed identity: App Service's IDENTITY_ENDPOINT, and IMDS's path (http://169.254.169.254 there; AZURE_POD_IDENTITY_AUTHORITY_HOST here). */
  appServiceIdentity: '/MSI/token',
  imdsIdentity: '/metadata/identity/oauth2/token',
  /** Our sign-in pages (Entra's live under /common/login and friends). */
  login: '/:tenant/login/:uid',
  samlLogin: '/:tenant/saml2/login/:id',
  error: '/error',
} as const;

export const v2Issuer = (origin: string, tid: string) => `${origin}/${tid}/v2.0`;
/** v1 tokens name Entra's STS whatever host served them, as the real service does. */
export const v1Issuer = (tid: string) => `https://sts.windows.net/${tid}/`;
export const errorUri = (origin: string, code: number) => `${origin}${paths.error}?code=${code}`;

/** Segments that name a tenant: a GUID, a domain name, or an alias. */
export const TENANT_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|common|organizations|consumers|[a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i;
