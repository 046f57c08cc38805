/**
 * Entra's checks that run before the provider sees a request: who the client is, whether its
 * credentials and redirect URI are registered, and whether its scopes name a known resource.
 * Everything the provider receives afterwards is already valid in Entra's terms.
 */
import { constants, verify } from 'node:crypto';
import type { Context } from 'koa';
import type { App, Tenant } from '../directory/model.js';
import { findApp } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import { url } from '../server/routes.js';
import type { Transaction } from '../server/transaction.js';
import { checkValidity, type ParsedAssertion, parseAssertion } from './assertion.js';
import { checkFederatedAssertion } from './federation.js';
import { resolveScopes } from './scopes.js';

const CLIENT_ASSERTION = 'client_assertion';

function basicCredentials(ctx: Context): { id: string; secret: string } | undefined {
  const h = ctx.get('authorization');
  if (!/^basic /i.test(h)) return undefined;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  // RFC 6749 §2.3.1: both parts are form-encoded inside Basic.
  const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: dec(decoded.slice(0, i)), secret: dec(decoded.slice(i + 1)) };
  } catch {
    throw new EntraError(90023, { error: 'invalid_client', status: 401, params: { detail: 'The Basic credentials of the Authorization header are not form-encoded (RFC 6749 §2.3.1): encode the client ID and secret with encodeURIComponent before base64, or send them in the body.' } });
  }
}

/** Token endpoint: authenticate the client as Entra does, then hand the provider a request it accepts. */
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * Certificate credentials (reference §8): a JWT signed by a key whose certificate is registered on
 * the app, named by x5t or x5t#S256, RS256 or PS256, aud = the token endpoint, iss = sub = client ID.
 */
function checkCertificateAssertion(app: App, a: ParsedAssertion, audiences: string[]): '2' {
  const { header, claims } = a;
  const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
  const x5tS256 = typeof header['x5t#S256'] === 'string' ? (header['x5t#S256'] as string) : undefined;
  const cert = app.certificates.find((c) => (x5tS256 && c.x5tS256 === x5tS256) || (x5t && c.x5t === x5t));
  const shown = x5t ? Buffer.from(x5t, 'base64url').toString('hex').toUpperCase() : (x5tS256 ?? '');
  if (!cert) throw new EntraError(700027, { params: { reason: 'The key was not found.', thumbprint: shown, appId: app.clientId } });
  const ok =
    header.alg === 'RS256'
      ? verify('sha256', a.signed, cert.publicKey, a.signature)
      : header.alg === 'PS256' && verify('sha256', a.signed, { key: cert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, a.signature);
  if (!ok) throw new EntraError(700027, { params: { reason: 'The provided signature value did not match the expected signature value.', thumbprint: shown, appId: app.clientId } });
  if (claims.iss !== app.clientId || claims.sub !== app.clientId) throw new EntraError(700021);
  if (!audiences.includes(String(claims.aud))) throw new EntraError(700023);
  checkValidity(claims);
  return '2';
}

/**
 * A client_assertion: the app's own (iss = client ID: a certificate credential), or a token of an
 * external issuer the app trusts through a federated credential (workload identity federation).
 */
async function checkClientAssertion(tx: Transaction, app: App, assertion: string, audiences: string[]): Promise<'2'> {
  const parsed = parseAssertion(assertion);
  const iss = parsed.claims.iss;
  if (typeof iss === 'string' && iss !== '' && iss !== app.clientId) {
    await checkFederatedAssertion(tx, app, parsed);
    return '2';
  }
  return checkCertificateAssertion(app, parsed, audiences);
}

export async function checkTokenRequest(ctx: Context, tenant: Tenant, internalSecret: string): Promise<App> {
  const tx = ctx.state.tx;
  const body = tx.body;
  const basic = basicCredentials(ctx);
  if (!body.grant_type) throw new EntraError(900144, { params: { param: 'grant_type' } });
  const clientId = body.client_id || basic?.id;
  if (!clientId) throw new EntraError(900144, { params: { param: 'client_id' } });
  const app = findApp(tenant, clientId);
  if (!app) throw new EntraError(700016, { params: { appId: clientId, tenant: tenant.domain } });
  const secret = body.client_secret ?? basic?.secret;
  if (body[CLIENT_ASSERTION] !== undefined && body.client_assertion_type !== CLIENT_ASSERTION_TYPE) {
    throw new EntraError(900144, { params: { param: 'client_assertion_type' } });
  }
  const spa = app.spaRedirectUris.length > 0 && (isSpaRedemption(app, ctx) || (body.grant_type === 'refresh_token' && !!ctx.get('origin')));
  tx.clientAuth = await authenticate(tx, app, secret, body[CLIENT_ASSERTION], body.grant_type, tenant, spa);

  if (body.grant_type === 'client_credentials') {
    if (!body.scope) throw new EntraError(900144, { params: { param: 'scope' } });
    resolveScopes(tenant, body.scope, { requireDefault: true });
  } else if (body.scope && ['password', 'refresh_token', 'authorization_code'].includes(body.grant_type)) {
    resolveScopes(tenant, body.scope);
  }
  // The provider knows every client by one internal secret (sent by POST); ours was checked above.
  ctx.request.headers.authorization = '';
  delete ctx.request.headers.authorization;
  body.client_id = app.clientId;
  body.client_secret = internalSecret;
  delete body[CLIENT_ASSERTION];
  delete body.client_assertion_type;
  return app;
}

/**
 * A client assertion's aud is this token endpoint, under the tenant ID or its domain, v2 or v1; as
 * Microsoft, on any of the public cloud's login hosts (unverified: that Entra takes every alias).
 */
const assertionAudiences = (tenant: Tenant, origins: string[]) =>
  origins.flatMap((origin) => [tenant.id, tenant.domain].flatMap((t) => [url(origin, 'token.v2', { tenant: t }), url(origin, 'token.v1', { tenant: t })]));

/** Returns appidacr: '0' public client, '1' secret, '2' certificate or federated credential. */
async function authenticate(tx: Transaction, app: App, secret: string | undefined, assertion: string | undefined, grantType: string, tenant: Tenant, spa: boolean): Promise<'0' | '1' | '2'> {
  if (assertion !== undefined) return checkClientAssertion(tx, app, assertion, assertionAudiences(tenant, tx.world.origin.asMicrosoft ? tx.world.origin.loginAliases() : [tx.ids.origin]));
  if (secret === undefined || secret === '') {
    // Public clients, and SPAs redeeming from the browser, send no credentials.
    if ((app.publicClient || spa) && grantType !== 'client_credentials') return '0';
    throw new EntraError(7000218);
  }
  if (app.secrets.length === 0 && app.publicClient) throw new EntraError(700025);
  const match = app.secrets.find((s) => s.value === secret);
  if (!match) throw new EntraError(7000215, { params: { appId: app.clientId } });
  if (match.expires && match.expires.getTime() < Date.now()) throw new EntraError(7000222, { params: { appId: app.clientId } });
  return '1';
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Exact match, except that public clients' http loopback URIs match on any port (RFC 8252;
 * Entra ignores the port of localhost redirect URIs, which desktop apps and CLIs rely on).
 */
export function redirectMatches(registered: string, sent: string, publicClient: boolean): boolean {
  if (registered === sent) return true;
  if (!publicClient) return false;
  try {
    const r = new URL(registered);
    const s = new URL(sent);
    return r.protocol === 'http:' && s.protocol === 'http:' && LOOPBACK.has(r.hostname) && r.hostname === s.hostname && r.pathname === s.pathname && r.search === s.search;
  } catch {
    return false;
  }
}

export interface AuthorizeCheck {
  app: App;
  redirectUri: string;
  state?: string;
}

/** Authorize endpoint, the checks Entra answers with its own page (never a redirect): client and redirect URI. */
export function checkAuthorizeClient(tenant: Tenant, params: Record<string, string | undefined>): AuthorizeCheck {
  const clientId = params.client_id;
  if (!clientId) throw new EntraError(900144, { params: { param: 'client_id' } });
  const app = findApp(tenant, clientId);
  if (!app) throw new EntraError(700016, { params: { appId: clientId, tenant: tenant.domain } });
  const registered = [...app.redirectUris, ...app.spaRedirectUris];
  if (registered.length === 0) throw new EntraError(500113);
  const redirectUri = params.redirect_uri ?? registered[0]!;
  if (!registered.some((r) => redirectMatches(r, redirectUri, app.publicClient))) {
    throw new EntraError(50011, { params: { uri: redirectUri, appId: app.clientId } });
  }
  return { app, redirectUri, state: params.state };
}

/** Authorize endpoint, the checks Entra answers by redirecting back to the (now trusted) redirect URI. */
export function checkAuthorizeRequest(tenant: Tenant, app: App, params: Record<string, string | undefined>): void {
  if (!params.response_type) throw new EntraError(900144, { params: { param: 'response_type' } });
  if (!params.scope) throw new EntraError(900144, { params: { param: 'scope' } });
  const types = params.response_type.split(' ');
  if (types.includes('id_token') && !app.implicitGrant.idTokens) throw new EntraError(700054);
  if (types.includes('token') && !app.implicitGrant.accessTokens) throw new EntraError(700051);
  if (types.includes('id_token') && !params.nonce) throw new EntraError(90014, { params: { field: 'nonce' } });
  if (types.includes('code') && app.spaRedirectUris.includes(params.redirect_uri ?? '') && !params.code_challenge) throw new EntraError(9002325);
  resolveScopes(tenant, params.scope);
}

/** Whether this code redemption comes from a browser on another origin (a SPA's fetch). */
export function isSpaRedemption(app: App, ctx: Context): boolean {
  return app.spaRedirectUris.includes(ctx.state.tx.body.redirect_uri ?? '');
}
