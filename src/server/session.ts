/**
 * The sign-in session Entra keeps across protocols (its ESTSAUTH cookie): once a user signed in
 * for one app, OIDC or SAML, other apps of the tenant sign them in without asking again.
 */
import type { Context } from 'koa';
import { findUser } from '../directory/lookup.js';
import type { Tenant, User } from '../directory/model.js';

const cookieName = (tenant: Tenant) => `estsauth.${tenant.id}`;
/** SameSite=None lets an SP's cross-site POST (SAML) carry it; browsers require Secure for that. */
const options = (ctx: Context) => ({ signed: true, httpOnly: true, secure: ctx.secure, sameSite: ctx.secure ? ('none' as const) : ('lax' as const), overwrite: true });

export interface SsoSession {
  user: User;
  /** When the user signed in (epoch ms): SAML's AuthnInstant. */
  authnInstant: number;
}

export function readSso(ctx: Context, tenant: Tenant): SsoSession | undefined {
  const [id, at] = (ctx.cookies.get(cookieName(tenant), { signed: true }) ?? '').split('|');
  const user = findUser(tenant, id);
  return user ? { user, authnInstant: Number(at) || Date.now() } : undefined;
}

export function writeSso(ctx: Context, tenant: Tenant, user: User, authnInstant = Date.now()): void {
  ctx.cookies.set(cookieName(tenant), `${user.id}|${authnInstant}`, options(ctx));
}

export function clearSso(ctx: Context, tenant: Tenant): void {
  ctx.cookies.set(cookieName(tenant), '', { ...options(ctx), expires: new Date(0) });
}
