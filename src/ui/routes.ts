/**
 * Dashboard routes: `/`, `/requests` and `/requests/{traceId}`, `/signins` and `/signins/{id}` read; `/error` is Entra's error lookup; the switch form under
 * /_mock/ changes state and is guarded like the admin API (admin token, else loopback only).
 */
import type { Context } from 'koa';
import type { KeyMaterial } from '../keys/store.js';
import { type AppCerts, appCerts } from '../saml/signing.js';
import { accessRequest, refuseAccess } from '../server/admin.js';
import type { RequestRecord } from '../server/log.js';
import type { SignInLog } from '../server/signins.js';
import type { Handler, Handlers } from '../server/routes.js';
import type { Transaction } from '../server/transaction.js';
import { errorLookupPage } from './lookup.js';
import { dashboardPage, messagePage, notInLogPage, requestDetailPage, requestsPage, type WatchStatus, withWatchBanner } from './dashboard.js';
import { parseFilters, signInDetailPage, signInNotFoundPage, signInsPage } from './signins.js';
import type { Origins } from '../entra/urls.js';

export interface UiRoutesOptions {
  origin: Origins;
  keys: KeyMaterial;
  recent(): readonly RequestRecord[];
  /** The sign-in log (Sign-in logs pages). */
  signIns: SignInLog;
  adminToken?: string;
  /** The server's IDENTITY_HEADER, shown with the managed identities. */
  identityHeader: string;
  /**
   * `serve --watch`'s state (GET /_mock/scenario's `watch`), read at each page: while the last edit
   * does not load (`error`), every dashboard page shows it in a banner. Absent without --watch.
   */
  watch?(): WatchStatus | null | undefined;
}


function html(ctx: Context, body: string, status = 200): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

export function uiHandlers(o: UiRoutesOptions): Handlers<'dashboard' | 'dashboard.requests' | 'dashboard.request' | 'dashboard.signIns' | 'dashboard.signIn' | 'dashboard.switch' | 'errorLookup'> {
  const hostnames = [new URL(o.origin.login).hostname];
  /** Runs a dashboard page, then puts the watch banner at the top of the HTML it answered with. */
  const withBanner = async (ctx: Context, page: () => unknown) => {
    await page();
    const watch = o.watch?.();
    if (watch?.error && typeof ctx.body === 'string' && ctx.response.is('html')) ctx.body = withWatchBanner(ctx.body, watch);
  };
  /**
   * The dashboard shows tokens and changes state: the admin API's rule guards every page. With an
   * admin token, browsers ask for it (Basic; any user name, the token as password).
   */
  const guarded =
    (page: (ctx: Context, tx: Transaction) => unknown): Handler =>
    (ctx: Context, tx: Transaction) => {
      const refused = refuseAccess(accessRequest(ctx, o.origin.login, tx.body.adminToken), { adminToken: o.adminToken, hostnames });
      if (!refused) return withBanner(ctx, () => page(ctx, tx));
      if (o.adminToken && !ctx.get('origin')) ctx.set('WWW-Authenticate', 'Basic realm="mock-entra dashboard", charset="UTF-8"');
      html(ctx, messagePage('Not allowed', refused), o.adminToken && !ctx.get('origin') ? 401 : 403);
    };
  return {
    dashboard: guarded(async (ctx, tx) => {
      const world = tx.world;
      const certs = new Map<string, AppCerts>();
      for (const t of world.directory.tenants) {
        for (const app of t.apps) if (app.saml) certs.set(app.clientId, await appCerts(tx.runtime, o.keys.certsDir, app));
      }
      html(ctx, dashboardPage({ origin: o.origin, world, caCertPath: o.keys.caCertPath, certs, tokenRequired: Boolean(o.adminToken), identityHeader: o.identityHeader }));
    }),
    'dashboard.requests': guarded((ctx) => html(ctx, requestsPage(o.recent()))),
    'dashboard.request': guarded((ctx) => {
      const id = String(ctx.params.traceId);
      const record = o.recent().find((r) => r.traceId === id);
      if (record) html(ctx, requestDetailPage(record));
      else html(ctx, notInLogPage(id), 404);
    }),
    // ?user=&app=&status=&code=&from=&to= filter; &format=json downloads the filtered records (as the portal's Download JSON: an array).
    'dashboard.signIns': guarded((ctx, tx) => {
      const { filters, query, problems } = parseFilters((name) => tx.param(name));
      const all = o.signIns.newest();
      const records = problems.length ? [] : o.signIns.query(query);
      if (tx.param('format') === 'json' && !problems.length) {
        ctx.set('Content-Disposition', 'attachment; filename="signins.json"');
        ctx.set('Cache-Control', 'no-store');
        ctx.type = 'json';
        ctx.body = JSON.stringify(records, null, 2);
        return;
      }
      html(ctx, signInsPage(records, all, filters, problems), problems.length ? 400 : 200);
    }),
    'dashboard.signIn': guarded((ctx, tx) => {
      const id = String(ctx.params.id);
      const record = o.signIns.newest().find((r) => r.id === id);
      if (record) html(ctx, signInDetailPage(record, parseFilters((name) => tx.param(name)).filters));
      else html(ctx, signInNotFoundPage(id.slice(0, 100)), 404);
    }),
    // Public, as Entra's is: it shows the catalogue and the scenario's rules, no tokens or secrets.
    errorLookup: (ctx, tx) => html(ctx, errorLookupPage(tx.param('code'), tx.world)),
    // Body (form): on=<switch> or off=<switch>, and adminToken when the server has one.
    'dashboard.switch': guarded((ctx, tx) => {
      const body = tx.body;
      const name = body.on ?? body.off;
      if (!name || !tx.world.faults.flip(name, body.on !== undefined)) return html(ctx, messagePage('Unknown switch', `The scenario has no switch named '${name ?? ''}'.`), 404);
      ctx.status = 303;
      ctx.redirect('/#switches');
    }),
  };
}
