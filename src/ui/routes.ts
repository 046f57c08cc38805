/**
 * Dashboard routes: `/`, `/requests` and `/requests/{traceId}` read; the switch form under
 * /_mock/ changes state and is guarded like the admin API (admin token, else loopback only).
 */
import type { Context } from 'koa';
import type { KeyMaterial } from '../keys/store.js';
import { type AppCerts, appCerts } from '../saml/signing.js';
import { isLoopback } from '../server/admin.js';
import type { RequestRecord } from '../server/log.js';
import type { Handlers } from '../server/routes.js';
import { dashboardPage, messagePage, notInLogPage, requestDetailPage, requestsPage } from './dashboard.js';

export interface UiRoutesOptions {
  origin: string;
  keys: KeyMaterial;
  recent(): readonly RequestRecord[];
  adminToken?: string;
}

export interface ChangeRequest {
  remoteAddress?: string;
  /** The Authorization header ('' when absent). */
  authorization: string;
  /** The admin token typed into the form, when the form asks for one. */
  formToken?: string;
  /** The Origin header ('' when absent: curl and other non-browser clients send none). */
  origin: string;
  /** Origins this server answers on: its public origin and the one the request was made to. */
  ownOrigins: string[];
}


/**
 * Why a state-changing dashboard request is refused, or undefined when it is allowed. The admin
 * API's rule (its token when one is configured, else loopback only), and forms posted from this
 * dashboard only: any web page open in the same browser could otherwise post to localhost.
 */
export function refuseChange(r: ChangeRequest, adminToken?: string): string | undefined {
  if (r.origin && !r.ownOrigins.includes(r.origin)) return 'Forms posted from another site are refused.';
  if (adminToken) return r.authorization === `Bearer ${adminToken}` || r.formToken === adminToken ? undefined : 'The admin token is missing or wrong.';
  if (!isLoopback(r.remoteAddress)) return 'The dashboard changes state only for loopback callers unless an admin token is configured.';
  return undefined;
}

function html(ctx: Context, body: string, status = 200): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

export function uiHandlers(o: UiRoutesOptions): Handlers<'dashboard' | 'dashboard.requests' | 'dashboard.request' | 'dashboard.switch'> {
  return {
    dashboard: async (ctx, tx) => {
      const world = tx.world;
      const certs = new Map<string, AppCerts>();
      for (const t of world.directory.tenants) {
        for (const app of t.apps) if (app.saml) certs.set(app.clientId, await appCerts(tx.runtime, o.keys.certsDir, app));
      }
      html(ctx, dashboardPage({ origin: o.origin, world, caCertPath: o.keys.caCertPath, certs, tokenRequired: Boolean(o.adminToken) }));
    },
    'dashboard.requests': (ctx) => html(ctx, requestsPage(o.recent())),
    'dashboard.request': (ctx) => {
      const id = String(ctx.params.traceId);
      const record = o.recent().find((r) => r.traceId === id);
      if (record) html(ctx, requestDetailPage(record));
      else html(ctx, notInLogPage(id), 404);
    },
    // Body (form): on=<switch> or off=<switch>, and adminToken when the server has one.
    'dashboard.switch': (ctx, tx) => {
      const body = tx.body;
      const refused = refuseChange(
        {
          remoteAddress: ctx.req.socket.remoteAddress,
          authorization: ctx.get('authorization'),
          formToken: body.adminToken,
          origin: ctx.get('origin'),
          // Koa 3's ctx.origin is the Origin header itself: build the served origin from protocol and host.
          ownOrigins: [new URL(o.origin).origin, `${ctx.protocol}://${ctx.host}`],
        },
        o.adminToken,
      );
      if (refused) return html(ctx, messagePage('Not allowed', refused), 403);
      const name = body.on ?? body.off;
      if (!name || !tx.world.faults.flip(name, body.on !== undefined)) return html(ctx, messagePage('Unknown switch', `The scenario has no switch named '${name ?? ''}'.`), 404);
      ctx.status = 303;
      ctx.redirect('/#switches');
    },
  };
}
