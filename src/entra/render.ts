/**
 * THE error renderer: every error a client of the mock sees is written here, in the channel the
 * request is on — JSON from back-channel endpoints, Entra's error page, a redirect (query or
 * fragment) or an auto-posting form back to the app, or Microsoft Graph's envelope.
 */
import type { Context } from 'koa';
import { errorPage, formPost } from '../ui/pages.js';
import { ArmError, EntraError, errorBody, errorDescription, encodeParams, GraphError, ManagedIdentityError, type RequestIds, redirectErrorParams } from './errors.js';
import { GRAPH, paths } from './urls.js';
import { STORE_RETRY_AFTER } from '../store/types.js';

/** Where an error on this request goes; the route table gives the first, the front-end may refine it. */
export type ErrorChannel =
  | { kind: 'json' }
  | { kind: 'page' }
  | { kind: 'graph' }
  | { kind: 'arm' }
  /** The managed identity endpoints: App Service's (IDENTITY_ENDPOINT) and IMDS's, each with its own body. */
  | { kind: 'appService' }
  | { kind: 'imds' }
  | {
      kind: 'redirect';
      /** A redirect URI registered on the app: only then does Entra send errors back to it. */
      redirectUri: string;
      state?: string;
      responseMode: 'query' | 'fragment' | 'form_post';
    };

/** Entra's headers on token responses and errors (reference §1): nothing may cache them. */
export function noStore(ctx: Pick<Context, 'set'>): void {
  ctx.set('Cache-Control', 'no-store, no-cache');
  ctx.set('Pragma', 'no-cache');
  ctx.set('Expires', '-1');
}

/** The response_mode of an authorize request as the renderer knows it: Entra's default is query for code, fragment when tokens come back. */
export function responseModeOf(params: Record<string, unknown>): 'query' | 'fragment' | 'form_post' {
  const mode = params.response_mode;
  if (mode === 'query' || mode === 'fragment' || mode === 'form_post') return mode;
  const types = String(params.response_type ?? '').split(' ');
  return types.includes('id_token') || types.includes('token') ? 'fragment' : 'query';
}

/** The Location of a redirect back to the app carrying `fields`, encoded as Entra (.NET) does. */
export function redirectLocation(redirectUri: string, responseMode: 'query' | 'fragment', fields: Record<string, string>): string {
  const sep = responseMode === 'fragment' ? '#' : redirectUri.includes('?') ? '&' : '?';
  return `${redirectUri}${sep}${encodeParams(fields)}`;
}

/** App Service answers every failure to get a token from Entra this way, whatever Entra said (reference §12.1; sic). */
export const APP_SERVICE_TOKEN_FAILURE = 'An unexpected error occured while fetching the AAD Token.';

/**
 * The managed identity endpoints' bodies. App Service: `{statusCode, message, correlationId}`; an
 * Entra error (a fault, an unknown resource) becomes its generic 500, throttling and outages keep
 * their status. IMDS: `{error, error_description}`, Entra's errors with their AADSTS description
 * (its other members (unverified): IMDS documents only these two).
 */
function renderManagedIdentityError(ctx: Context, err: EntraError | ManagedIdentityError, kind: 'appService' | 'imds', ids: RequestIds): void {
  ctx.type = 'application/json; charset=utf-8';
  noStore(ctx);
  if (kind === 'imds') {
    ctx.status = err.status;
    ctx.body = { error: err.error, error_description: err instanceof EntraError ? errorDescription(err, ids) : err.message };
    return;
  }
  const status = err instanceof ManagedIdentityError || err.status === 429 || err.status >= 500 ? err.status : 500;
  ctx.status = status;
  ctx.set('X-CORRELATION-ID', ids.correlationId);
  ctx.body = { statusCode: status, message: err instanceof ManagedIdentityError ? err.message : APP_SERVICE_TOKEN_FAILURE, correlationId: ids.correlationId };
}

export function renderError(ctx: Context, caught: EntraError | GraphError | ArmError | ManagedIdentityError, channel: ErrorChannel, ids: RequestIds): void {
  ctx.remove('Location');
  if (caught instanceof EntraError && caught.retryAfter !== undefined) ctx.set('Retry-After', String(caught.retryAfter));
  if (channel.kind === 'appService' || channel.kind === 'imds') {
    if (!(caught instanceof GraphError) && !(caught instanceof ArmError)) return renderManagedIdentityError(ctx, caught, channel.kind, ids);
  } else if (caught instanceof ManagedIdentityError) {
    // Only the managed identity front-end throws these, on its own channels; elsewhere, a generic Entra error.
    return renderError(ctx, new EntraError(90023, { params: { detail: caught.message }, status: caught.status }), channel, ids);
  }
  let err = caught as EntraError | GraphError;
  // On Graph's routes every error wears Graph's envelope, a fault's too (its AADSTS text as the message).
  const graphCodes: Record<number, string | undefined> = { 400: 'BadRequest', 401: 'InvalidAuthenticationToken', 403: 'Authorization_RequestDenied', 404: 'Request_ResourceNotFound', 429: 'TooManyRequests', 503: 'ServiceUnavailable' };
  if (channel.kind === 'graph' && err instanceof EntraError) err = new GraphError(err.status, graphCodes[err.status] ?? 'generalException', err.message);
  // On ARM's routes likewise, in ARM's envelope.
  if (channel.kind === 'arm' && !(err instanceof ArmError)) err = new ArmError(err.status, err.status === 429 ? 'TooManyRequests' : err.status >= 500 ? 'InternalServerError' : 'BadRequest', err.message);
  if (err instanceof ArmError) {
    ctx.status = err.status;
    ctx.type = 'application/json; charset=utf-8';
    // ARM's challenge (unverified beyond captures of `az` traces): the authority to get a token from, and why this one failed.
    if (err.status === 401) ctx.set('WWW-Authenticate', `Bearer authorization_uri="${ids.origin}/", error="invalid_token", error_description="${err.message.replace(/"/g, "'")}"`);
    ctx.set('Cache-Control', 'no-cache');
    ctx.set('x-ms-request-id', ids.traceId);
    ctx.body = { error: { code: err.code, message: err.message } };
    return;
  }
  if (err instanceof GraphError) {
    ctx.status = err.status;
    ctx.type = 'application/json';
    if (err.status === 401) ctx.set('WWW-Authenticate', `Bearer realm="", authorization_uri="${ids.origin}${paths.v1.authorize.replace(':tenant', 'common')}", client_id="${GRAPH.appId}"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { error: { code: err.code, message: err.message, innerError: { date: ids.at.toISOString().slice(0, 19), 'request-id': ids.traceId, 'client-request-id': ids.correlationId } } };
    return;
  }
  const kind = channel.kind === 'redirect' && err.pageOnly ? 'page' : channel.kind;
  if (kind === 'page') {
    // Entra's error page answers 200 for request errors; throttling and outages keep their status.
    ctx.status = err.status === 429 || err.status >= 500 ? err.status : 200;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store, no-cache');
    ctx.body = errorPage(err, ids);
  } else if (channel.kind === 'redirect') {
    const fields = redirectErrorParams(err, ids, channel.state);
    if (channel.responseMode === 'form_post') {
      ctx.status = 200;
      ctx.type = 'html';
      ctx.body = formPost(channel.redirectUri, fields);
    } else {
      ctx.redirect(redirectLocation(channel.redirectUri, channel.responseMode, fields));
      ctx.status = 302;
    }
    ctx.set('Cache-Control', 'no-store, no-cache');
  } else {
    ctx.status = err.status;
    ctx.type = 'application/json; charset=utf-8';
    noStore(ctx);
    ctx.body = errorBody(err, ids);
  }
}

/** Anything a handler threw, as the EntraError a client may see: never a stack trace. */
export function asClientError(caught: unknown): { err: EntraError | GraphError | ArmError | ManagedIdentityError; internal: boolean } {
  if (caught instanceof EntraError || caught instanceof GraphError || caught instanceof ArmError || caught instanceof ManagedIdentityError) return { err: caught, internal: false };
  const status = (caught as { status?: number }).status;
  // Koa's own client errors (bad URL encoding, …) are the request's fault: 400, not a server error.
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { err: new EntraError(90023, { params: { detail: (caught as Error).message }, status }), internal: false };
  }
  // The store (Redis) is not answering: Entra's transient outage, to be retried; the server goes on serving what needs no store.
  if ((caught as Error | undefined)?.name === 'StoreUnavailableError') return { err: storeUnavailable(), internal: false };
  // A damaged key file of the mock's own: the server log names it and the fix; the client sees no path.
  if ((caught as Error | undefined)?.name === 'KeyFileError') {
    return { err: new EntraError(50000, { params: { detail: "One of the mock's key files is damaged: the server's log names the file and the fix (mock-entra certs regenerate)." } }), internal: true };
  }
  return { err: new EntraError(50000, { params: { detail: 'An unexpected error occurred.' } }), internal: true };
}

/** The answer to a request that needs the store while it is unreachable: AADSTS90033, 503, Retry-After. */
export function storeUnavailable(): EntraError {
  return new EntraError(90033, { status: 503, retryAfter: STORE_RETRY_AFTER });
}
