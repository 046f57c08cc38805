/**
 * The device code endpoints: /{tenant}/oauth2/v2.0/devicecode hands out codes, /devicelogin is the
 * page where a person enters one and signs in (Entra's is microsoft.com/devicelogin).
 */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Context } from 'koa';
import type { Tenant } from '../directory/model.js';
import { findApp, findUser, isAssigned } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import { gate } from '../faults/gate.js';
import { requestBody } from '../server/context.js';
import { setErrorChannel } from '../server/errors.js';
import { worldOf } from '../server/world.js';
import { esc, layout, loginPage } from '../ui/pages.js';
import { resolveScopes } from './scopes.js';

export const DEVICE_LOGIN_PATH = '/devicelogin';

function codePage(ctx: Context, error?: string) {
  ctx.type = 'html';
  ctx.body = layout(
    'Enter code',
    `<div class="brand">Microsoft</div><h1>Enter code</h1><p>Enter the code displayed on your app or device.</p>${error ? `<p class="error" role="alert" id="error">${esc(error)}</p>` : ''}
<form method="post" action="${DEVICE_LOGIN_PATH}"><label for="otc">Code</label><input type="text" id="otc" name="otc" autocomplete="off" required autofocus><button type="submit">Next</button></form>`,
  );
}

function donePage(ctx: Context, text: string) {
  ctx.type = 'html';
  ctx.body = layout('Device sign-in', `<div class="brand">Microsoft</div><h1>${esc(text)}</h1><p>You may now close this window.</p>`);
}

export function deviceRoutes(router: Router, origin: string, resolveTenant: Middleware, tenantOf: (ctx: Context) => { tenant: Tenant }): void {
  const issue = async (ctx: Context) => {
    const { tenant } = tenantOf(ctx);
    const body = requestBody(ctx);
    if (!body.client_id) throw new EntraError(900144, { params: { param: 'client_id' } });
    const app = findApp(tenant, body.client_id);
    if (!app) throw new EntraError(700016, { params: { appId: body.client_id, tenant: tenant.domain } });
    if (!body.scope) throw new EntraError(900144, { params: { param: 'scope' } });
    resolveScopes(tenant, body.scope);
    await gate(ctx, { endpoint: 'token', tenant, app, grantType: 'device_code' });
    const code = worldOf(ctx).devices.create(tenant, app, body.scope, tenant.deviceCode);
    const approver = findUser(tenant, tenant.deviceCode.autoApprove);
    if (approver) worldOf(ctx).devices.approve(code, approver);
    const uri = `${origin}${DEVICE_LOGIN_PATH}`;
    ctx.set('Cache-Control', 'no-store, no-cache');
    ctx.body = {
      user_code: code.userCode,
      device_code: code.deviceCode,
      verification_uri: uri,
      expires_in: tenant.deviceCode.expiresIn,
      interval: code.interval,
      message: `To sign in, use a web browser to open the page ${uri} and enter the code ${code.userCode} to authenticate.`,
    };
  };
  router.post('/:tenant/oauth2/v2.0/devicecode', resolveTenant, issue);
  router.post('/:tenant/oauth2/devicecode', resolveTenant, issue);

  router.get(DEVICE_LOGIN_PATH, (ctx) => codePage(ctx));
  router.post(DEVICE_LOGIN_PATH, (ctx) => {
    const otc = requestBody(ctx).otc ?? '';
    const code = worldOf(ctx).devices.byUserCode(otc);
    if (!code) return codePage(ctx, new EntraError(70018).message);
    const tenant = worldOf(ctx).directory.tenants.find((t) => t.id === code.tenantId)!;
    ctx.type = 'html';
    ctx.body = loginPage({ tenant, action: `${DEVICE_LOGIN_PATH}/${code.userCode}`, appName: findApp(tenant, code.clientId)?.name });
  });
  router.post(`${DEVICE_LOGIN_PATH}/:code`, async (ctx) => {
    setErrorChannel(ctx, { kind: 'page' });
    const devices = worldOf(ctx).devices;
    const code = devices.byUserCode(String(ctx.params.code));
    if (!code) return codePage(ctx, new EntraError(70018).message);
    const tenant = worldOf(ctx).directory.tenants.find((t) => t.id === code.tenantId)!;
    const app = findApp(tenant, code.clientId)!;
    const { username, password, decline } = requestBody(ctx);
    if (decline !== undefined) {
      devices.decline(code);
      return donePage(ctx, `You have declined to sign in to ${app.name} on your device.`);
    }
    const user = findUser(tenant, username);
    const again = (error?: string) => {
      ctx.type = 'html';
      ctx.body = loginPage({ tenant, action: ctx.path, appName: app.name, ...(user ? { user } : {}), ...(error ? { error } : {}) });
    };
    if (!user) return again(username ? 'This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.' : undefined);
    if (password === undefined) return again();
    if (user.password !== password) return again("Your account or password is incorrect. If you don't remember your password, reset it now.");
    if (!isAssigned(app, user)) throw new EntraError(50105, { params: { appName: app.name, appId: app.clientId } });
    devices.approve(code, user);
    donePage(ctx, `You have signed in to the ${app.name} application on your device.`);
  });
}
