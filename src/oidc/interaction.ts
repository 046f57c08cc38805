/**
 * Sign-in interactions: login_hint auto sign-in (CI needs no browser), single sign-on, the account
 * picker and the password form. Each says once who signed in (tx.identify), which evaluates the
 * user-scoped fault rules for them.
 */
import type { Context } from 'koa';
import type { Tenant, User } from '../directory/model.js';
import { findApp, findUser, isAssigned } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import type { IdentifiedBy } from '../server/events.js';
import { readSso, writeSso } from '../server/session.js';
import type { Transaction } from '../server/transaction.js';
import { loginPage } from '../ui/pages.js';
import type { Engine } from './provider.js';

type Details = Awaited<ReturnType<Engine['interactionDetails']>>;

function wants(details: Details, prompt: string): boolean {
  return String(details.params.prompt ?? '').split(' ').includes(prompt);
}

async function finish(ctx: Context, tx: Transaction, engine: Engine, user: User, by: IdentifiedBy): Promise<void> {
  await tx.identify(user, by);
  const app = tx.app;
  // Entra shows its error page after sign-in; the app gets nothing (50105 is a page-only error).
  if (app && !isAssigned(app, user)) throw new EntraError(50105, { params: { appName: app.name, appId: app.clientId } });
  writeSso(ctx, engine.tenant, user);
  const result = { login: { accountId: user.id, amr: ['pwd'], remember: true }, select_account: {} };
  const returnTo = await engine.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.redirect(returnTo);
}

function page(ctx: Context, tenant: Tenant, details: Details, extra: { user?: User; username?: string; error?: string }) {
  ctx.type = 'html';
  ctx.body = loginPage({ tenant, action: ctx.path, appName: findApp(tenant, details.params.client_id as string)?.name, ...extra });
}

/**
 * Entra consents per app, not per request: when the provider still asks (it always does for
 * native clients), consent to what was requested and carry on.
 */
async function consent(ctx: Context, engine: Engine, details: Details): Promise<void> {
  const { Grant } = engine;
  const grant = (details.grantId && (await Grant.find(details.grantId))) || new Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
  const requested = String(details.params.scope ?? '');
  grant.addOIDCScope(requested.split(' ').filter((s) => ['openid', 'profile', 'email', 'offline_access'].includes(s)).join(' '));
  for (const indicator of Object.keys((details.prompt.details as { missingResourceScopes?: Record<string, string[]> }).missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, requested);
  }
  const grantId = await grant.save();
  const returnTo = await engine.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  ctx.redirect(returnTo);
}

/** What the interaction is about: the app and login_hint of the authorize request it continues. */
async function details(ctx: Context, tx: Transaction, engine: Engine): Promise<Details> {
  let d: Details;
  try {
    d = await engine.interactionDetails(ctx.req, ctx.res);
  } catch {
    // The interaction cookie did not come back, or the sign-in is over an hour old.
    throw new EntraError(90023, { params: { detail: 'This sign-in has expired or its cookie was not sent back: start the sign-in again from the application, in a browser that keeps cookies for this site.' } });
  }
  tx.app = findApp(engine.tenant, d.params.client_id as string);
  tx.userHint = d.params.login_hint as string | undefined;
  return d;
}

export async function showLogin(ctx: Context, tx: Transaction, engine: Engine): Promise<void> {
  const d = await details(ctx, tx, engine);
  const tenant = engine.tenant;
  if (d.prompt.name === 'consent' && d.session?.accountId) return consent(ctx, engine, d);
  const hinted = findUser(tenant, tx.userHint);
  const forced = wants(d, 'login') || wants(d, 'select_account');
  if (hinted && tenant.autoSignIn && !forced) return finish(ctx, tx, engine, hinted, 'login_hint');
  // Single sign-on: signed in already (another app, SAML too) and no one else asked for.
  const sso = readSso(ctx, tenant);
  if (sso && !forced && (!hinted || hinted.id === sso.user.id)) return finish(ctx, tx, engine, sso.user, 'session');
  if (wants(d, 'select_account')) return page(ctx, tenant, d, {});
  page(ctx, tenant, d, hinted ? { user: hinted } : {});
}

export async function submitLogin(ctx: Context, tx: Transaction, engine: Engine): Promise<void> {
  const d = await details(ctx, tx, engine);
  const tenant = engine.tenant;
  const { username, password } = tx.body;
  if (!username) return page(ctx, tenant, d, { error: 'Enter a valid email address, phone number, or Skype name.' });
  const user = findUser(tenant, username);
  if (password === undefined) {
    if (!user) return page(ctx, tenant, d, { error: "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin." });
    return page(ctx, tenant, d, { user });
  }
  if (!user || user.password !== password) {
    return page(ctx, tenant, d, { username, error: 'Your account or password is incorrect. If you don\'t remember your password, reset it now.' });
  }
  return finish(ctx, tx, engine, user, 'password');
}
