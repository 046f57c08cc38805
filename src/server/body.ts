/** Reads urlencoded form bodies once, with a size limit; every later layer (and the provider) uses the parsed copy on the transaction. */
import type { Context } from 'koa';
import { EntraError } from '../entra/errors.js';

export const BODY_LIMIT = 256 * 1024;

export async function readForm(ctx: Context): Promise<void> {
  if (ctx.method === 'POST' && ctx.is('application/x-www-form-urlencoded')) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        // The rest of the body is not read: the client must not send its next request on this connection.
        ctx.set('Connection', 'close');
        throw new EntraError(90023, { params: { detail: `The request body is larger than ${BODY_LIMIT} bytes.` }, status: 413 });
      }
      chunks.push(chunk);
    }
    const body: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) body[k] = v;
    ctx.state.tx.body = body;
    // oidc-provider reads an already-parsed body from here.
    (ctx.request as unknown as { body: unknown }).body = body;
  }
}
