/**
 * SAML endpoints: `/{tenant}/saml2` (SP-initiated sign-in and logout), the IdP-initiated launch URL,
 * and federation metadata. Problems with a request get Entra's error page, never a Response.
 */
import { createSign, randomUUID } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { App, Tenant, User } from '../directory/model.js';
import { findTenant, findUser, isAssigned } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import { paths, TENANT_SEGMENT } from '../entra/urls.js';
import type { KeyMaterial } from '../keys/store.js';
import { requestBody } from '../server/context.js';
import { gate } from '../faults/gate.js';
import { breakXmlSignature, issueFaults, rogueKey } from '../faults/shape.js';
import { setErrorChannel } from '../server/errors.js';
import { clearSso, readSso, writeSso } from '../server/session.js';
import { worldOf } from '../server/world.js';
import { formPost, loginPage } from '../ui/pages.js';
import { federationMetadata } from './metadata.js';
import { readRequest, type AuthnRequestInfo } from './request.js';
import { buildLogoutResponse, buildResponse, buildStatusResponse, STATUS } from './response.js';
import { appCerts, SIG_ALGS } from './signing.js';
import { verifyPost, verifyRedirect } from './verify.js';
import { decodeMessage, parseXml } from './xml.js';

export interface SamlRoutesOptions {
  origin: string;
  keys: KeyMaterial;
}

/** A sign-in waiting on the login page. */
interface Pending {
  tenantId: string;
  appId: string;
  acsUrl: string;
  request?: AuthnRequestInfo;
  relayState?: string;
  expires: number;
}

const PENDING_TTL = 15 * 60 * 1000;
const loginHint = (ctx: Context) => (typeof ctx.query.login_hint === 'string' ? ctx.query.login_hint : undefined);

function findSamlApp(tenant: Tenant, identifier: string): App | undefined {
  return tenant.apps.find((a) => a.saml?.identifier === identifier);
}

/**
 * Entra checks a request's signature only when the app has verification certificates, and
 * refuses unsigned requests only when it requires them (reference §10.2).
 */
function checkRequestSignature(app: App, verified: boolean | undefined): void {
  const saml = app.saml!;
  if (verified === undefined) {
    if (saml.requireSignedRequests) throw new EntraError(76021);
    return;
  }
  if (saml.verificationCertificates.length > 0 && !verified) {
    throw new EntraError(75005, { params: { detail: 'The signature of the request does not verify with any of the application\'s verification certificates.' } });
  }
}

/** Users here sign in with a password: a request for any other method cannot be met (AADSTS75011). */
const PASSWORD_CONTEXTS = new Set(['urn:oasis:names:tc:SAML:2.0:ac:classes:Password', 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport', 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified']);

function checkAuthnContext(requested: string[] | undefined): void {
  if (!requested?.length || requested.some((r) => PASSWORD_CONTEXTS.has(r))) return;
  const name = (uri: string) => uri.split(':').pop() ?? uri;
  throw new EntraError(75011, { params: { actual: 'Password', requested: requested.map(name).join(', ') } });
}

export function samlRoutes(o: SamlRoutesOptions): Router {
  const router = new Router();
  const pending = new Map<string, Pending>();

  const page = async (ctx: Context, next: Next) => {
    setErrorChannel(ctx, { kind: 'page' });
    await next();
  };
  const tenantOf = (ctx: Context): Tenant => {
    const { directory } = worldOf(ctx);
    const segment = String(ctx.params.tenant ?? ctx.query.tenantId ?? directory.tenants[0]?.id);
    if (!TENANT_SEGMENT.test(segment)) throw new EntraError(900023, { params: { tenant: segment } });
    const tenant = findTenant(directory, segment);
    if (!tenant) throw new EntraError(90002, { params: { tenant: segment } });
    return tenant;
  };

  /** Sign-in done: the browser gets the auto-submitting form that POSTs the SAMLResponse to the ACS. */
  const respond = async (ctx: Context, tenant: Tenant, app: App, user: User, p: Omit<Pending, 'expires' | 'tenantId' | 'appId'>, authnInstant: number) => {
    if (!isAssigned(app, user)) throw new EntraError(50105, { params: { appName: app.name, appId: app.clientId } });
    const { active } = await appCerts(o.keys.certsDir, app);
    const faults = issueFaults(ctx);
    const key = faults?.swapKey ? await rogueKey() : active;
    let { xml } = await buildResponse({ tenant, app, user, acsUrl: p.acsUrl, inResponseTo: p.request?.id, nameIdFormat: p.request?.nameIdFormat, authnInstant, key, faults });
    if (faults?.breakSignature) xml = breakXmlSignature(xml);
    ctx.state.samlResponse = xml;
    ctx.type = 'html';
    ctx.body = formPost(p.acsUrl, { SAMLResponse: Buffer.from(xml).toString('base64'), ...(p.relayState !== undefined ? { RelayState: p.relayState } : {}) });
  };

  /** Signs in now (session, or login_hint with auto sign-in) or shows the login page. */
  const signIn = async (ctx: Context, tenant: Tenant, app: App, p: Omit<Pending, 'expires' | 'tenantId' | 'appId'>) => {
    const session = readSso(ctx, tenant);
    const force = p.request?.forceAuthn ?? false;
    if (session && !force) return respond(ctx, tenant, app, session.user, p, session.authnInstant);
    if (p.request?.isPassive) {
      const { active } = await appCerts(o.keys.certsDir, app);
      const xml = await buildStatusResponse(tenant, app, p.acsUrl, p.request.id, STATUS.noPassive, 'AADSTS50058: A silent sign-in request was sent but no user is signed in.', active);
      ctx.type = 'html';
      ctx.body = formPost(p.acsUrl, { SAMLResponse: Buffer.from(xml).toString('base64'), ...(p.relayState !== undefined ? { RelayState: p.relayState } : {}) });
      return;
    }
    const hinted = findUser(tenant, loginHint(ctx));
    if (hinted && tenant.autoSignIn && !force) {
      const now = Date.now();
      writeSso(ctx, tenant, hinted, now);
      return respond(ctx, tenant, app, hinted, p, now);
    }
    const id = randomUUID();
    for (const [k, v] of pending) if (v.expires < Date.now()) pending.delete(k);
    pending.set(id, { ...p, tenantId: tenant.id, appId: app.clientId, expires: Date.now() + PENDING_TTL });
    ctx.type = 'html';
    ctx.body = loginPage({ tenant, action: `/${tenant.id}${paths.saml2}/login/${id}`, appName: app.name, ...(hinted ? { user: hinted } : {}) });
  };

  const handleRequest = async (ctx: Context, binding: 'redirect' | 'post') => {
    const tenant = tenantOf(ctx);
    const source = binding === 'redirect' ? (ctx.query as Record<string, unknown>) : requestBody(ctx);
    const encoded = source.SAMLRequest;
    const relayState = typeof source.RelayState === 'string' ? source.RelayState : undefined;
    if (typeof encoded !== 'string' || !encoded) throw new EntraError(750054);
    const xml = decodeMessage(encoded, binding);
    const request = readRequest(parseXml(xml));
    const app = findSamlApp(tenant, request.issuer);
    if (!app) throw new EntraError(700016, { params: { appId: request.issuer, tenant: tenant.id } });
    if (request.kind === 'LogoutRequest') return logout(ctx, tenant, app, request.id, relayState);
    await gate(ctx, { endpoint: 'saml', tenant, app, user: readSso(ctx, tenant)?.user, userHint: loginHint(ctx) });
    checkRequestSignature(app, binding === 'redirect' ? verifyRedirect(ctx.querystring, app.saml!.verificationCertificates) : verifyPost(xml, app.saml!.verificationCertificates));
    checkAuthnContext(request.authnContext);
    const acsUrl = request.acsUrl ?? app.saml!.replyUrls[0]!;
    if (!app.saml!.replyUrls.includes(acsUrl)) throw new EntraError(50011, { params: { uri: acsUrl, appId: app.clientId } });
    await signIn(ctx, tenant, app, { acsUrl, request, relayState });
  };

  /** SP-initiated logout: end the session, then a LogoutResponse to the app's Logout URL (HTTP-Redirect). */
  const logout = async (ctx: Context, tenant: Tenant, app: App, inResponseTo: string, relayState?: string) => {
    clearSso(ctx, tenant);
    const target = app.saml!.logoutUrl;
    if (!target) {
      ctx.type = 'html';
      ctx.body = '<!DOCTYPE html><html><head><title>Sign out</title></head><body><h1>You signed out of your account</h1></body></html>';
      return;
    }
    const xml = buildLogoutResponse(o.origin, tenant, target, inResponseTo);
    const query = new URLSearchParams({ SAMLResponse: deflateRawSync(Buffer.from(xml)).toString('base64'), ...(relayState !== undefined ? { RelayState: relayState } : {}) });
    const { active } = await appCerts(o.keys.certsDir, app);
    const alg = SIG_ALGS[app.saml!.signing.algorithm];
    query.set('SigAlg', alg);
    // HTTP-Redirect binding signature: over "SAMLResponse=…&RelayState=…&SigAlg=…" exactly as sent.
    const signature = createSign(app.saml!.signing.algorithm === 'sha1' ? 'RSA-SHA1' : 'RSA-SHA256').update(query.toString()).sign(active.privateKey, 'base64');
    query.set('Signature', String(signature));
    ctx.redirect(`${target}${target.includes('?') ? '&' : '?'}${query}`);
  };

  router.get(`/:tenant${paths.saml2}`, page, (ctx) => handleRequest(ctx, 'redirect'));
  router.post(`/:tenant${paths.saml2}`, page, (ctx) => handleRequest(ctx, 'post'));

  router.post(`/:tenant${paths.saml2}/login/:id`, page, async (ctx) => {
    const tenant = tenantOf(ctx);
    const p = pending.get(String(ctx.params.id));
    if (!p || p.expires < Date.now() || p.tenantId !== tenant.id) throw new EntraError(75005, { params: { detail: 'The sign-in request has expired; start again from the application.' } });
    const app = tenant.apps.find((a) => a.clientId === p.appId)!;
    const { username, password } = requestBody(ctx);
    const user = findUser(tenant, username);
    const action = ctx.path;
    if (!username || !user) {
      ctx.type = 'html';
      ctx.body = loginPage({ tenant, action, appName: app.name, error: username ? "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin." : undefined });
      return;
    }
    if (password === undefined) {
      ctx.type = 'html';
      ctx.body = loginPage({ tenant, action, appName: app.name, user });
      return;
    }
    if (user.password !== password) {
      ctx.type = 'html';
      ctx.body = loginPage({ tenant, action, appName: app.name, user, error: "Your account or password is incorrect. If you don't remember your password, reset it now." });
      return;
    }
    pending.delete(String(ctx.params.id));
    const now = Date.now();
    writeSso(ctx, tenant, user, now);
    await respond(ctx, tenant, app, user, p, now);
  });

  // IdP-initiated ("Test this application", My Apps): an unsolicited Response to the default Reply URL.
  router.get('/api/signin/:appId', page, async (ctx) => {
    const tenant = tenantOf(ctx);
    const app = tenant.apps.find((a) => a.clientId === String(ctx.params.appId).toLowerCase() && a.saml);
    if (!app) throw new EntraError(700016, { params: { appId: String(ctx.params.appId), tenant: tenant.id } });
    const relayState = typeof ctx.query.RelayState === 'string' ? ctx.query.RelayState : app.saml!.relayState;
    await gate(ctx, { endpoint: 'saml', tenant, app, user: readSso(ctx, tenant)?.user, userHint: loginHint(ctx) });
    await signIn(ctx, tenant, app, { acsUrl: app.saml!.replyUrls[0]!, relayState });
  });

  router.get(`/:tenant/federationmetadata/2007-06/federationmetadata.xml`, async (ctx) => {
    const tenant = tenantOf(ctx);
    await gate(ctx, { endpoint: 'metadata', tenant });
    const appId = typeof ctx.query.appid === 'string' ? ctx.query.appid.toLowerCase() : undefined;
    let xml: string;
    if (appId) {
      const app = tenant.apps.find((a) => a.clientId === appId && a.saml);
      if (!app) throw new EntraError(700016, { params: { appId, tenant: tenant.id } });
      const certs = await appCerts(o.keys.certsDir, app);
      // The App Federation Metadata URL carries a UTF-8 BOM, as Entra's does.
      xml = `\uFEFF${await federationMetadata({ origin: o.origin, tenant, certs: certs.published, signer: certs.active, algorithm: 'sha256' })}`;
    } else {
      xml = await federationMetadata({ origin: o.origin, tenant, certs: o.keys.signing, signer: o.keys.signing[0]!, algorithm: 'sha256' });
    }
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.type = 'application/xml; charset=utf-8';
    ctx.body = xml;
  });
  return router;
}

