/**
 * The OIDC front-end: what each OIDC route of the table (server/routes.ts) does. It translates
 * only: Entra's checks before the provider (client.ts), the provider for the authorization
 * endpoint and its storage, our grants for every token. No fault logic here: the pipeline's gate
 * runs between `channel` and `handle`, and front-ends say who the user is with tx.identify().
 */
import { createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import { TENANT_ALIASES } from '../directory/lookup.js';
import type { App } from '../directory/model.js';
import { EntraError } from '../entra/errors.js';
import { responseModeOf } from '../entra/render.js';
import { paths, type Origins } from '../entra/urls.js';
import { type Handlers, type RoutesOf } from '../server/routes.js';
import type { Transaction } from '../server/transaction.js';
import { checkAuthorizeClient, checkAuthorizeRequest, checkTokenRequest, isSpaRedemption } from './client.js';
import { deviceHandlers } from './devicelogin.js';
import { redeem } from './grants.js';
import { showLogin, submitLogin } from './interaction.js';
import { providerPath } from './paths.js';
import type { Engine } from './provider.js';
import { OFFLINE_MARKER } from './scopes.js';
import { appTokens, tokenResponse } from './tokens.js';

export interface OidcHandlerOptions {
  origin: Origins;
  internalSecret: string;
}

/**
 * Runs a provider's middleware as if it were mounted at /{tid}: koa-mount's technique, keeping our ctx.
 * `asGet`: a form-posted request (authorize, logout) reaches the provider as the same request in
 * the query; its POST routes would read the already-read body again and fall through.
 */
async function dispatch(ctx: Context, engine: Engine, rest: string, asGet = false): Promise<void> {
  const originalPath = ctx.path;
  const method = ctx.method;
  if (asGet && method === 'POST') {
    ctx.query = { ...ctx.query, ...ctx.state.tx.body };
    ctx.method = 'GET';
  }
  ctx.path = rest;
  (ctx as unknown as { mountPath?: string }).mountPath = `/${engine.tenant.id}`;
  const mw = engine.middleware as Array<(c: Context, n: Next) => Promise<unknown>>;
  const run = (i: number): Promise<unknown> => (mw[i] ? mw[i]!(ctx, () => run(i + 1)) : Promise.resolve());
  try {
    await run(0);
  } finally {
    ctx.path = originalPath;
    ctx.method = method;
  }
}

const engineOf = (tx: Transaction) => tx.world.engine(tx.tenant!.id);

/** A single-tenant app (Entra's default since 2018) cannot use /common or /organizations. */
function checkAudience(tx: Transaction, app: App): void {
  if (app.signInAudience === 'AzureADMyOrg' && TENANT_ALIASES.has((tx.segment ?? '').toLowerCase())) {
    throw new EntraError(50194, { params: { appId: app.clientId, appName: app.name } });
  }
}

/**
 * A browser's token request (it carries Origin): only a SPA redirect URI may redeem a code
 * cross-origin (AADSTS9002326); the SPA's origin gets CORS headers, on errors too.
 */
function checkCrossOrigin(ctx: Context, app: App): void {
  const origin = ctx.get('origin');
  // A SPA's code is redeemed by the browser, cross-origin: server-side redemption is refused (reference §16).
  if (!origin) {
    if (ctx.state.tx.body.grant_type === 'authorization_code' && isSpaRedemption(app, ctx)) throw new EntraError(9002327);
    return;
  }
  const spaOrigins = app.spaRedirectUris.map((u) => new URL(u).origin);
  if (spaOrigins.includes(origin)) {
    ctx.set('Access-Control-Allow-Origin', origin);
    ctx.set('Vary', 'Origin');
  }
  if (ctx.state.tx.body.grant_type === 'authorization_code' && !isSpaRedemption(app, ctx)) throw new EntraError(9002326);
}

/** The authorize request's parameters, from the query (GET) or the form (POST). */
function authorizeParams(ctx: Context, tx: Transaction): Record<string, string | undefined> {
  return { ...(ctx.query as Record<string, string>), ...tx.body };
}

/** Changes authorize parameters where the client sent them (query or form). */
function setAuthorizeParams(ctx: Context, tx: Transaction, changes: Record<string, string>): void {
  if (ctx.method === 'POST') Object.assign(tx.body, changes);
  else ctx.query = { ...ctx.query, ...changes };
}

/**
 * v1 requests name one API by `resource`; inside, the mock speaks v2, so `resource` becomes
 * `{resource}/.default` (kept verbatim: v1 tokens carry it as aud). v1 always signs users in with
 * openid and issues refresh tokens.
 */
function v1Scope(tx: Transaction, from: Record<string, string | undefined>, user: boolean): string {
  const resource = typeof from.resource === 'string' && from.resource ? from.resource : undefined;
  tx.v1Resource = resource;
  return [...(user ? ['openid', 'profile', 'offline_access'] : []), ...(resource ? [`${resource}/.default`] : [])].join(' ');
}

/** Longest `state` and other authorize parameters taken (Entra's own limits are not documented). */
const MAX_STATE = 2048;
const MAX_PARAM = 4096;

/** See OFFLINE_MARKER: keeps "offline_access was asked for" through the provider's authorize step. */
const markOffline = (scope: string) => (scope.split(' ').includes('offline_access') ? `${scope} ${OFFLINE_MARKER}` : scope);

export function oidcHandlers(o: OidcHandlerOptions): Handlers<RoutesOf<'oidc'>> {
  const authorize = {
    channel(ctx: Context, tx: Transaction) {
      const repeated = Object.entries(ctx.query).find(([, v]) => Array.isArray(v));
      if (repeated) throw new EntraError(90023, { params: { detail: `The parameter '${repeated[0]}' was given more than once.` } });
      if (tx.protocol === 'v1') setAuthorizeParams(ctx, tx, { scope: v1Scope(tx, authorizeParams(ctx, tx), true) });
      const params = authorizeParams(ctx, tx);
      // A sign-in request is kept (as the provider's interaction) for an hour: its size is bounded.
      const long = Object.entries(params).find(([k, v]) => typeof v === 'string' && v.length > (k === 'state' ? MAX_STATE : MAX_PARAM));
      if (long) throw new EntraError(90015, { params: { detail: `The '${long[0]}' parameter is longer than ${long[0] === 'state' ? MAX_STATE : MAX_PARAM} characters.` } });
      const checked = checkAuthorizeClient(tx.tenant!, params);
      tx.app = checked.app;
      tx.userHint = params.login_hint;
      // From here on errors go back to the registered redirect URI, as Entra sends them.
      tx.channel = { kind: 'redirect', redirectUri: checked.redirectUri, state: checked.state, responseMode: responseModeOf(params) };
      tx.flow.channel = tx.channel;
      checkAudience(tx, checked.app);
    },
    async handle(ctx: Context, tx: Transaction) {
      const params = authorizeParams(ctx, tx);
      checkAuthorizeRequest(tx.tenant!, tx.app!, params);
      // The provider runs the code flow; what implicit / hybrid asked for is added from the funnel (shape.ts).
      tx.flow.authorize = { responseType: params.response_type!, protocol: tx.protocol };
      // Entra takes PKCE's plain method too; the provider only S256. A plain challenge c is the S256
      // challenge of SHA-256(c): the verifier (= c) then checks the same way at redemption.
      const pkce: Record<string, string> = params.code_challenge && params.code_challenge_method === 'plain' ? { code_challenge: createHash('sha256').update(params.code_challenge).digest('base64url'), code_challenge_method: 'S256' } : {};
      setAuthorizeParams(ctx, tx, { response_type: 'code', response_mode: responseModeOf(params), scope: markOffline(params.scope!), ...pkce });
      await dispatch(ctx, await engineOf(tx), providerPath(paths.v2.authorize), true);
    },
  };

  const token = {
    async channel(ctx: Context, tx: Transaction) {
      const body = tx.body;
      if (tx.protocol === 'v1') body.scope = v1Scope(tx, body, body.grant_type !== 'client_credentials');
      const app = await checkTokenRequest(ctx, tx.tenant!, o.internalSecret);
      tx.app = app;
      tx.grantType = body.grant_type;
      tx.userHint = body.username;
      checkAudience(tx, app);
      checkCrossOrigin(ctx, app);
    },
    async handle(ctx: Context, tx: Transaction) {
      if (tx.body.grant_type === 'client_credentials') return tokenResponse(ctx, tx, await appTokens(tx, tx.app!, tx.body.scope!));
      await redeem(ctx, tx, await engineOf(tx));
    },
  };

  const logout = async (ctx: Context, tx: Transaction) => {
    const at = ctx.path.indexOf(providerPath(paths.v2.logout));
    const rest = at >= 0 ? ctx.path.slice(at) : providerPath(paths.v2.logout);
    await dispatch(ctx, await engineOf(tx), rest, rest === providerPath(paths.v2.logout));
  };

  const login = async (ctx: Context, tx: Transaction) => {
    const uid = String(ctx.params.uid);
    const flow = await tx.runtime.signIns.get(uid);
    tx.continueFlow(flow);
    const engine = await engineOf(tx);
    await (ctx.method === 'POST' ? submitLogin(ctx, tx, engine) : showLogin(ctx, tx, engine));
    // What the page learned (the user, a fault that fired for them) goes on with the flow, to whichever instance resumes it.
    if (flow) await tx.runtime.signIns.set(uid, tx.flow);
  };

  return {
    'authorize.v2': authorize,
    'authorize.v1': authorize,
    // The provider resumes the sign-in after our page: the flow's channel, fault and effects apply.
    'authorize.resume': async (ctx, tx) => {
      const uid = String(ctx.params.uid);
      const flow = await tx.runtime.signIns.get(uid);
      // No sign-in of ours has this uid: expired, finished, or made up (the provider's error handler has no request to answer then).
      if (!flow) throw new EntraError(90023, { params: { detail: 'This sign-in has expired or was already finished: start the sign-in again from the application.' } });
      tx.continueFlow(flow);
      await dispatch(ctx, await engineOf(tx), `${providerPath(paths.v2.authorize)}/${uid}`);
      // This interaction is over (a further prompt, consent, gets a uid of its own).
      await tx.runtime.signIns.delete(uid);
    },
    login,
    'logout.v2': logout,
    'logout.v1': logout,
    'logout.steps': logout,
    'token.v2': token,
    'token.v1': token,
    // CORS preflight of a SPA's token request.
    'token.preflight': (ctx) => {
      ctx.set('Access-Control-Allow-Origin', ctx.get('origin') || '*');
      ctx.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
      ctx.set('Access-Control-Allow-Headers', ctx.get('access-control-request-headers') || 'content-type');
      ctx.set('Access-Control-Max-Age', '86400');
      ctx.status = 204;
    },
    ...deviceHandlers(o.origin),
  };
}
