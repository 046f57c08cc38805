/** SAML Responses shaped like Entra's (reference §10.3): default-namespace Assertion, `_`+GUID IDs, -5/+60 min window. */
import { createHash, randomUUID } from 'node:crypto';
import type { App, Tenant, User } from '../directory/model.js';
import type { SigningKey } from '../keys/store.js';
import { encryptAssertion } from './encrypt.js';
import { NAMEID_FORMATS, type NameIdFormat } from './request.js';
import { signXml } from './signing.js';
import { escapeXml as x } from './xml.js';

const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
const A = 'urn:oasis:names:tc:SAML:2.0:assertion';
export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
} as const;
const PASSWORD_CONTEXT = 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password';

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

function nameIdValue(tenant: Tenant, app: App, user: User, format: NameIdFormat): string {
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
}

/** Builds and signs (per the app's signing option) one Response; called by the issuance funnel only. */
export async function buildResponse(i: ResponseInput): Promise<{ xml: string; assertionId: string }> {
  const now = i.now;
  const saml = i.app.saml!;
  const format = i.nameIdFormat ?? saml.nameIdFormat;
  const responseId = samlId();
  const assertionId = samlId();
  const issuer = issuerOf(i.tenant);
  const notOnOrAfter = t(now + 60 * 60 * 1000);
  const irt = i.inResponseTo ? ` InResponseTo="${x(i.inResponseTo)}"` : '';
  const attributes = i.attributes
    .map(([name, values]) => `<Attribute Name="${x(name)}">${values.map((v) => `<AttributeValue>${x(v)}</AttributeValue>`).join('')}</Attribute>`)
    .join('');
  const assertion =
    `<Assertion ID="${assertionId}" IssueInstant="${t(now)}" Version="2.0" xmlns="${A}"><Issuer>${issuer}</Issuer>` +
    `<Subject><NameID Format="${NAMEID_FORMATS[format]}">${x(nameIdValue(i.tenant, i.app, i.user, format))}</NameID>` +
    `<SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData${irt} NotOnOrAfter="${notOnOrAfter}" Recipient="${x(i.acsUrl)}"/></SubjectConfirmation></Subject>` +
    `<Conditions NotBefore="${t(now - 5 * 60 * 1000)}" NotOnOrAfter="${notOnOrAfter}"><AudienceRestriction><Audience>${x(audienceOf(saml.identifier))}</Audience></AudienceRestriction></Conditions>` +
    `<AttributeStatement>${attributes}</AttributeStatement>` +
    `<AuthnStatement AuthnInstant="${t(i.authnInstant)}" SessionIndex="${assertionId}"><AuthnContext><AuthnContextClassRef>${PASSWORD_CONTEXT}</AuthnContextClassRef></AuthnContext></AuthnStatement></Assertion>`;
  let xml =
    `<samlp:Response ID="${responseId}" Version="2.0" IssueInstant="${t(now)}" Destination="${x(i.acsUrl)}"${irt} xmlns:samlp="${P}">` +
    `<Issuer xmlns="${A}">${issuer}</Issuer><samlp:Status><samlp:StatusCode Value="${STATUS.success}"/></samlp:Status>${assertion}</samlp:Response>`;
  const { option, algorithm } = saml.signing;
  if (option === 'assertion' || option === 'both') {
    xml = await signXml({ xml, key: i.key, algorithm, target: 'assertion', after: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']" });
  }
  // Sign, then encrypt, then sign the Response: the order SPs expect.
  if (saml.encryptionCertificate) xml = await encryptAssertion(xml, saml.encryptionCertificate);
  if (option === 'response' || option === 'both') {
    // (unverified) Entra places the Response signature after the Response Issuer, as SAML's schema requires.
    xml = await signXml({ xml, key: i.key, algorithm, target: 'root', after: "/*[local-name(.)='Response']/*[local-name(.)='Issuer']" });
  }
  return { xml, assertionId };
}

/**
 * A non-Success Response. IsPassive without a session: Responder/NoPassive. The reference leaves
 * the top-level code unverified; SAML core pairs NoPassive with Responder, and SPs (node-saml,
 * Shibboleth) read that pair as "nobody signed in", so that is the most likely choice.
 */
export async function buildStatusResponse(tenant: Tenant, app: App, acsUrl: string, inResponseTo: string, status: string, message: string, key: SigningKey): Promise<string> {
  const xml =
    `<samlp:Response ID="${samlId()}" Version="2.0" IssueInstant="${t(Date.now())}" Destination="${x(acsUrl)}" InResponseTo="${x(inResponseTo)}" xmlns:samlp="${P}">` +
    `<Issuer xmlns="${A}">${issuerOf(tenant)}</Issuer><samlp:Status><samlp:StatusCode Value="${STATUS.responder}"><samlp:StatusCode Value="${status}"/></samlp:StatusCode>` +
    `<samlp:StatusMessage>${x(message)}</samlp:StatusMessage></samlp:Status></samlp:Response>`;
  return signXml({ xml, key, algorithm: app.saml!.signing.algorithm, target: 'root', after: "/*[local-name(.)='Response']/*[local-name(.)='Issuer']" });
}

/** LogoutResponse (Success) for the app's Logout URL; Issuer as documented (reference §10.4). */
export function buildLogoutResponse(origin: string, tenant: Tenant, destination: string, inResponseTo: string): string {
  return (
    `<samlp:LogoutResponse ID="${samlId()}" Version="2.0" IssueInstant="${t(Date.now())}" Destination="${x(destination)}" InResponseTo="${x(inResponseTo)}" xmlns:samlp="${P}">` +
    `<Issuer xmlns="${A}">${x(`${origin}/${tenant.id}/`)}</Issuer><samlp:Status><samlp:StatusCode Value="${STATUS.success}"/></samlp:Status></samlp:LogoutResponse>`
  );
}
