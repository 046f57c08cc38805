/**
 * Token claim sets as Entra issues them (reference §4): ID token v2, access tokens v1/v2 for users
 * and for apps, userinfo, client_info. Pure functions of the directory; signing happens elsewhere.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { App, Tenant, User } from '../directory/model.js';
import { DEFAULTS } from '../scenario/defaults.js';
import { GRAPH, v1Issuer, v2Issuer } from './urls.js';

export type Claims = Record<string, unknown>;

const b64url = (b: Buffer) => b.toString('base64url');
const guidBytes = (g: string) => Buffer.from(g.replace(/-/g, ''), 'hex');

/** `sub` is pairwise: the same user gets a different 43-character subject in each app. */
export function pairwiseSub(tenantId: string, appId: string, userId: string): string {
  return b64url(createHash('sha256').update(`${tenantId}|${appId}|${userId}`).digest());
}

/** Opaque claims Entra uses internally; random, shaped like the real ones. */
export const opaque = {
  aio: () => randomBytes(40).toString('base64'),
  uti: () => b64url(randomBytes(16)),
  rh: (tid: string, appId: string) => `0.A${b64url(Buffer.concat([guidBytes(tid), guidBytes(appId)]))}.`,
};

/** Entra back-dates iat/nbf by 5 minutes and counts exp from the issue time. */
export function times(now: number, lifetime: number) {
  return { iat: now - DEFAULTS.backdateSeconds, nbf: now - DEFAULTS.backdateSeconds, exp: now + lifetime };
}

/** MSAL's client_info: base64url (no padding) of {"uid","utid"}; homeAccountId = uid.utid. */
export function clientInfo(tenant: Tenant, user: User): string {
  return b64url(Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id })));
}

export interface IdTokenInput {
  origin: string;
  tenant: Tenant;
  client: App;
  user: User;
  scopes: ReadonlySet<string>;
  now: number;
  nonce?: string;
  sid?: string;
  atHash?: string;
  cHash?: string;
}

export function idTokenV2(i: IdTokenInput): Claims {
  const profile = i.scopes.has('profile');
  return {
    aud: i.client.clientId,
    iss: v2Issuer(i.origin, i.tenant.id),
    ...times(i.now, DEFAULTS.idTokenSeconds),
    aio: opaque.aio(),
    ...(i.cHash ? { c_hash: i.cHash } : {}),
    ...(i.atHash ? { at_hash: i.atHash } : {}),
    ...(i.scopes.has('email') && i.user.mail ? { email: i.user.mail } : {}),
    ...(profile ? { name: i.user.name } : {}),
    ...(i.nonce !== undefined ? { nonce: i.nonce } : {}),
    ...(profile ? { oid: i.user.id, preferred_username: i.user.upn } : {}),
    rh: opaque.rh(i.tenant.id, i.client.clientId),
    ...(i.sid ? { sid: i.sid } : {}),
    sub: pairwiseSub(i.tenant.id, i.client.clientId, i.user.id),
    tid: i.tenant.id,
    uti: opaque.uti(),
    ver: '2.0',
  };
}

export interface AccessTokenInput {
  origin: string;
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
}

export function accessToken(i: AccessTokenInput): Claims {
  const v2 = i.resource.api?.accessTokenVersion === 2;
  const tid = i.tenant.id;
  const appOnly = !i.user;
  const subject = i.user ? pairwiseSub(tid, i.client.clientId, i.user.id) : i.client.servicePrincipalId;
  const oid = i.user ? i.user.id : i.client.servicePrincipalId;
  const isGraph = i.resource.clientId === GRAPH.appId;
  const roles = i.roles && i.roles.length > 0 ? { roles: i.roles } : {};
  const scp = i.scp && i.scp.length > 0 ? { scp: i.scp.join(' ') } : {};
  const base = { ...times(i.now, i.lifetime), aio: opaque.aio() };
  if (v2) {
    return {
      aud: i.resource.clientId,
      iss: v2Issuer(i.origin, tid),
      ...base,
      azp: i.client.clientId,
      azpacr: i.clientAuth,
      ...(appOnly ? { idtyp: 'app' } : { name: i.user!.name }),
      oid,
      ...(appOnly ? {} : { preferred_username: i.user!.upn }),
      rh: opaque.rh(tid, i.resource.clientId),
      ...roles,
      ...scp,
      ...(i.sid ? { sid: i.sid } : {}),
      sub: subject,
      tid,
      uti: opaque.uti(),
      ver: '2.0',
    };
  }
  return {
    aud: i.audience,
    iss: v1Issuer(tid),
    ...base,
    ...(appOnly ? {} : { acr: '1', amr: ['pwd'] }),
    ...(isGraph ? { app_displayname: i.client.name } : {}),
    appid: i.client.clientId,
    appidacr: i.clientAuth,
    ...(appOnly
      ? { idp: v1Issuer(tid), idtyp: 'app' }
      : { family_name: i.user!.surname, given_name: i.user!.givenName, ...(isGraph ? { idtyp: 'user' } : {}), name: i.user!.name }),
    oid,
    rh: opaque.rh(tid, i.resource.clientId),
    ...roles,
    ...scp,
    ...(i.sid ? { sid: i.sid } : {}),
    sub: subject,
    tid,
    ...(appOnly ? {} : { unique_name: i.user!.upn, upn: i.user!.upn }),
    uti: opaque.uti(),
    ver: '1.0',
  };
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
