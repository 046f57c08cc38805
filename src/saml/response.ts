/** SAML Responses shaped like Entra's (reference §10.3): default-namespace Assertion, `_`+GUID IDs, -5/+60 min window. */
import { createHash, randomUUID } from 'node:crypto';
import type { App, Tenant, User } from '../directory/model.js';
import type { SigningKey } from '../keys/store.js';
import { encryptAssertion } from './encrypt.js';
import { NAMEID_FORMATS, type NameIdFormat } from './request.js';
import { SIG_ALGS, signElement, withChild } from './signing.js';
import { el, wire, type XmlElement } from './tree.js';
import type { Origins } from '../entra/urls.js';

const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const A = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
} as const;
const PASSWORD_CONTEXT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

export const samlId = () => `_${randomUUID()}`;
/** UTC with milliseconds and Z, as Entra writes times. */
const t = (ms: number) => new Date(ms).toISOString();

export function issuerOf(tenant: Tenant): string {
  return `https://sts.windows.net/${tenant.id}/`;
}

/** Audience = the Identifier; Entra prefixes non-URI identifiers with spn:. */
export function audienceOf(identifier: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(identifier) ? identifier : `spn:${identifier}`;
}

/** The NameID a Response for this user and app carries in this format (transient: a new one each time). */
export function nameIdValue(tenant: Tenant, app: App, user: User, format: NameIdFormat): string {
  if (format === 'persistent') return createHash('sha256').update(`${tenant.id}|${app.clientId}|${user.id}`).digest('base64url');
  if (format === 'transient') return `_${randomUUID()}`;
  return user.upn;
}

export interface ResponseInput {
  tenant: Tenant;
  app: App;
  user: User;
  acsUrl: string;
  inResponseTo?: string;
  nameIdFormat?: NameIdFormat;
  authnInstant: number;
  /** The AttributeStatement, in order (entra/claims.ts samlAttributes, after fault effects). */
  attributes: Array<[string, string[]]>;
  key: SigningKey;
  /** Issue time (epoch ms); the funnel shifts it for clockSkewSeconds. */
  now: number;
  /**
   * The Assertion ID (= SessionIndex) and NameID value, when the front-end chose them (it keeps
   * both in the sign-in session for single logout); otherwise made here.
   */
  assertionId?: string;
  nameId?: string;
}

/** A protocol message's envelope, as Entra writes it: ID, times, Destination, InResponseTo, then the Issuer. */
function message(name: string, destination: string, inResponseTo: string | undefined, issuer: string, children: XmlElement[], id = samlId(), now = Date.now()): XmlElement {
  return el(name, { ID: id, Version: '2.0', IssueInstant: t(now), Destination: destination, InResponseTo: inResponseTo, 'xmlns:samlp': P }, [el('Issuer', { xmlns: A }, [issuer]), ...children]);
}

/** The Signature goes right after the element's Issuer (its first child), as Entra places it. */
export const signAfterIssuer = (element: XmlElement, key: SigningKey, algorithm: keyof typeof SIG_ALGS) => signElement(element, { key, algorithm, place: (sig) => withChild(element, 1, sig) });

/** Builds and signs (per the app's signing option) one Response; called by the issuance funnel only. */
export async function buildResponse(i: ResponseInput): Promise<{ xml: string; assertionId: string }> {
  const now = i.now;
  const saml = i.app.saml!;
  const format = i.nameIdFormat ?? saml.nameIdFormat;
  const assertionId = i.assertionId ?? samlId();
  const issuer = issuerOf(i.tenant);
  const notOnOrAfter = t(now + 60 * 60 * 1000);
  let assertion = el('Assertion', { ID: assertionId, IssueInstant: t(now), Version: '2.0', xmlns: A }, [
    el('Issuer', {}, [issuer]),
    el('Subject', {}, [
      el('NameID', { Format: NAMEID_FORMATS[format] }, [i.nameId ?? nameIdValue(i.tenant, i.app, i.user, format)]),
      el('SubjectConfirmation', { Method: BEARER }, [el('SubjectConfirmationData', { InResponseTo: i.inResponseTo, NotOnOrAfter: notOnOrAfter, Recipient: i.acsUrl })]),
    ]),
    el('Conditions', { NotBefore: t(now - 5 * 60 * 1000), NotOnOrAfter: notOnOrAfter }, [el('AudienceRestriction', {}, [el('Audience', {}, [audienceOf(saml.identifier)])])]),
    el('AttributeStatement', {}, i.attributes.map(([name, values]) => el('Attribute', { Name: name }, values.map((v) => el('AttributeValue', {}, [v]))))),
    el('AuthnStatement', { AuthnInstant: t(i.authnInstant), SessionIndex: assertionId }, [el('AuthnContext', {}, [el('AuthnContextClassRef', {}, [PASSWORD_CONTEXT])])]),
  ]);
  const { option, algorithm } = saml.signing;
  if (option === 'assertion' || option === 'both') assertion = await signAfterIssuer(assertion, i.key, algorithm);
  // Sign, then encrypt, then sign the Response: the order SPs expect.
  const content = saml.encryptionCertificate ? await encryptAssertion(wire(assertion), saml.encryptionCertificate) : assertion;
  let response = message('samlp:Response', i.acsUrl, i.inResponseTo, issuer, [el('samlp:Status', {}, [el('samlp:StatusCode', { Value: STATUS.success })]), content], samlId(), now);
  // (unverified) Entra places the Response signature after the Response Issuer, as SAML's schema requires.
  if (option === 'response' || option === 'both') response = await signAfterIssuer(response, i.key, algorithm);
  return { xml: wire(response), assertionId };
}

/**
 * A non-Success Response. IsPassive without a session: Responder/NoPassive. The reference leaves
 * the top-level code unverified; SAML core pairs NoPassive with Responder, and SPs (node-saml,
 * Shibboleth) read that pair as "nobody signed in", so that is the most likely choice.
 */
export async function buildStatusResponse(tenant: Tenant, app: App, acsUrl: string, inResponseTo: string, status: string, statusMessage: string, key: SigningKey): Promise<string> {
  const response = message('samlp:Response', acsUrl, inResponseTo, issuerOf(tenant), [
    el('samlp:Status', {}, [el('samlp:StatusCode', { Value: STATUS.responder }, [el('samlp:StatusCode', { Value: status })]), el('samlp:StatusMessage', {}, [statusMessage])]),
  ]);
  return wire(await signAfterIssuer(response, key, app.saml!.signing.algorithm));
}

/** LogoutResponse (Success) for the app's Logout URL; Issuer as documented (reference §10.4). */
export function buildLogoutResponse(origin: Origins, tenant: Tenant, destination: string, inResponseTo: string): string {
  return wire(message('samlp:LogoutResponse', destination, inResponseTo, `${origin.login}/${tenant.id}/`, [el('samlp:Status', {}, [el('samlp:StatusCode', { Value: STATUS.success })])]));
}

/**
 * A LogoutRequest Entra sends to another app of the session (single logout): NameID and
 * SessionIndex as that app's assertion carried them, Destination its Logout URL. The Issuer is
 * the entity ID of the metadata (what SPs compare a LogoutRequest's Issuer with), not the
 * LogoutResponse's documented login.microsoftonline.com form (unverified); no NotOnOrAfter, as
 * Entra's documented LogoutRequest has none (unverified).
 */
export function buildLogoutRequest(tenant: Tenant, destination: string, nameId: { value: string; format: string }, sessionIndex: string): string {
  return wire(
    el('samlp:LogoutRequest', { ID: samlId(), Version: '2.0', IssueInstant: t(Date.now()), Destination: destination, 'xmlns:samlp': P }, [
      el('Issuer', { xmlns: A }, [issuerOf(tenant)]),
      el('NameID', { xmlns: A, Format: nameId.format }, [nameId.value]),
      el('samlp:SessionIndex', {}, [sessionIndex]),
    ]),
  );
}
