/**
 * One oidc-provider per tenant, configured (not forked) to Entra's shapes: our own client
 * authentication runs before it (client.ts), the JWT customizer writes Entra's access-token claims,
 * and the response hook (shape.ts) turns its errors and token responses into Entra's.
 */
import './quiet.js';
import Provider, { type Configuration, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Tenant } from '../directory/model.js';
import { findApp, findResource, findUser } from '../directory/lookup.js';
import * as claims from '../entra/claims.js';
import { EntraError } from '../entra/errors.js';
import { paths, v2Issuer } from '../entra/urls.js';
import type { KeyMaterial } from '../keys/store.js';
import { DEFAULTS } from '../scenario/defaults.js';
import { MemoryAdapter } from './adapter.js';
import type { DeviceCodes } from './device.js';
import { DEVICE_GRANTS, deviceCodeGrant, JWT_BEARER, onBehalfOfGrant, passwordGrant, refreshTokenGrant } from './grants.js';
import { delegatedScopes, grantedRoles, OFFLINE_MARKER, resolveScopes } from './scopes.js';

import { renderProviderError, shapeResponses } from './shape.js';

export interface EngineOptions {
  origin: string;
  tenant: Tenant;
  keys: KeyMaterial;
  /** Shared by every provider of one server: our client auth swaps the real secret for it. */
  internalSecret: string;
  cookieKeys: string[];
  namespace: string;
  devices: DeviceCodes;
}

/** What our layers tell the provider hooks about the request (set on ctx.state). */
export interface OidcState {
  /** appidacr/azpacr: 0 public, 1 secret, 2 certificate. */
  clientAuth?: '0' | '1' | '2';
  /** The caught error behind an error response, for re-rendering in Entra's shape. */
  providerError?: unknown;
  /** Set when our own code already produced an Entra-shaped ID token. */
  idTokenShaped?: boolean;
  /** A SPA's refresh token: its fixed end (epoch seconds), reported as refresh_token_expires_in. */
  refreshTokenExpiresAt?: number;
}

export type Engine = Provider & { tenant: Tenant; options: EngineOptions };

/** An API as oidc-provider sees it; scopes accept `{indicator}/{perm}` (and bare names for Graph). */
export function resourceServerInfo(tenant: Tenant, indicator: string) {
  const app = findResource(tenant, indicator);
  if (!app?.api) throw new EntraError(500011, { params: { resource: indicator, tenant: tenant.domain } });
  const prefix = indicator.replace(/\/+$/, '');
  const perms = [...app.api.scopes, '.default'];
  const scope = [...perms.map((p) => `${prefix}/${p}`), ...(app.firstParty ? perms : []), 'openid', 'profile', 'email', 'offline_access'];
  return {
    scope: scope.join(' '),
    audience: indicator,
    accessTokenFormat: 'jwt' as const,
    accessTokenTTL: tenant.lifetimes.accessToken,
    jwt: { sign: { alg: 'RS256' as const } },
  };
}

/**
 * Entra lets implicit and hybrid flows use http://localhost redirect URIs; the provider refuses
 * them unless told otherwise (its documented recipe: skip these two checks).
 */
const PATCHED = Symbol('mock-entra redirect URI rules');

function allowEntraRedirectUris(provider: Provider): void {
  type Invalidate = ((message: string, code?: string) => void) & { [PATCHED]?: true };
  const schema = (provider.Client as unknown as { Schema: { prototype: { invalidate: Invalidate } } }).Schema.prototype;
  if (schema.invalidate[PATCHED]) return; // the schema may be shared by every provider
  const invalidate = schema.invalidate;
  const patched: Invalidate = function (this: unknown, message: string, code?: string) {
    if (code === 'implicit-force-https' || code === 'implicit-forbid-localhost') return;
    invalidate.call(this, message, code);
  };
  patched[PATCHED] = true;
  schema.invalidate = patched;
}

/** The provider's login and consent prompts, plus Entra's prompt=select_account (the account picker). */
function entraPolicy() {
  const policy = interactionPolicy.base();
  policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);
  return policy;
}


function clientsOf(o: EngineOptions) {
  return o.tenant.apps
    .filter((a) => !a.firstParty)
    .map((a) => {
      const redirectUris = [...a.redirectUris, ...a.spaRedirectUris];
      const redirect = redirectUris.length > 0;
      const { idTokens, accessTokens } = a.implicitGrant;
      return {
        client_id: a.clientId,
        client_name: a.name,
        client_secret: o.internalSecret,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: [...(redirect ? ['authorization_code'] : []), 'refresh_token', 'client_credentials', 'password', ...DEVICE_GRANTS, JWT_BEARER],
        response_types: redirect ? ['code', ...(idTokens ? ['id_token', 'code id_token'] : []), ...(idTokens && accessTokens ? ['id_token token'] : [])] : [],
        redirect_uris: redirectUris,
        post_logout_redirect_uris: a.postLogoutRedirectUris,
        application_type: a.publicClient ? 'native' : 'web',
      };
    });
}

export function createEngine(o: EngineOptions): Engine {
  const { tenant } = o;
  const tid = tenant.id;
  const configuration: Configuration = {
    adapter: MemoryAdapter.for(`${o.namespace}:${tid}`) as unknown as Configuration['adapter'],
    clients: clientsOf(o) as Configuration['clients'],
    jwks: { keys: o.keys.signing.map((k) => k.privateJwk) } as Configuration['jwks'],
    cookies: { keys: o.cookieKeys, names: { session: `esctx.${tid}`, interaction: `_interaction.${tid}`, resume: `_resume.${tid}` } } as Configuration['cookies'],
    routes: {
      authorization: paths.v2.authorize,
      token: paths.v2.token,
      end_session: paths.v2.logout,
      jwks: paths.v2.keys,
    },
    scopes: ['openid', 'profile', 'email', 'offline_access', OFFLINE_MARKER],
    // Marker claims: they tell the token hook which OIDC scopes a grant holds (see shape.ts).
    claims: { openid: ['sub'], profile: ['x_profile'], email: ['x_email'] },
    responseTypes: ['code', 'id_token', 'code id_token', 'id_token token'],
    // Entra requires PKCE only where the redirect URI is a SPA's (client.ts checks it with Entra's code).
    pkce: { required: () => false },
    ttl: {
      AccessToken: tenant.lifetimes.accessToken,
      ClientCredentials: tenant.lifetimes.accessToken,
      IdToken: tenant.lifetimes.idToken,
      AuthorizationCode: DEFAULTS.codeSeconds,
      // A SPA's refresh token lives 24 hours, fixed; others 90 days (reference §5).
      RefreshToken: (ctx, _token, client) => {
        const app = findApp(tenant, client.clientId);
        if (!app?.spaRedirectUris.includes(String(ctx.oidc.params?.redirect_uri ?? ''))) return DEFAULTS.refreshTokenSeconds;
        (ctx.state as OidcState).refreshTokenExpiresAt = Math.floor(Date.now() / 1000) + DEFAULTS.spaRefreshTokenSeconds;
        return DEFAULTS.spaRefreshTokenSeconds;
      },
      Session: DEFAULTS.sessionSeconds,
      Grant: DEFAULTS.refreshTokenSeconds,
      Interaction: 3600,
    },
    // Entra issues a refresh token whenever offline_access was asked for (see OFFLINE_MARKER).
    issueRefreshToken: async (_ctx, client, code) => {
      if (!client.grantTypeAllowed('refresh_token')) return false;
      return code.scopes.has('offline_access') || code.scopes.has(OFFLINE_MARKER);
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: false }, // Entra's userinfo is Graph's: served by our own route
      clientCredentials: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          // Entra signs out without asking: submit the provider's confirmation form at once.
          ctx.type = 'html';
          ctx.body = `<!DOCTYPE html><html><head><title>Sign out</title></head><body onload="document.forms[0].submit()">${form.replace('</form>', '<input type="hidden" name="logout" value="yes"/><noscript><button type="submit">Sign out</button></noscript></form>')}</body></html>`;
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.type = 'html';
          ctx.body = `<!DOCTYPE html><html><head><title>Sign out</title></head><body><h1>You signed out of your account</h1><p>It's a good idea to close all browser windows.</p></body></html>`;
        },
      },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        defaultResource: (ctx) => resolveScopes(tenant, (ctx.oidc.params?.scope as string | undefined) ?? undefined).indicator,
        getResourceServerInfo: (_ctx, indicator) => resourceServerInfo(tenant, indicator),
      },
    },
    loadExistingGrant: async (ctx) => {
      // Entra consents at the app level: grant whatever was asked for, once signed in.
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId) return undefined;
      const clientId = ctx.oidc.client!.clientId;
      const prior = ctx.oidc.session!.grantIdFor(clientId);
      const grant = (prior && (await ctx.oidc.provider.Grant.find(prior))) || new ctx.oidc.provider.Grant({ clientId, accountId });
      const requested = String(ctx.oidc.params?.scope ?? '');
      const oidcScopes = requested.split(' ').filter((s) => ['openid', 'profile', 'email', 'offline_access', OFFLINE_MARKER].includes(s));
      grant.addOIDCScope(oidcScopes.join(' '));
      for (const indicator of Object.keys(ctx.oidc.resourceServers ?? {})) grant.addResourceScope(indicator, requested);
      await grant.save();
      return grant;
    },
    findAccount: async (_ctx, id) => {
      const user = findUser(tenant, id);
      return user ? { accountId: user.id, claims: async () => ({ sub: user.id, x_profile: true, x_email: true }) } : undefined;
    },
    interactions: { policy: entraPolicy(), url: (_ctx, interaction) => `/${tid}/login/${interaction.uid}` },
    renderError: renderProviderError,
    formats: {
      customizers: {
        // Replace the provider's access-token payload with Entra's claims for the resource's token version.
        jwt: async (ctx, token, jwt) => {
          const client = findApp(tenant, token.clientId)!;
          const rs = token.resourceServer as { audience?: string } | undefined;
          const indicator = rs?.audience ?? '';
          const resource = findResource(tenant, indicator)!;
          const accountId = 'accountId' in token ? (token.accountId as string | undefined) : undefined;
          const user = accountId ? findUser(tenant, accountId) : undefined;
          const state = (ctx?.state ?? {}) as OidcState;
          let scp: string[] | undefined;
          let roles: string[] | undefined;
          if (user) {
            const asked = (token.scope ?? '').split(' ').filter(Boolean).join(' ');
            scp = delegatedScopes(client, resolveScopes(tenant, asked || `${indicator}/.default`));
          } else {
            roles = grantedRoles(client, resource);
          }
          const v1 = resource.api?.accessTokenVersion !== 2;
          jwt.header = { typ: 'JWT', ...(v1 ? { x5t: o.keys.signing[0]!.x5t } : {}) };
          jwt.payload = claims.accessToken({
            origin: o.origin,
            tenant,
            client,
            resource,
            audience: indicator,
            user,
            scp,
            roles,
            clientAuth: state.clientAuth ?? '1',
            now: Math.floor(Date.now() / 1000),
            lifetime: token.expiration ?? tenant.lifetimes.accessToken,
          });
        },
      },
    },
    conformIdTokenClaims: false,
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] } as Configuration['enabledJWA'],
  };

  const provider = new Provider(v2Issuer(o.origin, tid), configuration) as Engine;
  provider.tenant = tenant;
  provider.options = o;
  allowEntraRedirectUris(provider);
  provider.registerGrantType('password', passwordGrant, ['username', 'password', 'scope']);
  provider.registerGrantType('refresh_token', refreshTokenGrant, ['refresh_token', 'scope']);
  for (const g of DEVICE_GRANTS) provider.registerGrantType(g, deviceCodeGrant, ['device_code', 'scope']);
  provider.registerGrantType(JWT_BEARER, onBehalfOfGrant, ['assertion', 'requested_token_use', 'scope']);
  shapeResponses(provider);
  return provider;
}

export type { KoaContextWithOIDC };
