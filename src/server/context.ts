/** Per-request facts every layer reads: Entra's trace and correlation IDs, and the parsed form body. */
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type { RequestIds } from '../entra/errors.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface WithIds {
  ids?: RequestIds;
  body?: Record<string, string>;
}

/** trace_id = x-ms-request-id; correlation_id = the client's client-request-id when it sent one (unverified, as Entra seems to). */
export function assignIds(ctx: Context, origin: string): RequestIds {
  const sent = ctx.get('client-request-id') || (typeof ctx.query['client-request-id'] === 'string' ? ctx.query['client-request-id'] : '');
  const ids: RequestIds = {
    traceId: randomUUID(),
    correlationId: GUID.test(sent) ? sent.toLowerCase() : randomUUID(),
    origin,
    at: new Date(),
  };
  (ctx.state as WithIds).ids = ids;
  ctx.set('x-ms-request-id', ids.traceId);
  ctx.set('client-request-id', ids.correlationId);
  ctx.set('x-ms-ests-server', 'mock-entra');
  return ids;
}

export function requestIds(ctx: Context): RequestIds {
  const state = ctx.state as WithIds;
  // Koa 3's ctx.origin is the request's Origin header, not ours: fall back to the Host we answered on.
  return state.ids ?? assignIds(ctx, `${ctx.protocol}://${ctx.host}`);
}

/** The urlencoded body parsed by our body reader (empty for GET). */
export function requestBody(ctx: Context): Record<string, string> {
  return (ctx.state as WithIds).body ?? {};
}

export function setRequestBody(ctx: Context, body: Record<string, string>): void {
  (ctx.state as WithIds).body = body;
}
