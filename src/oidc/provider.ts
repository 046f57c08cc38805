/**
 * One oidc-provider per tenant, configured (not forked): it runs the authorization endpoint
 * (parameters, sessions, interactions, the code), sign-out and the storage of codes and refresh
 * tokens. It signs nothing: our own client authentication runs before it (client.ts), every grant
 * is ours and the token endpoint never reaches it (grants.ts), front-channel tokens come from the
 * funnel (shape.ts), and its errors are rendered as Entra's by the one error renderer.
 */
import { flowKey } from '../server/signins.js';
import './quiet.js';
import './no-async-storage.js';
import Provider, { type Configuration, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Tenant } from '../directory/model.js';
import { findApp, findResource, findUser } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import { paths, v2Issuer, type Origins } from '../entra/urls.js';
import type { KeyMaterial } from '../keys/store.js';
import { DEFAULTS } from '../scenario/defaults.js';
import { pathUrl } from '../server/routes.js';
import { providerPath } from './paths.js';
import type { Runtime } from '../server/runtime.js';
import { providerSessionCookie } from '../server/session.js';
import { redirectMatches } from './client.js';
import { signInAtAuthorize } from './interaction.js';
import { OFFLINE_MARKER, resolveScopes } from './scopes.js';
import { providerHooks, renderProviderError } from './shape.js';

export interface EngineOptions {
  origin: Origins;
  tenant: Tenant;
  keys: KeyMaterial;
  /** Shared by every provider of one server: our client auth swaps the real secret for it. */
  internalSecret: string;
  cookieKeys: string[];
  runtime: Runtime;
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

/**
 * The redirect URI was checked with Entra's rules before the provider saw the request (client.ts:
 * loopback URIs of public clients match on any port, `localhost` included, which the provider's
 * own rule does not take): the provider asks the same rule.
 */
function entraRedirectRule(provider: Provider, tenant: Tenant): void {
  const proto = (provider.Client as unknown as { prototype: { clientId: string; redirectUriAllowed(uri: string): boolean } }).prototype;
  proto.redirectUriAllowed = function (this: { clientId: string }, uri: string) {
    const app = findApp(tenant, this.clientId);
    return !!app && [...app.redirectUris, ...app.spaRedirectUris].some((r) => redirectMatches(r, uri, app.publicClient));
  };
}

/**
 * The authorize request signs the user in itself when no page is needed (interaction.ts): given
 * the request's session before the provider checks its prompts, so its login prompt is satisfied
 * and the code goes straight back to the app.
 */
function signInWithoutPage(provider: Engine): void {
  const { Session } = provider;
  const get = Session.get.bind(Session);
  Session.get = async (ctx) => {
    const session = await get(ctx);
    if ((ctx as KoaContextWithOIDC).oidc?.route === 'authorization') await signInAtAuthorize(ctx, provider, session);
    return session;
  };
}

/**
 * Entra's ID tokens carry the session's sid (reference §4): every code remembers it (the provider
 * does so only for back-channel logout clients), so front-channel logout can name the session.
 */
function alwaysIncludeSid(provider: Provider): void {
  const proto = (provider.Client as unknown as { prototype: { includeSid(): boolean } }).prototype;
  proto.includeSid = () => true;
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
      return {
        client_id: a.clientId,
        client_name: a.name,
        client_secret: o.internalSecret,
        token_endpoint_auth_method: 'client_secret_post',
        // The provider stores codes and refresh tokens; every grant runs without it (grants.ts).
        grant_types: [...(redirect ? ['authorization_code'] : []), 'refresh_token'],
        // The provider runs the code flow only: implicit and hybrid tokens come from our funnel (shape.ts).
        response_types: redirect ? ['code'] : [],
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
    adapter: o.runtime.adapter(tid) as unknown as Configuration['adapter'],
    clients: clientsOf(o) as Configuration['clients'],
    jwks: { keys: o.keys.signing.map((k) => k.privateJwk) } as Configuration['jwks'],
    cookies: { keys: o.cookieKeys, names: { session: providerSessionCookie(tid), interaction: `_interaction.${tid}`, resume: `_resume.${tid}` } } as Configuration['cookies'],
    routes: {
      authorization: providerPath(paths.v2.authorize),
      token: providerPath(paths.v2.token),
      end_session: providerPath(paths.v2.logout),
      jwks: providerPath(paths.v2.keys),
    },
    scopes: ['openid', 'profile', 'email', 'offline_access', OFFLINE_MARKER],
    claims: { openid: ['sub'] },
    responseTypes: ['code'],
    // Entra requires PKCE only where the redirect URI is a SPA's (client.ts checks it with Entra's code).
    pkce: { required: () => false },
    ttl: {
      AccessToken: tenant.lifetimes.accessToken,
      ClientCredentials: tenant.lifetimes.accessToken,
      IdToken: tenant.lifetimes.idToken,
      AuthorizationCode: DEFAULTS.codeSeconds,
      // Refresh tokens are made by our grants, which set a SPA's fixed 24-hour end themselves.
      RefreshToken: DEFAULTS.refreshTokenSeconds,
      Session: DEFAULTS.sessionSeconds,
      Grant: DEFAULTS.refreshTokenSeconds,
      Interaction: 3600,
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: false }, // Entra's userinfo is Graph's: served by our own route
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
      // Entra consents at the app level: grant whatever was asked for, once signed in. The grant
      // is made for this request and never stored: our grants never look it up (refresh tokens
      // carry their own), so a stored one per sign-in would only fill the store.
      const accountId = ctx.oidc.session?.accountId;
      if (!accountId) return undefined;
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId });
      const requested = String(ctx.oidc.params?.scope ?? '');
      const oidcScopes = requested.split(' ').filter((s) => ['openid', 'profile', 'email', 'offline_access', OFFLINE_MARKER].includes(s));
      grant.addOIDCScope(oidcScopes.join(' '));
      for (const indicator of Object.keys(ctx.oidc.resourceServers ?? {})) grant.addResourceScope(indicator, requested);
      return grant;
    },
    findAccount: async (_ctx, id) => {
      const user = findUser(tenant, id);
      return user ? { accountId: user.id, claims: async () => ({ sub: user.id }) } : undefined;
    },
    interactions: {
      policy: entraPolicy(),
      // Our sign-in page continues this sign-in: it gets what the authorize request decided (channel, fault, effects).
      url: async (ctx, interaction) => {
        const tx = ctx.state.tx;
        // Kept for the request that continues it, perhaps on another instance: with its ID and start (the sign-in log's).
        flowKey(tx.flow);
        tx.flow.started ??= tx.describeRequest();
        await tx.runtime.signIns.set(interaction.uid, tx.flow);
        return pathUrl('', paths.login, { tenant: tid, uid: interaction.uid });
      },
    },
    renderError: renderProviderError,
    conformIdTokenClaims: false,
    enabledJWA: { idTokenSigningAlgValues: ['RS256'] } as Configuration['enabledJWA'],
  };

  const provider = new Provider(v2Issuer(o.origin, tid), configuration) as Engine;
  provider.tenant = tenant;
  provider.options = o;
  allowEntraRedirectUris(provider);
  entraRedirectRule(provider, tenant);
  signInWithoutPage(provider);
  alwaysIncludeSid(provider);
  providerHooks(provider);
  return provider;
}

export type { KoaContextWithOIDC };
