/**
 * Token claim sets as Entra issues them (reference §4): ID token v2, access tokens v1/v2 for users
 * and for apps, userinfo, client_info. Pure functions of the directory; signing happens elsewhere.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { App, Tenant, User } from '../directory/model.js';
import { DEFAULTS } from '../scenario/defaults.js';
import { DEFAULT_MEMBER_ROLE, GRAPH, v1Issuer, v2Issuer, type Origins } from './urls.js';

export type Claims = Record<string, unknown>;

const b64url = (b: Buffer) => b.toString('base64url');
const guidBytes = (g: string) => Buffer.from(g.replace(/-/g, ''), 'hex');

/** `sub` is pairwise: the same user gets a different 43-character subject in each app. */
export function pairwiseSub(tenantId: string, appId: string, userId: string): string {
  return b64url(createHash('sha256').update(`${tenantId}|${appId}|${userId}`).digest());
}

/** Random bytes from a pooled buffer: one getrandom call per few hundred tokens, not two per token. */
const pool = { buf: Buffer.alloc(0), at: 0 };
function random(n: number): Buffer {
  if (pool.at + n > pool.buf.length) {
    pool.buf = randomBytes(8192);
    pool.at = 0;
  }
  pool.at += n;
  return pool.buf.subarray(pool.at - n, pool.at);
}

/** rh is the same for a tenant and app every time: made once per pair (a scenario's tenants and apps, bounded all the same). */
const rhs = new Map<string, string>();
function rh(tid: string, appId: string): string {
  const key = `${tid}|${appId}`;
  let v = rhs.get(key);
  if (v === undefined) {
    if (rhs.size >= 1024) rhs.clear();
    v = `0.A${b64url(Buffer.concat([guidBytes(tid), guidBytes(appId)]))}.`;
    rhs.set(key, v);
  }
  return v;
}

/** Opaque claims Entra uses internally; random, shaped like the real ones. */
export const opaque = {
  aio: () => random(40).toString('base64'),
  uti: () => b64url(random(16)),
  rh,
};

/** Entra back-dates iat/nbf by 5 minutes and counts exp from the issue time. */
export function times(now: number, lifetime: number) {
  return { iat: now - DEFAULTS.backdateSeconds, nbf: now - DEFAULTS.backdateSeconds, exp: now + lifetime };
}

/** at_hash / c_hash: base64url of the left half of the SHA-256 of the token or code. */
export function halfHash(value: string): string {
  return b64url(createHash('sha256').update(value).digest().subarray(0, 16));
}

/** MSAL's client_info: base64url (no padding) of {"uid","utid"}; homeAccountId = uid.utid. */
export function clientInfo(tenant: Tenant, user: User): string {
  return b64url(Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id })));
}

/** Past this many groups a JWT carries a pointer to Graph instead of the list (reference §4). */
export const JWT_GROUPS_LIMIT = 200;

/** Tokens from /authorize (implicit) carry at most this many groups, else `hasgroups` (reference §4). */
export const IMPLICIT_GROUPS_LIMIT = 6;

/** `groups`, or the overage pointer, when the app's groupMembershipClaims asks for them. */
export function groupClaims(app: App, tenant: Tenant, user: User, implicit = false): Claims {
  if (app.groupMembershipClaims === 'None' || user.groups.length === 0) return {};
  if (implicit && user.groups.length > IMPLICIT_GROUPS_LIMIT) return { hasgroups: true };
  if (app.groupClaimNames && user.groups.length <= JWT_GROUPS_LIMIT) return { groups: user.groups.map((g) => g.name) };
  if (user.groups.length > JWT_GROUPS_LIMIT) {
    return {
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: `https://graph.windows.net/${tenant.id}/users/${user.id}/getMemberObjects` } },
    };
  }
  return { groups: user.groups.map((g) => g.id) };
}

/** The wids claim: the user's directory roles plus the default member role. */
export const widsOf = (user: User) => [...user.directoryRoles, DEFAULT_MEMBER_ROLE];

/** Optional claims an app asked for in Token configuration; values the claim set does not already hold. */
export function optionalClaims(names: readonly string[], tenant: Tenant, user: User, now: number): Claims {
  const out: Claims = {};
  for (const n of names) {
    switch (n) {
      case 'email':
        if (user.mail) out.email = user.mail;
        break;
      case 'verified_primary_email':
        if (user.mail) out.verified_primary_email = [user.mail];
        break;
      case 'upn':
      case 'preferred_username':
        out[n] = user.upn;
        break;
      case 'family_name':
        out.family_name = user.surname;
        break;
      case 'given_name':
        out.given_name = user.givenName;
        break;
      case 'login_hint':
        out.login_hint = b64url(Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id, upn: user.upn })));
        break;
      case 'acct':
        out.acct = 0; // 0: a member of this tenant
        break;
      case 'auth_time':
        out.auth_time = now - DEFAULTS.backdateSeconds;
        break;
      case 'ctry':
      case 'tenant_ctry':
        out[n] = 'US';
        break;
      case 'tenant_region_scope':
        out.tenant_region_scope = tenant.region;
        break;
      case 'idtyp':
        out.idtyp = 'user';
        break;
      case 'ipaddr':
        out.ipaddr = '127.0.0.1';
        break;
      case 'wids':
        out.wids = widsOf(user);
        break;
    }
  }
  return out;
}

export interface IdTokenInput {
  origin: Origins;
  tenant: Tenant;
  client: App;
  user: User;
  scopes: ReadonlySet<string>;
  now: number;
  nonce?: string;
  sid?: string;
  atHash?: string;
  cHash?: string;
  /** Issued from /authorize (implicit or hybrid): the group overage limit is 6. */
  implicit?: boolean;
}

/** Copies `from`'s claims into `to` (a claim `to` already has keeps its place, as in a spread). */
function add(to: Claims, from: Claims): void {
  for (const k in from) to[k] = from[k];
}

// The claim sets below are built key by key, in Entra's order, rather than spread from many small
// objects: they are made for every token.

export function idTokenV2(i: IdTokenInput): Claims {
  const profile = i.scopes.has('profile');
  const roles = i.user.appRoles.get(i.client.clientId);
  const c: Claims = { aud: i.client.clientId, iss: v2Issuer(i.origin, i.tenant.id), ...times(i.now, i.tenant.lifetimes.idToken), aio: opaque.aio() };
  if (i.cHash) c.c_hash = i.cHash;
  if (i.atHash) c.at_hash = i.atHash;
  if (i.scopes.has('email') && i.user.mail) c.email = i.user.mail;
  add(c, groupClaims(i.client, i.tenant, i.user, i.implicit));
  if (profile) c.name = i.user.name;
  if (i.nonce !== undefined) c.nonce = i.nonce;
  if (profile) {
    c.oid = i.user.id;
    c.preferred_username = i.user.upn;
  }
  c.rh = opaque.rh(i.tenant.id, i.client.clientId);
  if (roles?.length) c.roles = roles;
  if (i.sid) c.sid = i.sid;
  c.sub = pairwiseSub(i.tenant.id, i.client.clientId, i.user.id);
  c.tid = i.tenant.id;
  c.uti = opaque.uti();
  c.ver = '2.0';
  add(c, optionalClaims(i.client.optionalClaims.idToken, i.tenant, i.user, i.now));
  return c;
}

/** ID token from the v1 endpoints (reference §4, MSAL's v1 fixture). */
export function idTokenV1(i: IdTokenInput): Claims {
  return {
    aud: i.client.clientId,
    iss: v1Issuer(i.tenant.id),
    ...times(i.now, i.tenant.lifetimes.idToken),
    amr: ['pwd'],
    ...(i.user.mail ? { email: i.user.mail } : {}),
    family_name: i.user.surname,
    given_name: i.user.givenName,
    ...groupClaims(i.client, i.tenant, i.user),
    name: i.user.name,
    ...(i.nonce !== undefined ? { nonce: i.nonce } : {}),
    oid: i.user.id,
    rh: opaque.rh(i.tenant.id, i.client.clientId),
    sub: pairwiseSub(i.tenant.id, i.client.clientId, i.user.id),
    tid: i.tenant.id,
    unique_name: i.user.upn,
    upn: i.user.upn,
    uti: opaque.uti(),
    ver: '1.0',
  };
}

export interface AccessTokenInput {
  origin: Origins;
  tenant: Tenant;
  client: App;
  /** The API the token is for. */
  resource: App;
  /** The identifier the client named the resource by: v1 tokens carry it as `aud`. */
  audience: string;
  /** Signed-in user; absent for app-only (client credentials) tokens. */
  user?: User;
  /** Delegated permissions (short names) for user tokens. */
  scp?: string[];
  /** Application permissions for app-only tokens. */
  roles?: string[];
  /** 0 public client, 1 secret, 2 certificate. */
  clientAuth: '0' | '1' | '2';
  now: number;
  lifetime: number;
  sid?: string;
  /** A managed identity's ARM resource ID (xms_mirid, reference §12.4). */
  mirid?: string;
}

export function accessToken(i: AccessTokenInput): Claims {
  const v2 = i.resource.api?.accessTokenVersion === 2;
  const tid = i.tenant.id;
  const user = i.user;
  const subject = user ? pairwiseSub(tid, i.client.clientId, user.id) : i.client.servicePrincipalId;
  const oid = user ? user.id : i.client.servicePrincipalId;
  const isGraph = i.resource.clientId === GRAPH.appId;
  const roles = user ? (user.appRoles.get(i.resource.clientId) ?? []) : (i.roles ?? []);
  const c: Claims = { aud: v2 ? i.resource.clientId : i.audience, iss: v2 ? v2Issuer(i.origin, tid) : v1Issuer(tid), ...times(i.now, i.lifetime), aio: opaque.aio() };
  if (v2) {
    c.azp = i.client.clientId;
    c.azpacr = i.clientAuth;
    if (user) {
      add(c, groupClaims(i.resource, i.tenant, user));
      c.name = user.name;
    } else c.idtyp = 'app';
    c.oid = oid;
    if (user) c.preferred_username = user.upn;
  } else {
    if (user) {
      c.acr = '1';
      c.amr = ['pwd'];
    }
    if (isGraph) c.app_displayname = i.client.name;
    c.appid = i.client.clientId;
    c.appidacr = i.clientAuth;
    if (user) {
      c.family_name = user.surname;
      c.given_name = user.givenName;
      add(c, groupClaims(i.resource, i.tenant, user));
      if (isGraph) c.idtyp = 'user';
      c.name = user.name;
    } else {
      c.idp = v1Issuer(tid);
      c.idtyp = 'app';
    }
    c.oid = oid;
  }
  c.rh = opaque.rh(tid, i.resource.clientId);
  if (roles.length > 0) c.roles = roles;
  if (i.scp && i.scp.length > 0) c.scp = i.scp.join(' ');
  if (i.sid) c.sid = i.sid;
  c.sub = subject;
  c.tid = tid;
  if (!v2 && user) {
    c.unique_name = user.upn;
    c.upn = user.upn;
  }
  c.uti = opaque.uti();
  c.ver = v2 ? '2.0' : '1.0';
  if (i.mirid) c.xms_mirid = i.mirid;
  // wids: always in Graph's tokens; elsewhere when the API asks for directory roles (groupMembershipClaims All).
  if (user && (isGraph || i.resource.groupMembershipClaims === 'All')) c.wids = widsOf(user);
  if (user) add(c, optionalClaims(i.resource.optionalClaims.accessToken, i.tenant, user, i.now));
  return c;
}

/** Graph's OIDC userinfo (reference §11): `sub` equals the app's ID-token `sub`. */
export function userinfo(tenant: Tenant, clientId: string, user: User, scopes: ReadonlySet<string>): Claims {
  return {
    sub: pairwiseSub(tenant.id, clientId, user.id),
    ...(scopes.has('profile')
      ? { name: user.name, family_name: user.surname, given_name: user.givenName, picture: `${GRAPH.resource}/v1.0/me/photo/$value` }
      : {}),
    ...(scopes.has('email') && user.mail ? { email: user.mail } : {}),
  };
}

/** SAML attribute names Entra uses (reference §10.3). */
export const SAML_CLAIMS = {
  tenantid: 'http://schemas.microsoft.com/identity/claims/tenantid',
  objectidentifier: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  displayname: 'http://schemas.microsoft.com/identity/claims/displayname',
  identityprovider: 'http://schemas.microsoft.com/identity/claims/identityprovider',
  authnmethodsreferences: 'http://schemas.microsoft.com/claims/authnmethodsreferences',
  givenname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  emailaddress: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  groups: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
  groupsLink: 'http://schemas.microsoft.com/claims/groups.link',
  role: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
} as const;

export const AMR_PASSWORD = 'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password';

/** A non-gallery app's default "Attributes & Claims". */
const DEFAULT_SAML_CLAIMS: Record<string, string> = {
  [SAML_CLAIMS.givenname]: 'user.givenname',
  [SAML_CLAIMS.surname]: 'user.surname',
  [SAML_CLAIMS.emailaddress]: 'user.mail',
  [SAML_CLAIMS.name]: 'user.userprincipalname',
};

/** Entra emits no groups claim past 150 groups in SAML; it links to Graph instead. */
export const SAML_GROUPS_LIMIT = 150;

function sourceValue(user: User, source: string): string[] {
  switch (source) {
    case 'user.userprincipalname':
      return [user.upn];
    case 'user.mail':
      return user.mail ? [user.mail] : [];
    case 'user.givenname':
      return user.givenName ? [user.givenName] : [];
    case 'user.surname':
      return user.surname ? [user.surname] : [];
    case 'user.displayname':
      return [user.name];
    case 'user.objectid':
      return [user.id];
    case 'user.groups':
      return user.groups.map((g) => g.id);
    default:
      return [];
  }
}

/** The AttributeStatement, in Entra's order: fixed claims first, then the app's; empty values are omitted. */
export function samlAttributes(tenant: Tenant, app: App, user: User): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = [
    [SAML_CLAIMS.tenantid, [tenant.id]],
    [SAML_CLAIMS.objectidentifier, [user.id]],
    [SAML_CLAIMS.displayname, [user.name]],
    [SAML_CLAIMS.identityprovider, [`https://sts.windows.net/${tenant.id}/`]],
    [SAML_CLAIMS.authnmethodsreferences, [AMR_PASSWORD]],
  ];
  for (const [name, source] of Object.entries(app.saml?.claims ?? DEFAULT_SAML_CLAIMS)) {
    const values = sourceValue(user, source);
    if (values.length) out.push([name, values]);
  }
  const groups = app.saml?.groups ?? 'none';
  if (groups !== 'none' && user.groups.length) {
    if (user.groups.length > SAML_GROUPS_LIMIT) {
      out.push([SAML_CLAIMS.groupsLink, [`https://graph.windows.net/${tenant.id}/users/${user.id}/getMemberObjects`]]);
    } else {
      out.push([SAML_CLAIMS.groups, user.groups.map((g) => (groups === 'names' ? g.name : g.id))]);
    }
  }
  return out;
}
