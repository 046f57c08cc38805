/** Federation metadata in Entra's layout (reference §10.1): WS-Fed role descriptors, then the SAML IdP descriptor. */
import type { Tenant } from '../directory/model.js';
import { paths, type Origins } from '../entra/urls.js';
import { pathUrl, url } from '../server/routes.js';
import type { SigningKey } from '../keys/store.js';
import { issuerOf, samlId } from './response.js';
import { signElement, withChild } from './signing.js';
import { el, wire } from './tree.js';

const CLAIM_TYPES: Array<[string, string, string]> = [
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', 'Name', 'The mutable display name of the user.'],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier', 'Subject', 'An immutable, globally unique, non-reusable identifier of the user that is unique to the application for which a token is issued.'],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', 'Given Name', 'First name of the user.'],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', 'Surname', 'Last name of the user.'],
  ['http://schemas.microsoft.com/identity/claims/displayname', 'Display Name', 'Display name of the user.'],
  ['http://schemas.microsoft.com/identity/claims/nickname', 'Nick Name', 'Nick name of the user.'],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationinstant', 'Authentication Instant', 'The time (UTC) when the user is authenticated to Windows Azure Active Directory.'],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/authenticationmethod', 'Authentication Method', 'The method that Windows Azure Active Directory uses to authenticate users.'],
  ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'ObjectIdentifier', 'Primary identifier for the user in the directory. Immutable, globally unique, non-reusable.'],
  ['http://schemas.microsoft.com/identity/claims/tenantid', 'TenantId', 'Identifier for the user\'s home tenant.'],
  ['http://schemas.microsoft.com/identity/claims/identityprovider', 'IdentityProvider', 'Identity provider for the user.'],
  ['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'Email', 'Email address of the user.'],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/groups', 'Groups', 'Groups of the user.'],
  ['http://schemas.microsoft.com/identity/claims/accesstoken', 'External Access Token', 'Access token issued by external identity provider.'],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/expiration', 'External Access Token Expiration', 'UTC expiration time of access token issued by external identity provider.'],
  ['http://schemas.microsoft.com/identity/claims/openid2_id', 'External OpenID 2.0 Identifier', 'OpenID 2.0 identifier issued by external identity provider.'],
  ['http://schemas.microsoft.com/claims/groups.link', 'GroupsOverageClaim', 'Issued when number of user\'s group claims exceeds return limit.'],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/role', 'Role Claim', 'Roles that the user or Service Principal is attached to'],
  ['http://schemas.microsoft.com/ws/2008/06/identity/claims/wids', 'RoleTemplate Id Claim', 'Role template id of the Built-in Directory Roles that the user is a member of'],
];

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const FED = 'http://docs.oasis-open.org/wsfed/federation/200706';
const AUTH = 'http://docs.oasis-open.org/wsfed/authorization/200706';
const WSA = 'http://www.w3.org/2005/08/addressing';
const BINDING = { redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' };

const keyDescriptors = (certs: SigningKey[]) =>
  certs.map((c) => el('KeyDescriptor', { use: 'signing' }, [el('KeyInfo', { xmlns: DSIG }, [el('X509Data', {}, [el('X509Certificate', {}, [c.x5c])])])]));
const address = (href: string) => el('wsa:EndpointReference', { 'xmlns:wsa': WSA }, [el('wsa:Address', {}, [href])]);

export interface MetadataInput {
  origin: Origins;
  tenant: Tenant;
  /** Certificates published as signing keys (an app's current and next, or the tenant's keys). */
  certs: SigningKey[];
  /** Signs the document. */
  signer: SigningKey;
  algorithm: 'sha256' | 'sha1';
}

export async function federationMetadata(i: MetadataInput): Promise<string> {
  const tid = i.tenant.id;
  const wsfed = pathUrl(i.origin, paths.wsfed, { tenant: tid });
  const saml2 = url(i.origin, 'saml', { tenant: tid });
  const role = (type: string) => ({ 'xsi:type': `fed:${type}`, protocolSupportEnumeration: FED, 'xmlns:xsi': XSI, 'xmlns:fed': FED });
  const endpoint = (tag: string) => el(`fed:${tag}`, {}, [address(wsfed)]);
  const claimTypes = CLAIM_TYPES.map(([uri, name, desc]) => el('auth:ClaimType', { Uri: uri, 'xmlns:auth': AUTH }, [el('auth:DisplayName', {}, [name]), el('auth:Description', {}, [desc])]));
  const keys = keyDescriptors(i.certs);
  const root = el('EntityDescriptor', { ID: samlId(), entityID: issuerOf(i.tenant), xmlns: MD }, [
    el('RoleDescriptor', role('SecurityTokenServiceType'), [...keys, el('fed:ClaimTypesOffered', {}, claimTypes), endpoint('SecurityTokenServiceEndpoint'), endpoint('PassiveRequestorEndpoint')]),
    el('RoleDescriptor', role('ApplicationServiceType'), [...keys, el('fed:TargetScopes', {}, [address(issuerOf(i.tenant))]), endpoint('ApplicationServiceEndpoint'), endpoint('PassiveRequestorEndpoint')]),
    el('IDPSSODescriptor', { protocolSupportEnumeration: 'urn:oasis:names:tc:SAML:2.0:protocol' }, [
      ...keys,
      el('SingleLogoutService', { Binding: BINDING.redirect, Location: saml2 }),
      el('SingleSignOnService', { Binding: BINDING.redirect, Location: saml2 }),
      el('SingleSignOnService', { Binding: BINDING.post, Location: saml2 }),
    ]),
  ]);
  // The metadata's Signature is the root's first child.
  const signed = await signElement(root, { key: i.signer, algorithm: i.algorithm, place: (sig) => withChild(root, 0, sig) });
  return `<?xml version="1.0" encoding="utf-8"?>${wire(signed)}`;
}
