/**
 * The OIDC front-end: what each OIDC route of the table (server/routes.ts) does. It translates
 * only: Entra's checks before the provider (client.ts), the provider for the authorization
 * endpoint and its storage, our grants for every token. No fault logic here: the pipeline's gate
 * runs between `channel` and `handle`, and front-ends say who the user is with tx.identify().
 */
import { createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import { findTenant, TENANT_ALIASES } from '../directory/lookup.js';
import type { App } from '../directory/model.js';
import { EntraError } from '../entra/errors.js';
import { responseModeOf } from '../entra/render.js';
import { paths, v1Issuer, v2Issuer } from '../entra/urls.js';
import { type Handlers, url } from '../server/routes.js';
import type { Transaction } from '../server/transaction.js';
import { checkAuthorizeClient, checkAuthorizeRequest, checkTokenRequest, isSpaRedemption } from './client.js';
import { deviceHandlers } from './devicelogin.js';
import { redeem } from './grants.js';
import { discoveryV1, discoveryV2, jwks } from './discovery.js';
import { showLogin, submitLogin } from './interaction.js';
import { type Engine, providerPath } from './provider.js';
import { OFFLINE_MARKER } from './scopes.js';
import { appTokens, tokenResponse } from './tokens.js';

export interface OidcHandlerOptions {
  origin: string;
  internalSecret: string;
}

const METADATA_HEADERS = { 'Cache-Control': 'max-age=86400, private', 'Access-Control-Allow-Origin': '*' };

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

export function oidcHandlers(o: OidcHandlerOptions): Handlers<
  | 'instanceDiscovery'
  | 'userRealm'
  | 'discovery.v2'
  | 'discovery.v1'
  | 'jwks.v2'
  | 'jwks.v1'
  | 'authorize.v2'
  | 'authorize.v1'
  | 'authorize.resume'
  | 'login'
  | 'logout.v2'
  | 'logout.v1'
  | 'logout.steps'
  | 'token.v2'
  | 'token.v1'
  | 'token.preflight'
  | 'devicecode.v2'
  | 'devicecode.v1'
  | 'deviceLogin'
  | 'deviceLogin.code'
  | 'deviceLogin.signIn'
> {
  const json = (ctx: Context, body: unknown) => {
    ctx.set(METADATA_HEADERS);
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = body;
  };
  const keysFor = (tx: Transaction, issuer: (tid: string) => string) =>
    jwks(tx.world.keys.signing, issuer(TENANT_ALIASES.has(tx.segment!.toLowerCase()) ? '{tenantid}' : tx.tenant!.id));

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
    channel(ctx: Context, tx: Transaction) {
      const body = tx.body;
      if (tx.protocol === 'v1') body.scope = v1Scope(tx, body, body.grant_type !== 'client_credentials');
      const app = checkTokenRequest(ctx, tx.tenant!, o.internalSecret);
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
    tx.continueFlow(tx.runtime.signIns.get(String(ctx.params.uid)));
    const engine = await engineOf(tx);
    await (ctx.method === 'POST' ? submitLogin(ctx, tx, engine) : showLogin(ctx, tx, engine));
  };

  return {
    // MSAL's instance discovery: 200 for any tenant, naming this host as the only cloud alias.
    instanceDiscovery: (ctx) => {
      const auth = String(ctx.query.authorization_endpoint ?? '');
      const tenant = /^https?:\/\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'common';
      const host = new URL(o.origin).host;
      json(ctx, {
        tenant_discovery_endpoint: url(o.origin, 'discovery.v2', { tenant }),
        'api-version': String(ctx.query['api-version'] ?? '1.1'),
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
    },
    // Home-realm discovery, asked by MSAL before ROPC. Body shape (unverified) after MSAL's and ADAL's readers.
    userRealm: (ctx, tx) => {
      const user = String(ctx.params.user);
      const domain = (user.includes('@') ? user.split('@').pop()! : user).toLowerCase();
      const tenant = findTenant(tx.world.directory, domain);
      json(ctx, {
        ver: '1.0',
        account_type: tenant && tenant.domain === domain ? 'Managed' : 'Unknown',
        domain_name: domain,
        cloud_instance_name: 'microsoftonline.com',
        cloud_audience_urn: 'urn:federation:MicrosoftOnline',
      });
    },
    'discovery.v2': (ctx, tx) => json(ctx, discoveryV2(o.origin, tx.tenant!, tx.segment!)),
    'discovery.v1': (ctx, tx) => json(ctx, discoveryV1(o.origin, tx.tenant!, tx.segment!)),
    'jwks.v2': (ctx, tx) => json(ctx, keysFor(tx, (t) => v2Issuer(o.origin, t))),
    'jwks.v1': (ctx, tx) => json(ctx, keysFor(tx, v1Issuer)),
    'authorize.v2': authorize,
    'authorize.v1': authorize,
    // The provider resumes the sign-in after our page: the flow's channel, fault and effects apply.
    'authorize.resume': async (ctx, tx) => {
      const uid = String(ctx.params.uid);
      const flow = tx.runtime.signIns.get(uid);
      // No sign-in of ours has this uid: expired, finished, or made up (the provider's error handler has no request to answer then).
      if (!flow) throw new EntraError(90023, { params: { detail: 'This sign-in has expired or was already finished: start the sign-in again from the application.' } });
      tx.continueFlow(flow);
      await dispatch(ctx, await engineOf(tx), `${providerPath(paths.v2.authorize)}/${uid}`);
      // This interaction is over (a further prompt, consent, gets a uid of its own).
      tx.runtime.signIns.delete(uid);
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
