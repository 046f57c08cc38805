/**
 * The provider's hooks, where it meets the rest of the mock: its errors are handed to the one
 * error renderer (as Entra's AADSTS errors, in the request's channel), and its authorization
 * responses gain Entra's fields and, for implicit and hybrid flows, front-channel tokens from the
 * issuance funnel (the provider itself only ever runs the code flow).
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import { stableGuid } from '../directory/build.js';
import { findApp, findUser } from '../directory/lookup.js';
import * as claims from '../entra/claims.js';
import { issueJwtSync } from '../issuance/funnel.js';
import { finishSingleLogout } from '../saml/logout.js';
import { clearSso, joinSso, type SsoSession } from '../server/session.js';
import { toEntraError } from './errors.js';
import type { Engine } from './provider.js';
import { accessTokenFor, idTokenClaims } from './tokens.js';

/**
 * The error events oidc-provider 9 emits (authorize errors, and anything thrown inside a route, our
 * grants' EntraErrors included); the routes that report by no event are caught by their JSON body.
 */
const ERROR_EVENTS = ['authorization.error', 'server_error'] as const;

export function providerHooks(provider: Engine): void {
  // The provider's typings list only some events; these exist at run time (see its docs/events.md).
  const on = provider.on.bind(provider) as (event: string, fn: (...args: never[]) => void) => void;
  for (const event of ERROR_EVENTS) {
    on(event, (ctx: KoaContextWithOIDC, err: unknown) => {
      ctx.state.tx.engineError ??= err;
    });
  }
  // Signing out of OIDC ends the cross-protocol sign-in session too, and reaches its other apps (single logout).
  on('end_session.success', (ctx: KoaContextWithOIDC) => {
    const ended = clearSso(ctx, provider.tenant);
    (ctx.state as SignOutState).signedOut = { ended, from: findApp(provider.tenant, ctx.oidc.client?.clientId) };
  });
  on('authorization.success', (ctx: KoaContextWithOIDC, out: Record<string, unknown>) => frontChannel(provider, ctx, out));
  // Around every provider route: an error it rendered is rendered again, once, by our renderer.
  provider.use(async (ctx, next) => {
    await next();
    const tx = (ctx as KoaContextWithOIDC).state.tx;
    if (tx.engineError !== undefined) throw toEntraError(tx.engineError);
    // Signed out: the other apps of the session are told through the browser, then on to where the provider was sending it.
    const signedOut = (ctx.state as SignOutState).signedOut;
    const location = ctx.response.get('Location');
    if (signedOut && ctx.status === 303 && location) await finishSingleLogout(ctx, tx, signedOut.ended, signedOut.from, location, { redirected: true });
    // Routes whose errors the provider reports by no event (its sign-out steps): its JSON error body.
    const body = ctx.body as { error?: unknown; error_description?: string; error_codes?: unknown } | undefined;
    if (ctx.status >= 400 && body && typeof body === 'object' && typeof body.error === 'string' && body.error_codes === undefined) {
      throw toEntraError(undefined, { error: body.error, error_description: body.error_description });
    }
  });
}

/** What OIDC sign-out hands from the provider's event to the step after it. */
interface SignOutState {
  signedOut?: { ended: SsoSession | undefined; from: ReturnType<typeof findApp> };
}

/**
 * The authorize response, before the provider writes it: Entra's client_info and session_state,
 * no RFC 9207 iss, and what implicit / hybrid asked for (an ID token with c_hash / at_hash, an
 * access token), issued through the funnel with this sign-in's fault effects.
 */
function frontChannel(provider: Engine, ctx: KoaContextWithOIDC, out: Record<string, unknown>): void {
  const tx = ctx.state.tx;
  const { tenant } = provider;
  delete out.iss;
  const session = ctx.oidc.session;
  const user = findUser(tenant, session?.accountId);
  const client = findApp(tenant, ctx.oidc.client?.clientId);
  const params = ctx.oidc.params ?? {};
  if (user && params.client_info === '1') out.client_info = claims.clientInfo(tenant, user);
  if (session?.uid) out.session_state = stableGuid('session', session.uid);
  if (!user || !client) return;
  tx.user = user;
  tx.app = client;
  tx.signedIn = true;
  // The sid of this app's ID tokens (grants.ts derives it so from the code's sid): what its front-channel logout gets.
  const providerSid = session?.sidFor(client.clientId);
  const sid = providerSid ? stableGuid('sid', providerSid) : undefined;
  if (sid) joinSso(ctx, tenant, { kind: 'oidc', app: client.clientId, sid, v: tx.protocol === 'v1' ? 1 : 2 });
  const asked = (tx.flow.authorize?.responseType ?? 'code').split(' ');
  const code = typeof out.code === 'string' ? out.code : undefined;
  // The provider made a code for every request; implicit (no `code` asked for) gets none.
  if (!asked.includes('code')) delete out.code;
  let accessToken: string | undefined;
  if (asked.includes('token')) {
    const { payload, sign, lifetime } = accessTokenFor({ origin: tx.world.origin, tenant, client, user, scope: String(params.scope ?? ''), clientAuth: '0' });
    accessToken = issueJwtSync({ tx, kind: 'access_token', claims: payload, sign });
    Object.assign(out, { access_token: accessToken, token_type: 'Bearer', expires_in: String(lifetime) });
  }
  if (asked.includes('id_token')) {
    const scopes = new Set(String(params.scope ?? '').split(' '));
    const idClaims = idTokenClaims(tx.protocol, {
      origin: tx.world.origin,
      tenant,
      client,
      user,
      scopes,
      nonce: params.nonce as string | undefined,
      cHash: asked.includes('code') && code ? claims.halfHash(code) : undefined,
      atHash: accessToken ? claims.halfHash(accessToken) : undefined,
      sid,
      implicit: true,
    });
    out.id_token = issueJwtSync({ tx, kind: 'id_token', claims: idClaims });
  }
}

/** renderError: the provider could not send the error to the app; our renderer shows Entra's page. */
export async function renderProviderError(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }, error: unknown) {
  ctx.state.tx.engineError ??= error ?? out;
}
