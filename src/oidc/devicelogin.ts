/**
 * The device code endpoints: /{tenant}/oauth2/v2.0/devicecode hands out codes, /devicelogin is the
 * page where a person enters one and signs in (Entra's is microsoft.com/devicelogin).
 */
import type { Context } from 'koa';
import { findApp, findUser, isAssigned } from '../directory/lookup.js';
import { SIGN_IN_PAGE_TEXT } from '../entra/aadsts.js';
import { EntraError } from '../entra/errors.js';
import { noStore } from '../entra/render.js';
import { type Handlers, url } from '../server/routes.js';
import type { Transaction } from '../server/transaction.js';
import { esc, layout, loginPage } from '../ui/pages.js';
import type { DeviceCode } from './device.js';
import { resolveScopes } from './scopes.js';
import type { Origins } from '../entra/urls.js';

function codePage(ctx: Context, error?: string) {
  ctx.type = 'html';
  ctx.body = layout(
    'Enter code',
    `<div class="brand">Microsoft</div><h1>Enter code</h1><p>Enter the code displayed on your app or device.</p>${error ? `<p class="error" role="alert" id="error">${esc(error)}</p>` : ''}
<form method="post" action="${esc(url('', 'deviceLogin'))}"><label for="otc">Code</label><input type="text" id="otc" name="otc" autocomplete="off" required autofocus><button type="submit">Next</button></form>`,
  );
}

function donePage(ctx: Context, text: string) {
  ctx.type = 'html';
  ctx.body = layout('Device sign-in', `<div class="brand">Microsoft</div><h1>${esc(text)}</h1><p>You may now close this window.</p>`);
}

/** The pending code a /devicelogin request names, with its tenant and app on the transaction. */
async function pendingCode(tx: Transaction, userCode: string): Promise<DeviceCode | undefined> {
  const code = await tx.runtime.devices.byUserCode(userCode);
  if (!code) return undefined;
  tx.tenant = tx.world.directory.tenants.find((t) => t.id === code.tenantId);
  tx.app = tx.tenant && findApp(tx.tenant, code.clientId);
  if (!tx.tenant || !tx.app) return undefined;
  tx.deviceCode = code;
  return code;
}

export function deviceHandlers(origin: Origins): Handlers<'devicecode.v2' | 'devicecode.v1' | 'deviceLogin' | 'deviceLogin.code' | 'deviceLogin.signIn'> {
  const issue = {
    channel(_ctx: Context, tx: Transaction) {
      const body = tx.body;
      if (!body.client_id) throw new EntraError(900144, { params: { param: 'client_id' } });
      const app = findApp(tx.tenant!, body.client_id);
      if (!app) throw new EntraError(700016, { params: { appId: body.client_id, tenant: tx.tenant!.domain } });
      tx.app = app;
      tx.grantType = 'device_code';
    },
    async handle(ctx: Context, tx: Transaction) {
      const tenant = tx.tenant!;
      const scope = tx.body.scope;
      if (!scope) throw new EntraError(900144, { params: { param: 'scope' } });
      resolveScopes(tenant, scope);
      const code = await tx.runtime.devices.create(tenant, tx.app!, scope, tenant.deviceCode);
      tx.deviceCode = code;
      const approver = findUser(tenant, tenant.deviceCode.autoApprove);
      if (approver) await tx.runtime.devices.approve(code, approver);
      const uri = url(origin, 'deviceLogin');
      noStore(ctx);
      ctx.body = {
        user_code: code.userCode,
        device_code: code.deviceCode,
        verification_uri: uri,
        expires_in: tenant.deviceCode.expiresIn,
        interval: code.interval,
        message: `To sign in, use a web browser to open the page ${uri} and enter the code ${code.userCode} to authenticate.`,
      };
    },
  };

  return {
    'devicecode.v2': issue,
    'devicecode.v1': issue,
    deviceLogin: (ctx) => codePage(ctx),
    'deviceLogin.code': async (ctx, tx) => {
      const code = await pendingCode(tx, tx.body.otc ?? '');
      if (!code) return codePage(ctx, new EntraError(70018).message);
      ctx.type = 'html';
      ctx.body = loginPage({ tenant: tx.tenant!, action: url('', 'deviceLogin.signIn', { code: code.userCode }), appName: tx.app!.name });
    },
    'deviceLogin.signIn': async (ctx, tx) => {
      const devices = tx.runtime.devices;
      const code = await pendingCode(tx, String(ctx.params.code));
      if (!code) return codePage(ctx, new EntraError(70018).message);
      const tenant = tx.tenant!;
      const app = tx.app!;
      const { username, password, decline } = tx.body;
      if (decline !== undefined) {
        await devices.decline(code);
        return donePage(ctx, `You have declined to sign in to ${app.name} on your device.`);
      }
      const user = findUser(tenant, username);
      const again = (error?: string) => {
        ctx.type = 'html';
        ctx.body = loginPage({ tenant, action: ctx.path, appName: app.name, ...(user ? { user } : {}), ...(error ? { error } : {}) });
      };
      if (!user) {
        if (!username) return again();
        tx.userHint = username;
        tx.showedError(50034, { EmailHidden: username, tenant: tenant.domain });
        return again(SIGN_IN_PAGE_TEXT.unknownUser);
      }
      if (password === undefined) return again();
      if (user.password !== password) {
        tx.userHint = user.upn;
        tx.showedError(50126);
        return again(SIGN_IN_PAGE_TEXT.wrongPassword);
      }
      try {
        await tx.identify(user, 'password');
        if (!isAssigned(app, user)) throw new EntraError(50105, { params: { appName: app.name, appId: app.clientId } });
      } catch (err) {
        // The person sees the error here; the polling device gets it on its next poll.
        if (err instanceof EntraError) await devices.fail(code, err);
        throw err;
      }
      // Approved once: a second approval (another tab, another instance) finds the code settled.
      if (!(await devices.approve(code, user))) return codePage(ctx, new EntraError(70018).message);
      donePage(ctx, `You have signed in to the ${app.name} application on your device.`);
    },
  };
}
