/** What mock-entra reads from an AuthnRequest or a LogoutRequest (reference §10.2, §10.4). */
import { EntraError } from '../entra/errors.js';
import { firstElement } from './xml.js';

export const NAMEID_FORMATS = {
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
} as const;
export type NameIdFormat = keyof typeof NAMEID_FORMATS;

export interface AuthnRequestInfo {
  kind: 'AuthnRequest';
  id: string;
  issuer: string;
  acsUrl?: string;
  forceAuthn: boolean;
  isPassive: boolean;
  nameIdFormat?: NameIdFormat;
  /** RequestedAuthnContext class refs (exact comparison). */
  authnContext?: string[];
}

export interface LogoutRequestInfo {
  kind: 'LogoutRequest';
  id: string;
  issuer: string;
  nameId?: string;
  sessionIndex?: string;
}

const invalid = (detail: string) => new EntraError(75005, { params: { detail } });

function requestedContext(doc: Document): string[] | undefined {
  const el = firstElement(doc, 'RequestedAuthnContext');
  if (!el) return undefined;
  const comparison = el.getAttribute('Comparison') || 'exact';
  if (comparison !== 'exact') throw invalid(`RequestedAuthnContext Comparison '${comparison}' is not supported; use 'exact'.`);
  const refs = el.getElementsByTagNameNS('*', 'AuthnContextClassRef');
  return Array.from({ length: refs.length }, (_, i) => refs.item(i)?.textContent?.trim() ?? '').filter(Boolean);
}

export function readRequest(doc: Document): AuthnRequestInfo | LogoutRequestInfo {
  const root = doc.documentElement;
  const issuer = firstElement(doc, 'Issuer')?.textContent?.trim() ?? '';
  const id = root.getAttribute('ID') ?? '';
  if (!id) throw invalid("The request has no 'ID' attribute.");
  if (/^\d/.test(id)) throw new EntraError(7500529, { params: { id } });
  if (!issuer) throw invalid("The request has no 'Issuer' element.");
  if (root.localName === 'LogoutRequest') {
    return { kind: 'LogoutRequest', id, issuer, nameId: firstElement(doc, 'NameID')?.textContent?.trim(), sessionIndex: firstElement(doc, 'SessionIndex')?.textContent?.trim() };
  }
  if (root.localName !== 'AuthnRequest') throw invalid(`Expected an AuthnRequest or a LogoutRequest, got '${root.localName}'.`);
  if (!root.getAttribute('IssueInstant')) throw invalid("The request has no 'IssueInstant' attribute.");
  if (firstElement(doc, 'Subject')) throw invalid("A 'Subject' element is not supported in an AuthnRequest; use the login_hint query parameter.");
  const policy = firstElement(doc, 'NameIDPolicy')?.getAttribute('Format') ?? undefined;
  let nameIdFormat: NameIdFormat | undefined;
  if (policy) {
    const found = (Object.entries(NAMEID_FORMATS) as Array<[NameIdFormat, string]>).find(([, uri]) => uri === policy);
    if (!found && policy !== 'urn:oasis:names:tc:SAML:2.0:nameid-format:unspecified') {
      throw invalid(`The NameIDPolicy format '${policy}' is not supported.`);
    }
    nameIdFormat = found?.[0] ?? 'unspecified';
  }
  return {
    kind: 'AuthnRequest',
    id,
    issuer,
    acsUrl: root.getAttribute('AssertionConsumerServiceURL') || undefined,
    forceAuthn: root.getAttribute('ForceAuthn') === 'true',
    isPassive: root.getAttribute('IsPassive') === 'true',
    nameIdFormat,
    authnContext: requestedContext(doc),
  };
}
