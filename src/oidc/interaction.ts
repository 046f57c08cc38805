/** Sign-in interactions: login_hint auto sign-in (CI needs no browser), account picker, password form. */
import type { Context } from 'koa';
import type { Tenant, User } from '../directory/model.js';
import { findApp, findUser, isAssigned } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import { requestBody, requestIds } from '../server/context.js';
import { errorPage, loginPage } from '../ui/pages.js';
import type { Engine } from './provider.js';

type Details = Awaited<ReturnType<Engine['interactionDetails']>>;

function wants(details: Details, prompt: string): boolean {
  return String(details.params.prompt ?? '').split(' ').includes(prompt);
}

async function finish(ctx: Context, engine: Engine, details: Details, user: User): Promise<void> {
  const app = findApp(engine.tenant, details.params.client_id as string);
  if (app && !isAssigned(app, user)) {
    // Entra shows its error page after sign-in; the app gets nothing.
    ctx.status = 200;
    ctx.type = 'html';
    ctx.body = errorPage(new EntraError(50105, { params: { appName: app.name, appId: app.clientId } }), requestIds(ctx));
    return;
  }
  const result = { login: { accountId: user.id, amr: ['pwd'], remember: true }, select_account: {} };
  const returnTo = await engine.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.redirect(returnTo);
}

function page(ctx: Context, tenant: Tenant, details: Details, extra: { user?: User; username?: string; error?: string }) {
  ctx.type = 'html';
  ctx.body = loginPage({ tenant, action: ctx.path, appName: findApp(tenant, details.params.client_id as string)?.name, ...extra });
}

export async function showLogin(ctx: Context, engine: Engine): Promise<void> {
  const details = await engine.interactionDetails(ctx.req, ctx.res);
  const tenant = engine.tenant;
  const hinted = findUser(tenant, details.params.login_hint as string | undefined);
  const forced = wants(details, 'login') || wants(details, 'select_account');
  if (hinted && tenant.autoSignIn && !forced) return finish(ctx, engine, details, hinted);
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
