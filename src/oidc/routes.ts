/** Entra's URL layout (reference §1) mapped onto the per-tenant providers and our own endpoints. */
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { App, Tenant } from '../directory/model.js';
import { findTenant, TENANT_ALIASES } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import { paths, TENANT_SEGMENT, v1Issuer, v2Issuer } from '../entra/urls.js';
import type { KeyMaterial } from '../keys/store.js';
import { gate } from '../faults/gate.js';
import { requestBody } from '../server/context.js';
import { setErrorChannel } from '../server/errors.js';
import { worldOf } from '../server/world.js';
import { checkAuthorizeClient, checkAuthorizeRequest, checkTokenRequest, isSpaRedemption } from './client.js';
import { deviceRoutes } from './devicelogin.js';
import { discoveryV1, discoveryV2, jwks } from './discovery.js';
import { showLogin, submitLogin } from './interaction.js';
import { clientCredentialsResponse } from './app-tokens.js';
import type { Engine, OidcState } from './provider.js';
import { OFFLINE_MARKER } from './scopes.js';

export interface OidcRoutesOptions {
  origin: string;
  keys: KeyMaterial;
  internalSecret: string;
}

interface TenantState {
  tenant: Tenant;
  engine: () => Promise<Engine>;
  segment: string;
}

const METADATA_HEADERS = { 'Cache-Control': 'max-age=86400, private', 'Access-Control-Allow-Origin': '*' };

/** Runs a provider's middleware as if it were mounted at /{tid}: koa-mount's technique, keeping our ctx. */
async function dispatch(ctx: Context, engine: Engine, rest: string): Promise<void> {
  const originalPath = ctx.path;
  ctx.path = rest;
  (ctx as unknown as { mountPath?: string }).mountPath = `/${engine.tenant.id}`;
  const mw = engine.middleware as Array<(c: Context, n: Next) => Promise<unknown>>;
  const run = (i: number): Promise<unknown> => (mw[i] ? mw[i]!(ctx, () => run(i + 1)) : Promise.resolve());
  try {
    await run(0);
  } finally {
    ctx.path = originalPath;
  }
}

/** A single-tenant app (Entra's default since 2018) cannot use /common or /organizations. */
function checkAudience(ctx: Context, app: App): void {
  const { segment } = ctx.state.tenant as TenantState;
  if (app.signInAudience === 'AzureADMyOrg' && TENANT_ALIASES.has(segment.toLowerCase())) {
    throw new EntraError(50194, { params: { appId: app.clientId, appName: app.name } });
  }
}

/**
 * A browser's token request (it carries Origin): only a SPA redirect URI may redeem a code
 * cross-origin (AADSTS9002326); the SPA's origin gets CORS headers, on errors too.
 */
function checkCrossOrigin(ctx: Context, app: App): void {
  const origin = ctx.get('origin');
  if (!origin) return;
  const spaOrigins = app.spaRedirectUris.map((u) => new URL(u).origin);
  if (spaOrigins.includes(origin)) {
    ctx.set('Access-Control-Allow-Origin', origin);
    ctx.set('Vary', 'Origin');
  }
  if (requestBody(ctx).grant_type === 'authorization_code' && !isSpaRedemption(app, ctx)) throw new EntraError(9002326);
}

/**
 * v1 requests name one API by `resource`; inside, the mock speaks v2, so `resource` becomes
 * `{resource}/.default` (kept verbatim: v1 tokens carry it as aud). v1 always signs users in with
 * openid and issues refresh tokens.
 */
function toV2Scope(ctx: Context, user: boolean): void {
  const body = requestBody(ctx);
  const from = Object.keys(body).length ? body : (ctx.query as Record<string, string>);
  const resource = typeof from.resource === 'string' && from.resource ? from.resource : undefined;
  ctx.state.v1Resource = resource;
  const scope = [...(user ? ['openid', 'profile', 'offline_access'] : []), ...(resource ? [`${resource}/.default`] : [])].join(' ');
  if (Object.keys(body).length) body.scope = scope;
  else ctx.query = { ...ctx.query, scope };
}

/** See OFFLINE_MARKER: keeps "offline_access was asked for" through the provider's authorize step. */
function markOffline(ctx: Context): void {
  const add = (scope: string) => (scope.split(' ').includes('offline_access') ? `${scope} ${OFFLINE_MARKER}` : scope);
  const body = requestBody(ctx);
  if (body.scope) body.scope = add(body.scope);
  else if (typeof ctx.query.scope === 'string') ctx.query = { ...ctx.query, scope: add(ctx.query.scope) };
}

export function oidcRoutes(o: OidcRoutesOptions): Router {
  const router = new Router();
  const tenantOf = (ctx: Context) => ctx.state.tenant as TenantState;

  // Tenant in the first path segment: GUID, domain or alias; unknown ones get AADSTS90002.
  const resolveTenant = async (ctx: Context, next: Next) => {
    const segment = String(ctx.params.tenant);
    if (!TENANT_SEGMENT.test(segment)) throw new EntraError(900023, { params: { tenant: segment } });
    const world = worldOf(ctx);
    const tenant = findTenant(world.directory, segment);
    if (!tenant) throw new EntraError(90002, { params: { tenant: segment } });
    ctx.state.tenant = { tenant, engine: () => world.engine(tenant.id), segment } satisfies TenantState;
    await next();
  };
  // Browser-facing endpoints answer even a bad tenant with Entra's page, never JSON.
  const onPage = async (ctx: Context, next: Next) => {
    setErrorChannel(ctx, { kind: 'page' });
    await next();
  };
  const json = (ctx: Context, body: unknown) => {
    ctx.set(METADATA_HEADERS);
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = body;
  };

  // MSAL's instance discovery: 200 for any tenant, naming this host as the only cloud alias.
  router.get('/common/discovery/instance', (ctx) => {
    const auth = String(ctx.query.authorization_endpoint ?? '');
    const tenant = /^https?:\/\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'common';
    const host = new URL(o.origin).host;
    json(ctx, {
      tenant_discovery_endpoint: `${o.origin}/${tenant}${paths.v2.discovery}`,
      'api-version': String(ctx.query['api-version'] ?? '1.1'),
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  });

  // Home-realm discovery, asked by MSAL before ROPC. Body shape (unverified) after MSAL's and ADAL's readers.
  router.get('/common/userrealm/:user', (ctx) => {
    const user = decodeURIComponent(String(ctx.params.user));
    const domain = user.includes('@') ? user.split('@').pop()!.toLowerCase() : user.toLowerCase();
    const tenant = worldOf(ctx).directory.tenants.find((t) => t.domain === domain);
    json(ctx, {
      ver: '1.0',
      account_type: tenant ? 'Managed' : 'Unknown',
      domain_name: domain,
      cloud_instance_name: 'microsoftonline.com',
      cloud_audience_urn: 'urn:federation:MicrosoftOnline',
    });
  });


  router.get('/:tenant/v2.0/.well-known/openid-configuration', resolveTenant, async (ctx) => {
    const { tenant, segment } = tenantOf(ctx);
    await gate(ctx, { endpoint: 'discovery', tenant });
    json(ctx, discoveryV2(o.origin, tenant, segment));
  });
  router.get('/:tenant/.well-known/openid-configuration', resolveTenant, async (ctx) => {
    const { tenant, segment } = tenantOf(ctx);
    await gate(ctx, { endpoint: 'discovery', tenant });
    json(ctx, discoveryV1(o.origin, tenant, segment));
  });
  router.get(`/:tenant${paths.v2.keys}`, resolveTenant, async (ctx) => {
    const { tenant, segment } = tenantOf(ctx);
    await gate(ctx, { endpoint: 'jwks', tenant });
    const alias = TENANT_ALIASES.has(segment.toLowerCase());
    json(ctx, jwks(o.keys.signing, v2Issuer(o.origin, alias ? '{tenantid}' : tenant.id)));
  });
  router.get(`/:tenant${paths.v1.keys}`, resolveTenant, async (ctx) => {
    const { tenant, segment } = tenantOf(ctx);
    await gate(ctx, { endpoint: 'jwks', tenant });
    const alias = TENANT_ALIASES.has(segment.toLowerCase());
    json(ctx, jwks(o.keys.signing, v1Issuer(alias ? '{tenantid}' : tenant.id)));
  });

  const authorize = async (ctx: Context) => {
    const { tenant, engine } = tenantOf(ctx);
    if (ctx.state.v1) toV2Scope(ctx, true);
    const repeated = Object.entries(ctx.query).find(([, v]) => Array.isArray(v));
    if (repeated) throw new EntraError(90023, { params: { detail: `The parameter '${repeated[0]}' was given more than once.` }, status: 200 });
    const params = { ...(ctx.query as Record<string, string>), ...requestBody(ctx) };
    const checked = checkAuthorizeClient(tenant, params);
    // From here on errors go back to the registered redirect URI, as Entra sends them.
    setErrorChannel(ctx, { kind: 'redirect', redirectUri: checked.redirectUri, state: checked.state, responseMode: params.response_mode ?? 'query' });
    checkAudience(ctx, checked.app);
    await gate(ctx, { endpoint: 'authorize', tenant, app: checked.app, userHint: params.login_hint });
    checkAuthorizeRequest(tenant, checked.app, params);
    markOffline(ctx);
    await dispatch(ctx, await engine(), paths.v2.authorize);
  };
  router.get(`/:tenant${paths.v2.authorize}`, onPage, resolveTenant, authorize);
  router.post(`/:tenant${paths.v2.authorize}`, onPage, resolveTenant, authorize);
  router.get(`/:tenant${paths.v2.authorize}/:uid`, onPage, resolveTenant, async (ctx) => {
    await dispatch(ctx, await tenantOf(ctx).engine(), `${paths.v2.authorize}/${ctx.params.uid}`);
  });
  const token = async (ctx: Context) => {
    const { tenant, engine } = tenantOf(ctx);
    const body = requestBody(ctx);
    if (ctx.state.v1) toV2Scope(ctx, body.grant_type !== 'client_credentials');
    const app = checkTokenRequest(ctx, tenant, o.internalSecret);
    checkAudience(ctx, app);
    checkCrossOrigin(ctx, app);
    await gate(ctx, { endpoint: 'token', tenant, app, grantType: body.grant_type, userHint: body.username });
    if (body.grant_type === 'client_credentials' && !ctx.state.v1) {
      const clientAuth = (ctx.state as OidcState).clientAuth === '2' ? '2' : '1';
      ctx.set('Cache-Control', 'no-store, no-cache');
      ctx.set('Pragma', 'no-cache');
      ctx.body = await clientCredentialsResponse(ctx, { origin: o.origin, tenant, client: app, keys: worldOf(ctx).keys, scope: body.scope!, clientAuth });
      return;
    }
    await dispatch(ctx, await engine(), paths.v2.token);
  };
  router.post(`/:tenant${paths.v2.token}`, resolveTenant, token);
  // CORS preflight of a SPA's token request.
  router.options(`/:tenant${paths.v2.token}`, (ctx) => {
    ctx.set('Access-Control-Allow-Origin', ctx.get('origin') || '*');
    ctx.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
    ctx.set('Access-Control-Allow-Headers', ctx.get('access-control-request-headers') || 'content-type');
    ctx.set('Access-Control-Max-Age', '86400');
    ctx.status = 204;
  });
  // v1 endpoints: the same flows, with `resource` instead of scopes and v1-shaped responses (shape.ts).
  const v1 = async (ctx: Context, next: Next) => {
    ctx.state.v1 = true;
    await next();
  };
  router.get(`/:tenant${paths.v1.authorize}`, onPage, resolveTenant, v1, authorize);
  router.post(`/:tenant${paths.v1.authorize}`, onPage, resolveTenant, v1, authorize);
  router.post(`/:tenant${paths.v1.token}`, resolveTenant, v1, token);

  const logout = async (ctx: Context) => {
    await gate(ctx, { endpoint: 'logout', tenant: tenantOf(ctx).tenant });
    const at = ctx.path.indexOf(paths.v2.logout);
    const rest = at >= 0 ? ctx.path.slice(at) : paths.v2.logout;
    await dispatch(ctx, await tenantOf(ctx).engine(), rest);
  };
  router.all(`/:tenant${paths.v2.logout}`, onPage, resolveTenant, logout);
  router.all(`/:tenant${paths.v1.logout}`, onPage, resolveTenant, logout);
  router.all(`/:tenant${paths.v2.logout}/*rest`, onPage, resolveTenant, logout);

  deviceRoutes(router, o.origin, resolveTenant, tenantOf);

  router.get('/:tenant/login/:uid', onPage, resolveTenant, async (ctx) => {
    await showLogin(ctx, await tenantOf(ctx).engine());
  });
  router.post('/:tenant/login/:uid', onPage, resolveTenant, async (ctx) => {
    await submitLogin(ctx, await tenantOf(ctx).engine());
  });
  return router;
}
