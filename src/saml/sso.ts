/**
 * The SAML front-end: `/{tenant}/saml2` (SP-initiated sign-in and logout), its sign-in page, the
 * IdP-initiated launch URL, and federation metadata. Problems with a request get Entra's error
 * page (the route's channel), never a Response. Responses come from the issuance funnel.
 */
import { flowKey } from '../server/signins.js';
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import { findUser, isAssigned } from '../directory/lookup.js';
import type { App, Tenant, User } from '../directory/model.js';
import { SIGN_IN_PAGE_TEXT } from '../entra/aadsts.js';
import { EntraError } from '../entra/errors.js';
import { issueSamlResponse, recordSamlResponse } from '../issuance/funnel.js';
import type { KeyMaterial } from '../keys/store.js';
import type { IdentifiedBy } from '../server/events.js';
import { type Handlers, type RoutesOf, staged, url } from '../server/routes.js';
import { joinSso, readSso, writeSso } from '../server/session.js';
import type { Transaction } from '../server/transaction.js';
import { formPost, loginPage } from '../ui/pages.js';
import type { PendingSamlSignIn } from './pending.js';
import { acknowledgeLogoutResponse, readLogoutResponse, samlLogout } from './logout.js';
import { type AuthnRequestInfo, NAMEID_FORMATS, readRequest } from './request.js';
import { buildStatusResponse, nameIdValue, samlId, STATUS } from './response.js';
import { appCerts } from './signing.js';
import { verifyPost, verifyRedirect } from './verify.js';
import { decodeMessage, parseXml } from './xml.js';
import type { Origins } from '../entra/urls.js';

export interface SamlHandlerOptions {
  origin: Origins;
  keys: KeyMaterial;
}

/** Where a sign-in's Response goes and what it answers. */
interface Target {
  acsUrl: string;
  request?: AuthnRequestInfo;
  relayState?: string;
}

/**
 * A pending sign-in keeps the request and RelayState for 15 minutes: both are bounded. (unverified)
 * Entra's limits: SAML bindings say 80 bytes of RelayState; SPs send URLs, so a generous cap.
 */
const MAX_RELAY_STATE = 4096;
const MAX_REQUEST = 64 * 1024;

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
    throw new EntraError(75005, { params: { detail: "The signature of the request does not verify with any of the application's verification certificates." } });
  }
}

/** Users here sign in with a password: a request for any other method cannot be met (AADSTS75011). */
const PASSWORD_CONTEXTS = new Set(['urn:oasis:names:tc:SAML:2.0:ac:classes:Password', 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport', 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified']);

function checkAuthnContext(requested: string[] | undefined): void {
  if (!requested?.length || requested.some((r) => PASSWORD_CONTEXTS.has(r))) return;
  const name = (uri: string) => uri.split(':').pop() ?? uri;
  throw new EntraError(75011, { params: { actual: 'Password', requested: requested.map(name).join(', ') } });
}

const postForm = (ctx: Context, t: Target, xml: string) => {
  ctx.type = 'html';
  ctx.body = formPost(t.acsUrl, { SAMLResponse: Buffer.from(xml).toString('base64'), ...(t.relayState !== undefined ? { RelayState: t.relayState } : {}) });
};

export function samlHandlers(o: SamlHandlerOptions): Handlers<RoutesOf<'saml'>> {
  const certsOf = (tx: Transaction, app: App) => appCerts(tx.runtime, o.keys.certsDir, app);

  /**
   * Sign-in done: say who it is, then the browser gets the auto-submitting form that POSTs the
   * SAMLResponse to the ACS. The session remembers the NameID and SessionIndex the app got, for
   * single logout.
   */
  const respond = async (ctx: Context, tx: Transaction, app: App, user: User, by: IdentifiedBy, t: Target, authnInstant: number) => {
    await tx.identify(user, by);
    if (!isAssigned(app, user)) throw new EntraError(50105, { params: { appName: app.name, appId: app.clientId } });
    const { active } = await certsOf(tx, app);
    const tenant = tx.tenant!;
    const format = t.request?.nameIdFormat ?? app.saml!.nameIdFormat;
    const nameId = nameIdValue(tenant, app, user, format);
    const assertionId = samlId();
    const xml = await issueSamlResponse({ tx, tenant, app, user, acsUrl: t.acsUrl, inResponseTo: t.request?.id, nameIdFormat: format, authnInstant, key: active, nameId, assertionId });
    joinSso(ctx, tenant, { kind: 'saml', app: app.clientId, nameId, format: NAMEID_FORMATS[format], sessionIndex: assertionId });
    postForm(ctx, t, xml);
  };

  /** Signs in now (session, or login_hint with auto sign-in) or shows the sign-in page. */
  const signIn = async (ctx: Context, tx: Transaction, app: App, t: Target) => {
    const tenant = tx.tenant!;
    const session = readSso(ctx, tenant);
    const force = t.request?.forceAuthn ?? false;
    if (session && !force) return respond(ctx, tx, app, session.user, 'session', t, session.authnInstant);
    if (t.request?.isPassive) {
      const { active } = await certsOf(tx, app);
      const xml = await buildStatusResponse(tenant, app, t.acsUrl, t.request.id, STATUS.noPassive, 'AADSTS50058: A silent sign-in request was sent but no user is signed in.', active);
      recordSamlResponse(tx, { xml, app, acsUrl: t.acsUrl, inResponseTo: t.request.id, status: STATUS.noPassive });
      return postForm(ctx, t, xml);
    }
    const hinted = findUser(tenant, tx.userHint);
    if (hinted && tenant.autoSignIn && !force) {
      const now = Date.now();
      writeSso(ctx, tenant, hinted, now);
      return respond(ctx, tx, app, hinted, 'login_hint', t, now);
    }
    const id = randomUUID();
    flowKey(tx.flow);
    tx.flow.started ??= tx.describeRequest();
    const pending: PendingSamlSignIn = { ...t, tenantId: tenant.id, appId: app.clientId, flow: tx.flow };
    await tx.runtime.samlPending.set(id, pending);
    ctx.type = 'html';
    ctx.body = loginPage({ tenant, action: url('', 'saml.login', { tenant: tenant.id, id }), appName: app.name, ...(hinted ? { user: hinted } : {}) });
  };

  /** What the request names, for the gate: the app by its Issuer, the user by login_hint or the session. */
  const saml = staged({
    channel(ctx: Context, tx: Transaction) {
      const binding = ctx.method === 'GET' ? 'redirect' : 'post';
      const source = binding === 'redirect' ? (ctx.query as Record<string, unknown>) : tx.body;
      const encoded = source.SAMLRequest;
      // An app's LogoutResponse, to a LogoutRequest of single logout (logout.ts).
      if ((typeof encoded !== 'string' || !encoded) && typeof source.SAMLResponse === 'string' && source.SAMLResponse) {
        const xml = decodeMessage(source.SAMLResponse, binding);
        tx.artifacts.push({ name: 'SAMLResponse', kind: 'saml', value: xml, direction: 'request' });
        const answer = readLogoutResponse(parseXml(xml));
        const app = findSamlApp(tx.tenant!, answer.issuer);
        if (!app) throw new EntraError(700016, { params: { appId: answer.issuer, tenant: tx.tenant!.id } });
        tx.app = app;
        return { binding, xml, logoutResponse: answer } as const;
      }
      if (typeof encoded !== 'string' || !encoded) throw new EntraError(750054);
      const relay = source.RelayState;
      if (typeof relay === 'string' && relay.length > MAX_RELAY_STATE) throw new EntraError(75005, { params: { detail: `The RelayState is longer than ${MAX_RELAY_STATE} characters.` } });
      const xml = decodeMessage(encoded, binding);
      if (xml.length > MAX_REQUEST) throw new EntraError(75005, { params: { detail: `The SAML request is larger than ${MAX_REQUEST} bytes.` } });
      tx.artifacts.push({ name: 'SAMLRequest', kind: 'saml', value: xml, direction: 'request' });
      const request = readRequest(parseXml(xml));
      const app = findSamlApp(tx.tenant!, request.issuer);
      if (!app) throw new EntraError(700016, { params: { appId: request.issuer, tenant: tx.tenant!.id } });
      tx.app = app;
      tx.userHint = loginHint(ctx);
      tx.user = readSso(ctx, tx.tenant!)?.user;
      return { binding, xml, request } as const;
    },
    async handle(ctx: Context, tx: Transaction, staged) {
      if ('logoutResponse' in staged) return acknowledgeLogoutResponse(ctx);
      const { binding, xml, request: sent } = staged;
      const app = tx.app!;
      const relayState = typeof (binding === 'redirect' ? ctx.query.RelayState : tx.body.RelayState) === 'string' ? String(binding === 'redirect' ? ctx.query.RelayState : tx.body.RelayState) : undefined;
      // AuthnRequests and LogoutRequests alike: verified when signed, refused unsigned when the app requires signed requests.
      const signed = binding === 'redirect' ? verifyRedirect(ctx.querystring, app.saml!.verificationCertificates) : verifyPost(xml, app.saml!.verificationCertificates);
      checkRequestSignature(app, signed === undefined ? undefined : signed !== false);
      // A signed request is read from what its signature covers (verify.ts), never from the message around it.
      const request = signed ? readRequest(signed) : sent;
      if (request.kind !== sent.kind || request.issuer !== sent.issuer) throw new EntraError(75005, { params: { detail: 'The signed request is not the request that was sent.' } });
      if (request.kind === 'LogoutRequest') return samlLogout(ctx, tx, app, request, relayState, o.origin);
      checkAuthnContext(request.authnContext);
      const acsUrl = request.acsUrl ?? app.saml!.replyUrls[0]!;
      if (!app.saml!.replyUrls.includes(acsUrl)) throw new EntraError(50011, { params: { uri: acsUrl, appId: app.clientId } });
      await signIn(ctx, tx, app, { acsUrl, request, relayState });
    },
  });

  return {
    saml,
    // The sign-in page's form: continues the sign-in the request began (its fault and effects).
    'saml.login': async (ctx, tx) => {
      const tenant = tx.tenant!;
      const id = String(ctx.params.id);
      const p = await tx.runtime.samlPending.get(id);
      if (!p || p.tenantId !== tenant.id) throw new EntraError(75005, { params: { detail: 'The sign-in request has expired; start again from the application.' } });
      tx.continueFlow(p.flow);
      const app = tenant.apps.find((a) => a.clientId === p.appId)!;
      tx.app = app;
      const { username, password } = tx.body;
      const user = findUser(tenant, username);
      const again = (extra: { user?: User; error?: string }) => {
        ctx.type = 'html';
        ctx.body = loginPage({ tenant, action: ctx.path, appName: app.name, ...extra });
      };
      if (!username) return again({});
      if (!user) {
        tx.userHint = username;
        tx.showedError(50034, { EmailHidden: username, tenant: tenant.domain });
        return again({ error: SIGN_IN_PAGE_TEXT.unknownUser });
      }
      if (password === undefined) return again({ user });
      if (user.password !== password) {
        tx.userHint = user.upn;
        tx.showedError(50126);
        return again({ user, error: SIGN_IN_PAGE_TEXT.wrongPassword });
      }
      await tx.runtime.samlPending.delete(id);
      const now = Date.now();
      writeSso(ctx, tenant, user, now);
      await respond(ctx, tx, app, user, 'password', p, now);
    },
    // IdP-initiated ("Test this application", My Apps): an unsolicited Response to the default Reply URL.
    'saml.launch': {
      channel(ctx, tx) {
        const appId = String(ctx.params.appId).toLowerCase();
        const app = tx.tenant!.apps.find((a) => a.clientId === appId && a.saml);
        if (!app) throw new EntraError(700016, { params: { appId: String(ctx.params.appId), tenant: tx.tenant!.id } });
        tx.app = app;
        tx.userHint = loginHint(ctx);
        tx.user = readSso(ctx, tx.tenant!)?.user;
      },
      async handle(ctx, tx) {
        const app = tx.app!;
        const relayState = typeof ctx.query.RelayState === 'string' ? ctx.query.RelayState : app.saml!.relayState;
        await signIn(ctx, tx, app, { acsUrl: app.saml!.replyUrls[0]!, relayState });
      },
    },
  };
}
