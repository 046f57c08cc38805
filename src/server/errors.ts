/** The one error renderer: catches everything, so a client only ever sees Entra-shaped errors, never a stack trace. */
import type { Context, Next } from 'koa';
import { EntraError, errorBody, redirectErrorParams, encodeParams } from '../entra/errors.js';
import { errorPage, formPost } from '../ui/pages.js';
import { requestIds } from './context.js';

/** Where an error on this request goes: JSON (default), Entra's page, or back to a trusted redirect URI. */
export type ErrorChannel =
  | { kind: 'json' }
  | { kind: 'page' }
  | { kind: 'redirect'; redirectUri: string; state?: string; responseMode: string };

export function setErrorChannel(ctx: Context, channel: ErrorChannel): void {
  ctx.state.errorChannel = channel;
}

export function renderError(ctx: Context, err: EntraError): void {
  const ids = requestIds(ctx);
  const channel = (ctx.state.errorChannel as ErrorChannel | undefined) ?? { kind: 'json' };
  // Errors the catalogue gives HTTP 200 are ones Entra shows on its page even where it could redirect (50105, 50011…).
  if (channel.kind === 'page' || (channel.kind === 'redirect' && err.status === 200)) {
    ctx.status = err.status === 200 || err.status >= 500 ? err.status : 200;
    ctx.type = 'html';
    ctx.body = errorPage(err, ids);
  } else if (channel.kind === 'redirect') {
    const fields = redirectErrorParams(err, ids, channel.state);
    if (channel.responseMode === 'form_post') {
      ctx.status = 200;
      ctx.type = 'html';
      ctx.body = formPost(channel.redirectUri, fields);
    } else {
      const sep = channel.responseMode === 'fragment' ? '#' : channel.redirectUri.includes('?') ? '&' : '?';
      ctx.status = 302;
      ctx.redirect(`${channel.redirectUri}${sep}${encodeParams(fields)}`);
    }
  } else {
    ctx.status = err.status === 200 ? 400 : err.status;
    ctx.set('Cache-Control', 'no-store, no-cache');
    ctx.body = errorBody(err, ids);
  }
  ctx.state.aadsts = err.code;
}

export async function entraErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (caught) {
    if (caught instanceof EntraError) return renderError(ctx, caught);
    const status = (caught as { status?: number; expose?: boolean }).status;
    // Koa's own client errors (bad URL encoding, …) are the request's fault: 400, not a server error.
    const err =
      status && status < 500
        ? new EntraError(90023, { params: { detail: (caught as Error).message } })
        : new EntraError(50000, { params: { detail: 'An unexpected error occurred.' } });
    if (!(status && status < 500)) ctx.app.emit('error', caught, ctx);
    renderError(ctx, err);
  }
}
