/** Entra's URL layout and fixed identifiers (reference §1–§3). Fidelity fixes to paths belong here. */

export const GRAPH = {
  appId: '00000003-0000-0000-c000-000000000000',
  resource: 'https://graph.microsoft.com',
  /** Delegated permissions our Graph exposes; any app may ask for them (user consent). */
  scopes: ['User.Read', 'User.ReadBasic.All', 'User.Read.All', 'GroupMember.Read.All', 'Directory.Read.All', 'AuditLog.Read.All', 'openid', 'profile', 'email', 'offline_access'],
  /** Application permissions an admin can grant on our Graph. */
  /** AuditLog.Read.All (the sign-in logs) is granted to no app by default: grant it in the scenario's `permissions`. */
  roles: ['User.Read.All', 'GroupMember.Read.All', 'Directory.Read.All', 'AuditLog.Read.All'],
  name: 'Microsoft Graph',
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
  'Reports Reader': '4a5d8f65-41da-4de4-8968-e035b65339cf',
  'Security Reader': '5d6b6bb7-de71-4623-b4af-96380a352509',
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
  /** On Graph's host, as Entra's (https://graph.microsoft.com/oidc/userinfo) in the as-Microsoft mode; the mock's own origin otherwise. */
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
  /**
   * Not Entra's: the mock's own external token issuers for workload identity federation
   * (issuers/builtin.ts), each an OIDC issuer at {origin}/_issuers/{name}. Their JWKS sits where a
   * Kubernetes API server (/openid/v1/jwks) or GitHub Actions (/.well-known/jwks) publishes it.
   */
  issuerDiscovery: '/_issuers/:issuer/.well-known/openid-configuration',
  issuerJwksK8s: '/_issuers/:issuer/openid/v1/jwks',
  issuerJwksGithub: '/_issuers/:issuer/.well-known/jwks',
} as const;

/** The iss of the mock's own external issuer `name` (a path under the origin, as a Kubernetes cluster's issuer URL can be). */
export const builtinIssuer = (origin: Origins | string, name: string) => `${loginOrigin(origin)}/_issuers/${name}`;

export const v2Issuer = (origin: Origins | string, tid: string) => `${loginOrigin(origin)}/${tid}/v2.0`;
/** v1 tokens name Entra's STS whatever host served them, as the real service does. */
export const v1Issuer = (tid: string) => `https://sts.windows.net/${tid}/`;
export const errorUri = (origin: string, code: number) => `${origin}${paths.error}?code=${code}`;

/** Segments that name a tenant: a GUID, a domain name, or an alias. */
export const TENANT_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|common|organizations|consumers|[a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i;

// --- As-Microsoft mode (serve --as-microsoft): Microsoft's host names, and the origins clients reach the mock on.

/** Which of Microsoft's hosts a route belongs to: the sign-in service, Microsoft Graph, or Azure Resource Manager. */
export type HostClass = 'login' | 'graph' | 'management';

/**
 * Microsoft's public-cloud host names the as-Microsoft mode answers as, by host class. The login
 * names are the public cloud's aliases (reference §1, §9); sts.windows.net is among them, and
 * names the v1 issuer. The TLS certificate of the mode names every one of them.
 */
export const MICROSOFT_HOSTS = {
  login: ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'],
  graph: ['graph.microsoft.com'],
  management: ['management.azure.com'],
} as const satisfies Record<HostClass, readonly string[]>;

/** Every host name of MICROSOFT_HOSTS, login.microsoftonline.com first. */
export const MICROSOFT_HOSTNAMES: readonly string[] = Object.values(MICROSOFT_HOSTS).flat();

const HOST_CLASS = new Map<string, HostClass>(Object.entries(MICROSOFT_HOSTS).flatMap(([c, hosts]) => hosts.map((h) => [h, c as HostClass] as const)));

/**
 * Where clients reach the mock, one origin per host class: in the default mode all three are the
 * mock's own origin (https://localhost:8443); in the as-Microsoft mode they are
 * https://login.microsoftonline.com, https://graph.microsoft.com and https://management.azure.com,
 * whatever port the mock listens on. Passed wherever an origin is; `url()` picks the origin of the
 * route's host class. Its string form is the login origin, so a template literal still reads right.
 */
export class Origins {
  private constructor(
    readonly login: string,
    readonly graph: string,
    readonly management: string,
    /** Answering as Microsoft's hosts (serve --as-microsoft): requests are told apart by Host. */
    readonly asMicrosoft: boolean,
  ) {}

  /** The default mode: every route on the mock's own origin. */
  static local(origin: string): Origins {
    return new Origins(origin, origin, origin, false);
  }

  /** The as-Microsoft mode. */
  static microsoft(): Origins {
    return new Origins(`https://${MICROSOFT_HOSTS.login[0]}`, `https://${MICROSOFT_HOSTS.graph[0]}`, `https://${MICROSOFT_HOSTS.management[0]}`, true);
  }

  of(host: HostClass): string {
    return this[host];
  }

  /**
   * The host class a request's Host names (host name only, any case), in the as-Microsoft mode;
   * undefined for any other host (localhost, 127.0.0.1, a --hostname), which reaches every route.
   */
  classOf(hostname: string): HostClass | undefined {
    return this.asMicrosoft ? HOST_CLASS.get(hostname.toLowerCase()) : undefined;
  }

  /**
   * The origin of Entra's sign-in service as this request named it: the login alias it was sent to
   * in the as-Microsoft mode (Entra's error_uri names the request's host, reference §1), else the login origin.
   */
  loginFor(hostname: string): string {
    const h = hostname.toLowerCase();
    return this.asMicrosoft && HOST_CLASS.get(h) === 'login' && h !== 'sts.windows.net' ? `https://${h}` : this.login;
  }

  /** The login origins a client may name in a token endpoint URL (a client assertion's aud). */
  loginAliases(): string[] {
    return this.asMicrosoft ? MICROSOFT_HOSTS.login.filter((h) => h !== 'sts.windows.net').map((h) => `https://${h}`) : [this.login];
  }

  toString(): string {
    return this.login;
  }
}

/** The login origin of an Origins, or the origin string itself. */
export const loginOrigin = (origin: Origins | string): string => (typeof origin === 'string' ? origin : origin.login);

/**
 * Entra's real public-cloud instance metadata (reference §9): what instance discovery answers in
 * the as-Microsoft mode. MSAL validates the authority's host against these aliases.
 */
export const PUBLIC_CLOUD_METADATA = [
  { preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'] },
  { preferred_network: 'login.partner.microsoftonline.cn', preferred_cache: 'login.partner.microsoftonline.cn', aliases: ['login.partner.microsoftonline.cn', 'login.chinacloudapi.cn'] },
  { preferred_network: 'login.microsoftonline.de', preferred_cache: 'login.microsoftonline.de', aliases: ['login.microsoftonline.de'] },
  { preferred_network: 'login.microsoftonline.us', preferred_cache: 'login.microsoftonline.us', aliases: ['login.microsoftonline.us', 'login.usgovcloudapi.net'] },
  { preferred_network: 'login-us.microsoftonline.com', preferred_cache: 'login-us.microsoftonline.com', aliases: ['login-us.microsoftonline.com'] },
] as const;

/**
 * Azure Resource Manager as a resource (the Azure CLI asks for `https://management.core.windows.net//.default`,
 * reference §14): a first-party API like GRAPH, with a second App ID URI ARM also answers to.
 */
export const ARM = {
  appId: '797f4846-ba00-4fd7-ba43-dac1f8f63013',
  resource: 'https://management.core.windows.net/',
  otherResources: ['https://management.azure.com/'],
  scopes: ['user_impersonation'],
  roles: [] as string[],
  name: 'Windows Azure Service Management API',
} as const;

/** Whether a token's audience is Azure Resource Manager (either App ID URI, with or without trailing slash, or the app ID). */
export const isArmAudience = (aud: unknown) => {
  const a = String(aud ?? '').replace(/\/+$/, '');
  return a === ARM.appId || [ARM.resource, ...ARM.otherResources].some((r) => r.replace(/\/+$/, '') === a);
};

/** ARM's paths (reference §14): only what `az login` reads. */
export const armPaths = {
  subscriptions: '/subscriptions',
  tenants: '/tenants',
} as const;
