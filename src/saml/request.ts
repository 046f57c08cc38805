/** What mock-entra reads from an AuthnRequest or a LogoutRequest (reference §10.2, §10.4). */
import { EntraError } from '../entra/errors.js';
import { childElements, hasCommentOrPI } from './xml.js';

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

/**
 * The one child element of the request root with this local name (the SAML schema puts Issuer,
 * NameIDPolicy, RequestedAuthnContext, NameID, SessionIndex there, at most once each). Elements
 * deeper down (inside Extensions, say) are never read: what the root's signature covers is the
 * root, and the mock reads nothing that only resembles a field of it.
 *
 * Comments and processing instructions inside an element that is read are refused (75005). The
 * DOM's textContent skips them and exc-c14n (what request signatures use) drops comments, so
 * "https://sp.example.test/saml/<!---->metadata" would read and verify as the Identifier; but a
 * reader that takes the first text node sees only "https://sp.example.test/saml/", and c14n keeps
 * processing instructions, so the text read and the octets signed could differ. No SP puts either
 * inside a SAML field, so refusing them keeps the value read equal to the canonical text signed
 * without depending on how each reader joins text nodes.
 */
function field(root: Element, localName: string): Element | undefined {
  const found = childElements(root).filter((el) => el.localName === localName);
  if (found.length > 1) throw invalid(`The request has more than one '${localName}' element.`);
  const el = found[0];
  if (el && hasCommentOrPI(el)) throw invalid(`Comments and processing instructions are not allowed inside the '${localName}' element.`);
  return el;
}

const text = (el: Element | undefined) => el?.textContent?.trim();

function requestedContext(root: Element): string[] | undefined {
  const el = field(root, 'RequestedAuthnContext');
  if (!el) return undefined;
  const comparison = el.getAttribute('Comparison') || 'exact';
  if (comparison !== 'exact') throw invalid(`RequestedAuthnContext Comparison '${comparison}' is not supported; use 'exact'.`);
  return childElements(el)
    .filter((ref) => ref.localName === 'AuthnContextClassRef')
    .map((ref) => text(ref) ?? '')
    .filter(Boolean);
}

/**
 * What the mock reads from a request document: the root element and its direct children only.
 * For a signed request, `doc` is the document the signature covers (see verify.ts), nothing else.
 */
export function readRequest(doc: Document): AuthnRequestInfo | LogoutRequestInfo {
  const root = doc.documentElement;
  const issuer = text(field(root, 'Issuer')) ?? '';
  const id = root.getAttribute('ID') ?? '';
  if (!id) throw invalid("The request has no 'ID' attribute.");
  if (/^\d/.test(id)) throw new EntraError(7500529, { params: { id } });
  if (!issuer) throw invalid("The request has no 'Issuer' element.");
  if (root.localName === 'LogoutRequest') {
    return { kind: 'LogoutRequest', id, issuer, nameId: text(field(root, 'NameID')), sessionIndex: text(field(root, 'SessionIndex')) };
  }
  if (root.localName !== 'AuthnRequest') throw invalid(`Expected an AuthnRequest or a LogoutRequest, got '${root.localName}'.`);
  if (!root.getAttribute('IssueInstant')) throw invalid("The request has no 'IssueInstant' attribute.");
  if (field(root, 'Subject')) throw invalid("A 'Subject' element is not supported in an AuthnRequest; use the login_hint query parameter.");
  const policy = field(root, 'NameIDPolicy')?.getAttribute('Format') ?? undefined;
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
    authnContext: requestedContext(root),
  };
}
