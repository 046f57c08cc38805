/**
 * The sign-in session Entra keeps across protocols (its ESTSAUTH cookie): once a user signed in
 * for one app, OIDC or SAML, other apps of the tenant sign them in without asking again. It also
 * remembers which apps the user signed in to in this browser session (SAML apps with the NameID
 * and SessionIndex they were given, OIDC apps with the ID token's sid), so that signing out of
 * one reaches the others (single logout, saml/logout.ts).
 *
 * All of it lives in the signed cookie itself: nothing is held on the server, and the list of
 * apps is capped, so the cookie stays under the 4 KB browsers keep.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import { findUser } from '../directory/lookup.js';
import type { Tenant, User } from '../directory/model.js';
import type { Transaction } from './transaction.js';

const cookieName = (tenant: Tenant) => `estsauth.${tenant.id}`;
/** The tenant's oidc-provider session cookie (provider.ts names it so): single logout ends that session too. */
export const providerSessionCookie = (tenantId: string) => `esctx.${tenantId}`;
/** SameSite=None lets an SP's cross-site POST (SAML) carry it; browsers require Secure for that. */
const options = (ctx: Context) => ({ signed: true, httpOnly: true, secure: ctx.secure, sameSite: ctx.secure ? ('none' as const) : ('lax' as const), overwrite: true });

/**
 * How many apps one session remembers for single logout (Entra's own limit (unverified)): the
 * oldest sign-in is forgotten first. Ten keeps the cookie near 2 KB with long NameIDs.
 */
export const MAX_SESSION_APPS = 10;

/** A SAML app the user signed in to in this session: what its LogoutRequest must name. */
export interface SamlParticipant {
  kind: 'saml';
  /** The app's client ID. */
  app: string;
  nameId: string;
  /** NameID Format URI, as the assertion carried it. */
  format: string;
  sessionIndex: string;
}

/** An OIDC app the user signed in to in this session: its front-channel logout gets `iss` and `sid`. */
export interface OidcParticipant {
  kind: 'oidc';
  app: string;
  /** The sid claim of the ID tokens it got. */
  sid: string;
  /** The endpoint version it signed in through: the `iss` its tokens carry. */
  v: 1 | 2;
}

export type Participant = SamlParticipant | OidcParticipant;

export interface SsoSession {
  /** The session's ID (a GUID). */
  id: string;
  user: User;
  /** When the user signed in (epoch ms): SAML's AuthnInstant. */
  authnInstant: number;
  /** The apps signed in to in this session, oldest first. */
  apps: Participant[];
}

/** What the cookie holds (short names: it travels with every request). */
interface Stored {
  u: string;
  t: number;
  s: string;
  a: Participant[];
}

/** This request's view of each tenant's session: what it read, or what it wrote since (undefined: cleared). */
function cache(ctx: Context): Map<string, SsoSession | undefined> {
  const state = ctx.state as { sso?: Map<string, SsoSession | undefined> };
  state.sso ??= new Map();
  return state.sso;
}

function parse(tenant: Tenant, raw: string | undefined): SsoSession | undefined {
  if (!raw) return undefined;
  try {
    const s = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Stored>;
    const user = findUser(tenant, typeof s.u === 'string' ? s.u : undefined);
    if (!user || typeof s.s !== 'string') return undefined;
    const apps = Array.isArray(s.a) ? s.a.filter((p): p is Participant => !!p && typeof p === 'object' && typeof p.app === 'string') : [];
    return { id: s.s, user, authnInstant: typeof s.t === 'number' ? s.t : Date.now(), apps };
  } catch {
    // A cookie of an older format, or one the browser mangled: no session.
    return undefined;
  }
}

function store(ctx: Context, tenant: Tenant, session: SsoSession): SsoSession {
  const value: Stored = { u: session.user.id, t: session.authnInstant, s: session.id, a: session.apps.slice(-MAX_SESSION_APPS) };
  ctx.cookies.set(cookieName(tenant), Buffer.from(JSON.stringify(value)).toString('base64url'), options(ctx));
  const kept = { ...session, apps: value.a };
  cache(ctx).set(tenant.id, kept);
  return kept;
}

export function readSso(ctx: Context, tenant: Tenant): SsoSession | undefined {
  const seen = cache(ctx);
  if (seen.has(tenant.id)) return seen.get(tenant.id);
  const session = parse(tenant, ctx.cookies.get(cookieName(tenant), { signed: true }));
  seen.set(tenant.id, session);
  return session;
}

/**
 * The user signed in: the session goes on (same ID, same apps) when it is theirs already, and
 * starts afresh for anyone else.
 */
export function writeSso(ctx: Context, tenant: Tenant, user: User, authnInstant = Date.now()): SsoSession {
  const current = readSso(ctx, tenant);
  const same = current?.user.id === user.id;
  return store(ctx, tenant, { id: same ? current.id : randomUUID(), user, authnInstant, apps: same ? current.apps : [] });
}

/** An app got a sign-in (an assertion, an authorization response) in this session: remember it for single logout. */
export function joinSso(ctx: Context, tenant: Tenant, participant: Participant): void {
  const current = readSso(ctx, tenant);
  if (!current) return;
  const apps = [...current.apps.filter((p) => p.app !== participant.app || p.kind !== participant.kind), participant];
  store(ctx, tenant, { ...current, apps });
}

/** Ends the session: the cookie is cleared; the session it was (its apps) is returned for single logout. */
export function clearSso(ctx: Context, tenant: Tenant): SsoSession | undefined {
  const ended = readSso(ctx, tenant);
  ctx.cookies.set(cookieName(tenant), '', { ...options(ctx), expires: new Date(0) });
  cache(ctx).set(tenant.id, undefined);
  return ended;
}

/**
 * Ends the tenant's OIDC session too (oidc-provider's own, behind its cookie), for a sign-out that
 * did not come through the provider (SAML): without this, an OIDC app would still get a code
 * without a sign-in. The provider is loaded only when the browser has such a session.
 */
export async function endProviderSession(ctx: Context, tx: Transaction): Promise<void> {
  const tenant = tx.tenant!;
  const name = providerSessionCookie(tenant.id);
  const id = ctx.cookies.get(name, { signed: true });
  if (!id) return;
  const engine = await tx.world.engine(tenant.id);
  const session = await engine.Session.find(id);
  await session?.destroy();
  ctx.cookies.set(name, null, { signed: true, httpOnly: true, sameSite: 'lax', overwrite: true });
}
