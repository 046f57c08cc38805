/** Reads urlencoded form bodies once, with a size limit; every later layer (and the provider) uses the parsed copy on the transaction. */
import type { Context } from 'koa';
import { EntraError } from '../entra/errors.js';

export const BODY_LIMIT = 256 * 1024;

/** The raw body, at most BODY_LIMIT bytes (events, not an async iterator: one promise a request, not one a chunk). */
function readRaw(ctx: Context): Promise<Buffer> {
  const req = ctx.req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        cleanup();
        // The rest of the body is not read: the client must not send its next request on this connection.
        ctx.set('Connection', 'close');
        reject(new EntraError(90023, { params: { detail: `The request body is larger than ${BODY_LIMIT} bytes.` }, status: 413 }));
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    // A client that goes away mid-body: the request ends here (nobody is left to answer).
    const onClose = () => onError(Object.assign(new Error('the client closed the connection before sending the whole body'), { code: 'ECONNRESET' }));
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** The request's media type, lower case, without parameters ('' when none). */
export function mediaType(ctx: Context): string {
  const type = ctx.req.headers['content-type'];
  if (!type) return '';
  const semi = type.indexOf(';');
  return (semi < 0 ? type : type.slice(0, semi)).trim().toLowerCase();
}

/** Reads a urlencoded POST body (any other type is left unread; the route then sees no parameters). */
export async function readForm(ctx: Context): Promise<void> {
  // The header compared as it is, not through type-is: it parses the media type each time.
  if (ctx.method === 'POST' && mediaType(ctx) === 'application/x-www-form-urlencoded') {
    const raw = await readRaw(ctx);
    const body: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) body[k] = v;
    ctx.state.tx.body = body;
    // oidc-provider reads an already-parsed body from here.
    (ctx.request as unknown as { body: unknown }).body = body;
  } else if (ctx.method === 'POST') {
    // Unread, but its own (a front-end may set parameters on it: the authorize request's).
    ctx.state.tx.body = {};
  }
}
