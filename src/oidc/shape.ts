/**
 * The response hook around every provider route: errors become Entra's (AADSTS code, trace and
 * correlation IDs), token responses gain Entra's fields and an Entra-shaped ID token.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import { stableGuid } from '../directory/build.js';
import { findApp, findUser } from '../directory/lookup.js';
import * as claims from '../entra/claims.js';
import { EntraError, errorBody, redirectErrorParams } from '../entra/errors.js';
import { issueFaults, shapeJwt } from '../faults/shape.js';
import { signJwt, signJwtAsync } from '../keys/signing.js';
import { isGraphAudience, paths } from '../entra/urls.js';
import { requestIds, requestBody } from '../server/context.js';
import { clearSso } from '../server/session.js';
import { errorPage } from '../ui/pages.js';
import { toEntraError } from './errors.js';
import type { Engine, OidcState } from './provider.js';
import { accessTokenFor } from './app-tokens.js';
import { OFFLINE_MARKER } from './scopes.js';
import { entraIdToken } from './tokens.js';
import { DEFAULTS } from '../scenario/defaults.js';
import { formPost } from '../ui/pages.js';

const ERROR_EVENTS = ['grant.error', 'authorization.error', 'end_session.error', 'server_error', 'jwks.error', 'discovery.error'] as const;

const decodePayload = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

export function shapeResponses(provider: Engine): void {
  // The provider's typings list only some events; these exist at run time (see its docs/events.md).
  const on = provider.on.bind(provider) as (event: string, fn: (...args: never[]) => void) => void;
  for (const event of ERROR_EVENTS) {
    on(event, (ctx: KoaContextWithOIDC, err: unknown) => {
      (ctx.state as OidcState).providerError = err;
    });
  }
  // Signing out of OIDC ends the cross-protocol sign-in session too.
  on('end_session.success', (ctx: KoaContextWithOIDC) => clearSso(ctx, provider.tenant));
  on('authorization.success', (ctx: KoaContextWithOIDC, out: Record<string, unknown>) => {
    delete out.iss; // Entra sends no RFC 9207 iss
    const session = ctx.oidc.session;
    const user = findUser(provider.tenant, session?.accountId);
    if (user && ctx.oidc.params?.client_info === '1') out.client_info = claims.clientInfo(provider.tenant, user);
    if (session?.uid) out.session_state = stableGuid('session', session.uid);
    // Graph's tokens carry the header nonce (before at_hash is computed over the token).
    if (typeof out.access_token === 'string' && isGraphAudience(decodePayload(out.access_token).aud)) {
      out.access_token = signJwt(decodePayload(out.access_token), provider.options.keys.signing[0]!, { x5t: true, graphNonce: true });
    }
    // Implicit and hybrid: the front-channel ID token in Entra's shape, with c_hash / at_hash.
    const client = findApp(provider.tenant, ctx.oidc.client?.clientId);
    if (typeof out.id_token === 'string' && user && client) {
      const scopes = new Set(String(ctx.oidc.params?.scope ?? '').split(' '));
      out.id_token = entraIdToken(ctx, {
        client,
        user,
        scopes,
        nonce: ctx.oidc.params?.nonce as string | undefined,
        cHash: typeof out.code === 'string' ? claims.halfHash(out.code) : undefined,
        atHash: typeof out.access_token === 'string' ? claims.halfHash(out.access_token) : undefined,
        implicit: true,
      });
    }
  });
  provider.use(async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as KoaContextWithOIDC;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (body && typeof body === 'object' && !Buffer.isBuffer(body) && typeof body.error === 'string' && !('error_codes' in body)) {
      const err = toEntraError((ctx.state as OidcState).providerError, body as { error: string });
      ctx.status = err.status === 200 ? 400 : err.status;
      ctx.body = errorBody(err, requestIds(ctx));
      noStore(ctx);
      return;
    }
    if (ctx.status === 302 || ctx.status === 303) {
      rewriteRedirectError(ctx);
      return;
    }
    if (typeof ctx.body === 'string' && ctx.body.includes('name="error"')) {
      rewriteFormPostError(ctx);
      return;
    }
    if (ctx.path.endsWith(paths.v2.token) && ctx.status === 200 && body && typeof body === 'object' && 'access_token' in body) {
      ctx.body = await shapeTokenResponse(ctx, provider, body);
      noStore(ctx);
    }
  });
}

function noStore(ctx: KoaContextWithOIDC) {
  ctx.set('Cache-Control', 'no-store, no-cache');
  ctx.set('Pragma', 'no-cache');
  ctx.set('Expires', '-1');
}

function entraErrorFor(ctx: KoaContextWithOIDC, params: URLSearchParams): EntraError {
  return toEntraError((ctx.state as OidcState).providerError, { error: params.get('error') ?? undefined, error_description: params.get('error_description') ?? undefined });
}

/** query or fragment: replace the provider's error fields with Entra's, keeping state. */
function rewriteRedirectError(ctx: KoaContextWithOIDC): void {
  const location = ctx.response.get('Location');
  if (!location) return;
  const hashAt = location.indexOf('#');
  const queryAt = location.indexOf('?');
  const inFragment = hashAt >= 0;
  const raw = inFragment ? location.slice(hashAt + 1) : queryAt >= 0 ? location.slice(queryAt + 1) : '';
  const params = new URLSearchParams(raw);
  if (!params.has('error')) return;
  const err = entraErrorFor(ctx, params);
  const fields = redirectErrorParams(err, requestIds(ctx), params.get('state') ?? undefined);
  const base = inFragment ? location.slice(0, hashAt) : queryAt >= 0 ? location.slice(0, queryAt) : location;
  const encoded = Object.entries(fields).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  ctx.redirect(`${base}${inFragment ? '#' : '?'}${encoded}`);
  ctx.status = 302;
}

function rewriteFormPostError(ctx: KoaContextWithOIDC): void {
  const html = ctx.body as string;
  const inputs = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)) inputs.set(m[1]!, unescapeHtml(m[2]!));
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action || !inputs.has('error')) return;
  const err = entraErrorFor(ctx, inputs);
  ctx.status = 200;
  ctx.type = 'html';
  ctx.body = formPost(unescapeHtml(action), redirectErrorParams(err, requestIds(ctx), inputs.get('state') ?? undefined));
}

const unescapeHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Token responses in Entra's field order, with ext_expires_in, client_info and an Entra ID token (v1 or v2). */
async function shapeTokenResponse(ctx: KoaContextWithOIDC, provider: Engine, body: Record<string, unknown>) {
  const { tenant, origin, keys } = provider.options;
  const form = requestBody(ctx);
  const grantType = form.grant_type;
  const state = ctx.state as OidcState;
  let idToken = body.id_token as string | undefined;
  let accessToken = body.access_token as string;
  let user = undefined as ReturnType<typeof findUser>;
  if (idToken) {
    const p = decodePayload(idToken);
    user = findUser(tenant, p.sub as string);
    const client = findApp(tenant, p.aud as string);
    if (user && client && !state.idTokenShaped) {
      // The provider's scope-marker claims say which OIDC scopes the grant holds.
      const scopes = new Set(['openid', ...(p.x_profile ? ['profile'] : []), ...(p.x_email ? ['email'] : [])]);
      const sid = typeof p.sid === 'string' ? stableGuid('sid', p.sid) : undefined;
      idToken = entraIdToken(ctx, { client, user, scopes, nonce: p.nonce as string | undefined, sid });
    }
  }
  if (!user && grantType !== 'client_credentials') user = findUser(tenant, decodePayload(accessToken).oid as string);
  const v1Resource = ctx.state.v1Resource as string | undefined;
  if (v1Resource && grantType === 'authorization_code' && user) {
    // v1 names the resource when redeeming the code, not when authorizing: mint for it now.
    const client = findApp(tenant, form.client_id)!;
    const { payload, sign } = accessTokenFor({ origin, tenant, client, user, scope: `${v1Resource}/.default`, clientAuth: state.clientAuth ?? '1' });
    accessToken = await signJwtAsync(payload, keys.signing[0]!, sign);
  } else if (isGraphAudience(decodePayload(accessToken).aud)) {
    // The provider signed it like any JWT; Graph's tokens carry the header nonce no one else can verify with.
    accessToken = await signJwtAsync(decodePayload(accessToken), keys.signing[0]!, { x5t: true, graphNonce: true });
  }
  const faults = issueFaults(ctx);
  accessToken = await shapeJwt(accessToken, faults, keys.signing);
  if (idToken) idToken = await shapeJwt(idToken, faults, keys.signing);
  const expires = body.expires_in as number;
  const tokens = {
    access_token: accessToken,
    ...(body.refresh_token ? { refresh_token: body.refresh_token } : {}),
    ...(idToken ? { id_token: idToken } : {}),
  };
  if (ctx.state.v1) {
    // v1 writes numbers as strings and adds expires_on, not_before and resource (reference §5).
    const now = Math.floor(Date.now() / 1000);
    const scp = decodePayload(accessToken).scp;
    return {
      token_type: 'Bearer',
      ...(typeof scp === 'string' ? { scope: scp } : {}),
      expires_in: String(expires),
      ext_expires_in: String(expires),
      expires_on: String(now + expires),
      not_before: String(now - DEFAULTS.backdateSeconds),
      ...(v1Resource ? { resource: v1Resource } : {}),
      ...tokens,
    };
  }
  return {
    token_type: 'Bearer',
    ...(grantType === 'client_credentials' ? {} : { scope: responseScope(body) }),
    expires_in: expires,
    ext_expires_in: expires,
    ...tokens,
    ...(state.refreshTokenExpiresAt ? { refresh_token_expires_in: state.refreshTokenExpiresAt - Math.floor(Date.now() / 1000) } : {}),
    ...(user && form.client_info === '1' ? { client_info: claims.clientInfo(tenant, user) } : {}),
  };
}

/** The scope string Entra returns: what the tokens cover, with offline_access when a refresh token came along. */
function responseScope(body: Record<string, unknown>): string {
  const scopes = String(body.scope ?? '').split(' ').filter((s) => s && s !== OFFLINE_MARKER);
  if (body.refresh_token && !scopes.includes('offline_access')) scopes.push('offline_access');
  return scopes.join(' ');
}

/** renderError: where the provider cannot redirect, Entra shows its sign-in error page (HTTP 200 for request errors). */
export async function renderProviderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error: unknown) {
  const err = toEntraError(error, out);
  ctx.status = 200;
  ctx.type = 'html';
  ctx.body = errorPage(err, requestIds(ctx));
}

export { EntraError };
