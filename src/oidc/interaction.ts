/** Sign-in interactions: login_hint auto sign-in (CI needs no browser), account picker, password form. */
import type { Context } from 'koa';
import type { Tenant, User } from '../directory/model.js';
import { findApp, findUser, isAssigned } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import { gate } from '../faults/gate.js';
import { readSso, writeSso } from '../server/session.js';
import { requestBody, requestIds } from '../server/context.js';
import { errorPage, loginPage } from '../ui/pages.js';
import type { Engine } from './provider.js';

type Details = Awaited<ReturnType<Engine['interactionDetails']>>;

function wants(details: Details, prompt: string): boolean {
  return String(details.params.prompt ?? '').split(' ').includes(prompt);
}

async function finish(ctx: Context, engine: Engine, details: Details, user: User): Promise<void> {
  const app = findApp(engine.tenant, details.params.client_id as string);
  // Faults for this user, when the authorize request did not name them (no login_hint).
  if (!details.params.login_hint) await gate(ctx, { endpoint: 'authorize', tenant: engine.tenant, app, user });
  if (app && !isAssigned(app, user)) {
    // Entra shows its error page after sign-in; the app gets nothing.
    ctx.status = 200;
    ctx.type = 'html';
    ctx.body = errorPage(new EntraError(50105, { params: { appName: app.name, appId: app.clientId } }), requestIds(ctx));
    return;
  }
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

export async function showLogin(ctx: Context, engine: Engine): Promise<void> {
  const details = await engine.interactionDetails(ctx.req, ctx.res);
  const tenant = engine.tenant;
  if (details.prompt.name === 'consent' && details.session?.accountId) return consent(ctx, engine, details);
  const hinted = findUser(tenant, details.params.login_hint as string | undefined);
  const forced = wants(details, 'login') || wants(details, 'select_account');
  if (hinted && tenant.autoSignIn && !forced) return finish(ctx, engine, details, hinted);
  // Single sign-on: signed in already (another app, SAML too) and no one else asked for.
  const sso = readSso(ctx, tenant);
  if (sso && !forced && (!hinted || hinted.id === sso.user.id)) return finish(ctx, engine, details, sso.user);
  if (wants(details, 'select_account')) return page(ctx, tenant, details, {});
  page(ctx, tenant, details, hinted ? { user: hinted } : {});
}

export async function submitLogin(ctx: Context, engine: Engine): Promise<void> {
  const details = await engine.interactionDetails(ctx.req, ctx.res);
  const tenant = engine.tenant;
  const { username, password } = requestBody(ctx);
  if (!username) return page(ctx, tenant, details, { error: 'Enter a valid email address, phone number, or Skype name.' });
  const user = findUser(tenant, username);
  if (password === undefined) {
    if (!user) return page(ctx, tenant, details, { error: "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin." });
    return page(ctx, tenant, details, { user });
  }
  if (!user || user.password !== password) {
    return page(ctx, tenant, details, { username, error: 'Your account or password is incorrect. If you don\'t remember your password, reset it now.' });
  }
  return finish(ctx, engine, details, user);
}
