/**
 * A service provider's SAML metadata (EntityDescriptor with an SPSSODescriptor), as an SP publishes
 * it or a vendor's gallery page offers it, becomes an enterprise app with SAML single sign-on:
 * Identifier, Reply URLs, Logout URL, certificates, name ID format and the attributes it asks for.
 * Parsed with the project's safe XML reader (saml/xml.ts: no DTDs or entities, size-bounded).
 */
import { X509Certificate } from 'node:crypto';
import { EntraError } from '../../entra/errors.js';
import { NAMEID_FORMATS } from '../../saml/request.js';
import { childElements, parseXml, SAML_MESSAGE_LIMIT } from '../../saml/xml.js';
import type { SAML_SOURCES } from '../schema.js';
import { isUrl, slugify } from './manifest.js';
import { blankApp, ImportError, type ImportedSaml, type Importer } from './types.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const shortBinding = (b: string) => b.replace(/^urn:oasis:names:tc:SAML:2\.0:bindings:/, '');

type Source = (typeof SAML_SOURCES)[number];

/**
 * Requested attribute names (the claim URIs Entra issues, LDAP/eduPerson OIDs, the short names
 * gallery apps use) -> the directory attribute the claim is made from.
 */
const ATTRIBUTE_SOURCES: Record<string, Source> = {
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'user.mail',
  'urn:oid:0.9.2342.19200300.100.1.3': 'user.mail',
  mail: 'user.mail',
  email: 'user.mail',
  emailaddress: 'user.mail',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': 'user.givenname',
  'urn:oid:2.5.4.42': 'user.givenname',
  givenname: 'user.givenname',
  firstname: 'user.givenname',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': 'user.surname',
  'urn:oid:2.5.4.4': 'user.surname',
  sn: 'user.surname',
  surname: 'user.surname',
  lastname: 'user.surname',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': 'user.userprincipalname',
  'urn:oid:1.3.6.1.4.1.5923.1.1.1.6': 'user.userprincipalname',
  upn: 'user.userprincipalname',
  username: 'user.userprincipalname',
  userprincipalname: 'user.userprincipalname',
  'http://schemas.microsoft.com/identity/claims/displayname': 'user.displayname',
  'urn:oid:2.16.840.1.113730.3.1.241': 'user.displayname',
  displayname: 'user.displayname',
  'http://schemas.microsoft.com/identity/claims/objectidentifier': 'user.objectid',
  objectid: 'user.objectid',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups': 'user.groups',
  groups: 'user.groups',
  memberof: 'user.groups',
};

/** Entra's default claims of a non-gallery app (reference §10.3): kept, so what the SP relied on by default is still sent. */
const DEFAULT_CLAIMS: Record<string, Source> = {
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': 'user.givenname',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': 'user.surname',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'user.mail',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': 'user.userprincipalname',
};

const NAMEID_BY_URI: Record<string, ImportedSaml['nameIdFormat']> = {
  ...Object.fromEntries(Object.entries(NAMEID_FORMATS).map(([k, v]) => [v, k as ImportedSaml['nameIdFormat']])),
  'urn:oasis:names:tc:SAML:2.0:nameid-format:unspecified': 'unspecified',
};

const els = (parent: Element, localName: string, ns = MD) => childElements(parent).filter((e) => e.localName === localName && e.namespaceURI === ns);
const text = (e: Element | undefined) => e?.textContent?.trim() ?? '';

const toPem = (b64: string) => `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

/** Elements of an SPSSODescriptor that change nothing the mock models: skipped without a report. */
const QUIET = new Set(['Extensions', 'KeyDescriptor', 'SingleLogoutService', 'NameIDFormat', 'AssertionConsumerService', 'AttributeConsumingService', 'Signature']);

export const samlMetadataImporter: Importer = {
  kind: "an SP's SAML metadata (EntityDescriptor with SPSSODescriptor)",
  detect: (doc) => typeof doc === 'string' && /<(?:\w+:)?EntityDescriptor[\s>/]/.test(doc) && /<(?:\w+:)?SPSSODescriptor[\s>/]/.test(doc),
  map(doc, file) {
    const xml = String(doc).replace(/^\uFEFF/, '');
    if (xml.length > SAML_MESSAGE_LIMIT) throw new ImportError(`${file}: SAML metadata larger than ${SAML_MESSAGE_LIMIT / 1024} KB: import the EntityDescriptor of the one service provider you need`);
    let root: Element;
    try {
      root = parseXml(xml.replace(/^<\?xml[^>]*\?>\s*/, '')).documentElement;
    } catch (err) {
      const detail = err instanceof EntraError ? err.message.replace(/^.*?Saml Message is not a valid saml message\.\s*/, '') : String(err);
      throw new ImportError(`${file}: cannot read the SAML metadata: ${detail || 'not well-formed XML'} (save the SP's metadata XML exactly as its metadata URL serves it)`);
    }
    const entities = root.localName === 'EntitiesDescriptor' ? els(root, 'EntityDescriptor') : [root];
    const unmapped: string[] = [];
    const apps = [];
    for (const entity of entities) {
      const sp = els(entity, 'SPSSODescriptor')[0];
      const entityID = entity.getAttribute('entityID') ?? '';
      if (!sp) {
        if (entities.length > 1) unmapped.push(`${file}: EntityDescriptor ${entityID}: no SPSSODescriptor (not a service provider), skipped`);
        continue;
      }
      if (!entityID) throw new ImportError(`${file}: the EntityDescriptor has no entityID: that is the Identifier (Entity ID) Entra needs`);
      const skip = (what: string, why: string) => unmapped.push(`${file}: ${what}: ${why}`);
      const org = els(entity, 'Organization')[0];
      const displayName = text(org && els(org, 'OrganizationDisplayName')[0]) || text(org && els(org, 'OrganizationName')[0]) || hostOf(entityID);
      const app = blankApp(file, 'SP SAML metadata', displayName, slugify(displayName));
      app.noSecret = true;
      app.notes = ['enterprise app (SAML single sign-on) from the SP\'s metadata; clientId (the Application ID) is not in metadata: derived from the name'];

      // Reply URLs: the default ACS first (isDefault, else the lowest index), HTTP-POST only (Entra posts Responses).
      const acs = els(sp, 'AssertionConsumerService').map((e, i) => ({
        binding: e.getAttribute('Binding') ?? '',
        url: e.getAttribute('Location') ?? '',
        index: e.getAttribute('index') ?? String(i),
        isDefault: e.getAttribute('isDefault') === 'true',
      }));
      acs.sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || Number(a.index) - Number(b.index));
      const replyUrls: ImportedSaml['replyUrls'] = [];
      for (const a of acs) {
        if (!isUrl(a.url)) skip(`AssertionConsumerService index ${a.index} ${JSON.stringify(a.url)}`, 'not an absolute URL');
        else if (a.binding !== BINDING_POST) skip(`AssertionConsumerService index ${a.index} (${shortBinding(a.binding)})`, 'Entra sends Responses with HTTP-POST only; this Reply URL is left out');
        else if (!replyUrls.some((r) => r.url === a.url)) replyUrls.push({ url: a.url, note: `index ${a.index}${a.isDefault ? ', isDefault' : ''}${replyUrls.length === 0 ? ': the default Reply URL' : ''}` });
      }
      if (replyUrls.length === 0) throw new ImportError(`${file}: no AssertionConsumerService with the HTTP-POST binding and an absolute Location: Entra needs at least one Reply URL it can post the Response to`);
      if (replyUrls.length > 1) skip('AssertionConsumerService index', 'a request naming AssertionConsumerServiceIndex gets the default Reply URL in the mock; send AssertionConsumerServiceURL to pick another');

      const slo = els(sp, 'SingleLogoutService');
      const logout = slo.find((e) => e.getAttribute('Binding') === BINDING_REDIRECT) ?? slo[0];
      const logoutUrl = logout ? (logout.getAttribute('ResponseLocation') || logout.getAttribute('Location') || '') : '';
      if (logout && !isUrl(logoutUrl)) skip('SingleLogoutService', `${JSON.stringify(logoutUrl)} is not an absolute URL`);
      for (const e of slo) if (e !== logout) skip(`SingleLogoutService ${shortBinding(e.getAttribute('Binding') ?? '')} ${e.getAttribute('Location') ?? ''}`, 'a scenario app has one Logout URL (Entra sends LogoutResponses with HTTP-Redirect); the HTTP-Redirect one is used');

      // Certificates: use="signing" (or no use) verify the SP's signed AuthnRequests; use="encryption" (or no use) encrypts assertions.
      const signing: ImportedSaml['verificationCertificates'] = [];
      const encryption: ImportedSaml['verificationCertificates'] = [];
      for (const kd of els(sp, 'KeyDescriptor')) {
        const use = kd.getAttribute('use') ?? '';
        const ki = els(kd, 'KeyInfo', DS)[0];
        const b64s = ki ? els(ki, 'X509Data', DS).flatMap((d) => els(d, 'X509Certificate', DS)).map((c) => text(c).replace(/\s+/g, '')) : [];
        if (b64s.length === 0) skip(`KeyDescriptor use="${use}"`, 'no X509Certificate (a bare key or a KeyName is not modelled)');
        for (const b64 of b64s) {
          const pem = toPem(b64);
          let cert: X509Certificate;
          try {
            cert = new X509Certificate(pem);
          } catch {
            skip(`KeyDescriptor use="${use}" X509Certificate`, 'not a valid certificate; left out');
            continue;
          }
          const expired = Date.parse(cert.validTo) < Date.now();
          const note = `${cert.subject.replace(/\n/g, ', ')}, expires ${new Date(cert.validTo).toISOString().slice(0, 10)}${expired ? ' (EXPIRED)' : ''}, from KeyDescriptor use="${use || 'signing and encryption'}"`;
          if (use !== 'encryption') signing.push({ pem, note });
          if (use !== 'signing') encryption.push({ pem, note });
        }
      }
      for (const e of encryption.slice(1)) skip(`KeyDescriptor use="encryption" (${e.note})`, 'a scenario app has one token-encryption certificate; the first is used');
      const signed = sp.getAttribute('AuthnRequestsSigned') === 'true';
      if (signed && signing.length === 0) skip('AuthnRequestsSigned="true"', 'the metadata has no signing certificate to verify the requests with; add the SP\'s certificate under saml.verificationCertificates');

      // Name ID format: the first one the mock issues.
      const formats = els(sp, 'NameIDFormat').map(text);
      const format = formats.map((f) => NAMEID_BY_URI[f]).find(Boolean);
      for (const f of formats) if (!NAMEID_BY_URI[f]) skip(`NameIDFormat ${f}`, `not a format Entra issues (emailAddress, persistent, transient, unspecified)`);
      for (const f of formats.filter((f) => NAMEID_BY_URI[f] && NAMEID_BY_URI[f] !== format)) skip(`NameIDFormat ${f}`, 'a scenario app has one name identifier format; the first the mock issues is used');

      // Requested attributes -> claims, on top of Entra's defaults.
      let claims: Record<string, Source> | undefined;
      for (const svc of els(sp, 'AttributeConsumingService')) {
        for (const ra of els(svc, 'RequestedAttribute')) {
          const name = ra.getAttribute('Name') ?? '';
          const friendly = ra.getAttribute('FriendlyName') ?? '';
          const source = ATTRIBUTE_SOURCES[name] ?? ATTRIBUTE_SOURCES[name.toLowerCase()] ?? ATTRIBUTE_SOURCES[friendly.toLowerCase()];
          if (!name) continue;
          if (!source) {
            skip(`RequestedAttribute ${name}${friendly ? ` (${friendly})` : ''}`, `no directory attribute the mock knows for it; add it to saml.claims with a source of ${['user.userprincipalname', 'user.mail', 'user.givenname', 'user.surname', 'user.displayname', 'user.objectid', 'user.groups'].join(', ')}`);
            continue;
          }
          claims ??= { ...DEFAULT_CLAIMS };
          claims[name] = source;
        }
      }

      for (const c of childElements(sp)) if (!QUIET.has(c.localName)) skip(c.localName, 'not a setting mock-entra models');
      if (els(entity, 'IDPSSODescriptor').length) skip('IDPSSODescriptor', 'this entity is also an identity provider; only its service provider half is imported');
      if (sp.getAttribute('WantAssertionsSigned') === 'false') skip('WantAssertionsSigned="false"', 'Entra signs the assertion anyway (its default signing option)');

      app.saml = {
        identifier: entityID,
        replyUrls,
        ...(logout && isUrl(logoutUrl) ? { logoutUrl } : {}),
        ...(format ? { nameIdFormat: format } : {}),
        ...(claims ? { claims } : {}),
        verificationCertificates: signing,
        ...(signed ? { requireSignedRequests: false } : {}),
        ...(encryption[0] ? { encryptionCertificate: encryption[0] } : {}),
      };
      apps.push(app);
    }
    if (apps.length === 0) throw new ImportError(`${file}: no EntityDescriptor with an SPSSODescriptor: this is not a service provider's metadata (an IdP's, such as Entra's federation metadata, cannot be imported as an app)`);
    return { apps, unmapped };
  },
};

function hostOf(entityID: string): string {
  try {
    const u = new URL(entityID);
    return u.hostname || entityID;
  } catch {
    return entityID;
  }
}
