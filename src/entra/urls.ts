/** Entra's URL layout and fixed identifiers (reference §1–§3). Fidelity fixes to paths belong here. */

export const GRAPH = {
  appId: '00000003-0000-0000-c000-000000000000',
  resource: 'https://graph.microsoft.com',
  /** Delegated permissions our Graph exposes; any app may ask for them (user consent). */
  scopes: ['User.Read', 'User.ReadBasic.All', 'GroupMember.Read.All', 'openid', 'profile', 'email', 'offline_access'],
} as const;

/** OIDC scopes: they select ID-token claims and never name a resource. */
export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

export const paths = {
  v2: {
    discovery: '/v2.0/.well-known/openid-configuration',
    authorize: '/oauth2/v2.0/authorize',
    token: '/oauth2/v2.0/token',
    logout: '/oauth2/v2.0/logout',
    devicecode: '/oauth2/v2.0/devicecode',
    keys: '/discovery/v2.0/keys',
  },
  v1: {
    discovery: '/.well-known/openid-configuration',
    authorize: '/oauth2/authorize',
    token: '/oauth2/token',
    logout: '/oauth2/logout',
    devicecode: '/oauth2/devicecode',
    keys: '/discovery/keys',
    userinfo: '/openid/userinfo',
    checksession: '/oauth2/checksession',
  },
  /** Served on our own host: Entra's is graph.microsoft.com/oidc/userinfo. */
  userinfo: '/oidc/userinfo',
  kerberos: '/kerberos',
  saml2: '/saml2',
  wsfed: '/wsfed',
} as const;

export const v2Issuer = (origin: string, tid: string) => `${origin}/${tid}/v2.0`;
/** v1 tokens name Entra's STS whatever host served them, as the real service does. */
export const v1Issuer = (tid: string) => `https://sts.windows.net/${tid}/`;
export const errorUri = (origin: string, code: number) => `${origin}/error?code=${code}`;

/** Segments that name a tenant: a GUID, a domain name, or an alias. */
export const TENANT_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|common|organizations|consumers|[a-z0-9-]+(?:\.[a-z0-9-]+)+)$/i;
