/**
 * App registration manifests (the portal's Manifest blade, `az ad app show`): recognised from their
 * content and mapped to a scenario app. Two formats exist: Microsoft Graph's (the portal's default
 * since 2024, and what az prints: web/spa/publicClient, api.oauth2PermissionScopes) and the older
 * Azure AD Graph one (replyUrlsWithType, oauth2Permissions, accessTokenAcceptedVersion, name).
 * Nothing secret is in either: passwordCredentials carry a hint and dates, keyCredentials no key.
 */
import { GRAPH } from '../../entra/urls.js';
import { OPTIONAL_CLAIMS } from '../schema.js';
import { blankApp, type ImportedApp, type Importer } from './types.js';

export type J = Record<string, unknown>;
export const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Keys of either format that say an object is an app registration, not some other JSON with an appId. */
const APP_KEYS = ['signInAudience', 'requiredResourceAccess', 'identifierUris', 'web', 'spa', 'publicClient', 'replyUrlsWithType', 'oauth2Permissions', 'appRoles', 'keyCredentials', 'passwordCredentials'];

/**
 * Metadata of the registration itself, not a setting of how it signs in: skipped without a report.
 * (The portal exports them; the mock has nothing they would change.)
 */
const METADATA = new Set([
  '@odata.context', 'id', 'deletedDateTime', 'createdDateTime', 'createdOn', 'publisherDomain', 'tags', 'info', 'informationalUrls',
  'description', 'notes', 'certification', 'disabledByMicrosoftStatus', 'serviceManagementReference', 'applicationTemplateId',
  'verifiedPublisher', 'addIns', 'parentalControlSettings', 'logo', 'logoUrl', 'defaultRedirectUri', 'uniqueName', 'nativeAuthenticationApisEnabled',
  'isDeviceOnlyAuthSupported', 'servicePrincipalLockConfiguration', 'requestSignatureVerification', 'samlMetadataUrl', 'signInUrl', 'oauth2RequirePostResponse',
  'oauth2AllowUrlPathMatching', 'orgRestrictions', 'groupMembershipClaims', 'optionalClaims', 'tokenEncryptionKeyId', 'acceptMappedClaims', 'knownClientApplications',
  'preAuthorizedApplications', 'authenticationBehaviors', 'oauth2AllowIdTokenImplicitFlow', 'oauth2AllowImplicitFlow', 'allowPublicClient', 'isFallbackPublicClient',
  'accessTokenAcceptedVersion', 'replyUrlsWithType', 'oauth2Permissions', 'appId', 'displayName', 'name', 'identifierUris', 'signInAudience', 'web', 'spa',
  'publicClient', 'api', 'appRoles', 'requiredResourceAccess', 'passwordCredentials', 'keyCredentials', 'logoutUrl', 'homepage',
]);

/** Well-known Microsoft Graph permission IDs (as requiredResourceAccess names them) -> names the mock's Graph knows. */
const GRAPH_PERMISSIONS: Record<string, string> = {
  'e1fe6dd8-ba31-4d61-89e7-88639da4683d': 'User.Read',
  '37f7f235-527c-4136-accd-4a02d197296e': 'openid',
  '14dad69e-099b-42c9-810b-d002981feec1': 'profile',
  '64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0': 'email',
  '7427e0e9-2fba-42fe-b0c0-848c9e6a8182': 'offline_access',
  'b340eb25-3456-403f-be2f-af7a0d370277': 'User.ReadBasic.All',
  'a154be20-db9c-4678-8ab7-66f6cc099a59': 'User.Read.All', // delegated
  'df021288-bdef-4463-88db-98f22de89214': 'User.Read.All', // application
  '06da0dbc-49e2-44d2-8312-53f166ab848a': 'Directory.Read.All', // delegated
  '7ab1d382-f21e-4acd-a863-ba3e13f7da61': 'Directory.Read.All', // application
  'bc024368-1153-4739-b217-4326f2e966d0': 'GroupMember.Read.All', // delegated
  '98830695-27a2-44f7-8c18-0c3ebc9698f6': 'GroupMember.Read.All', // application
};

/** A lower-case name made of letters, digits and dashes, as the shipped scenarios name apps. */
export function slugify(s: string): string {
  return s.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'imported-app';
}

export const isUrl = (s: string) => {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
};

export const manifestImporter: Importer = {
  kind: 'app registration manifest',
  detect: (doc) => isObj(doc) && typeof doc.appId === 'string' && GUID.test(doc.appId) && APP_KEYS.some((k) => k in doc),
  map(doc, file) {
    const m = doc as J;
    const unmapped: string[] = [];
    const skip = (field: string, why: string) => unmapped.push(`${file}: ${field}: ${why}`);
    const aad = 'replyUrlsWithType' in m || 'oauth2Permissions' in m || ('name' in m && !('displayName' in m));
    const displayName = str(m.displayName) ?? str(m.name) ?? String(m.appId);
    const app: ImportedApp = blankApp(file, aad ? 'Azure AD Graph manifest' : 'Microsoft Graph manifest', displayName, slugify(displayName), String(m.appId));

    // Redirect URIs by platform.
    const add = (list: string[], uri: unknown, platform: string) => {
      const u = str(uri);
      if (!u) return;
      if (isUrl(u)) list.push(u);
      else skip(`${platform} redirect URI ${JSON.stringify(u)}`, 'not an absolute URL, which the scenario needs');
    };
    // The portal's "Front-channel logout URL" (single logout: loaded with iss and sid when the user signs out).
    const frontchannel = (v: unknown, field: string) => {
      const u = str(v);
      if (u && !isUrl(u)) skip(`${field} ${JSON.stringify(u)}`, 'not an absolute URL, which the scenario needs');
      return u && isUrl(u) ? u : undefined;
    };
    if (aad) {
      for (const r of arr(m.replyUrlsWithType)) {
        if (!isObj(r)) continue;
        const type = String(r.type ?? 'Web');
        if (type === 'Spa') add(app.spaRedirectUris, r.url, 'Spa');
        else if (type === 'InstalledClient') add(app.publicClientRedirectUris, r.url, 'InstalledClient');
        else add(app.redirectUris, r.url, 'Web');
      }
      app.implicitGrant = { idTokens: m.oauth2AllowIdTokenImplicitFlow === true, accessTokens: m.oauth2AllowImplicitFlow === true };
      app.publicClient = m.allowPublicClient === true;
      app.frontchannelLogoutUrl = frontchannel(m.logoutUrl, 'logoutUrl');
    } else {
      const web = isObj(m.web) ? m.web : {};
      for (const u of arr(web.redirectUris)) add(app.redirectUris, u, 'web');
      for (const u of arr(isObj(m.spa) ? m.spa.redirectUris : [])) add(app.spaRedirectUris, u, 'spa');
      for (const u of arr(isObj(m.publicClient) ? m.publicClient.redirectUris : [])) add(app.publicClientRedirectUris, u, 'publicClient');
      const ig = isObj(web.implicitGrantSettings) ? web.implicitGrantSettings : {};
      app.implicitGrant = { idTokens: ig.enableIdTokenIssuance === true, accessTokens: ig.enableAccessTokenIssuance === true };
      app.publicClient = m.isFallbackPublicClient === true;
      app.frontchannelLogoutUrl = frontchannel(web.logoutUrl, 'web.logoutUrl');
      if (str(web.homePageUrl)) skip('web.homePageUrl', 'informational only; nothing in a sign-in uses it');
    }

    const audience = str(m.signInAudience) ?? 'AzureADMyOrg';
    if (audience === 'AzureADMyOrg' || audience === 'AzureADMultipleOrgs') app.signInAudience = audience;
    else {
      app.signInAudience = 'AzureADMultipleOrgs';
      skip(`signInAudience ${audience}`, 'personal Microsoft accounts are not modelled; imported as AzureADMultipleOrgs (any organisation)');
    }

    // The API this app exposes.
    const uris = arr(m.identifierUris).filter((u): u is string => typeof u === 'string' && u !== '');
    app.identifierUri = uris[0];
    for (const u of uris.slice(1)) skip(`identifierUris ${JSON.stringify(u)}`, 'a scenario app has one Application ID URI; the first one is used');
    const api = isObj(m.api) ? m.api : {};
    const scopes = aad ? arr(m.oauth2Permissions) : arr(api.oauth2PermissionScopes);
    for (const s of scopes) if (isObj(s) && s.isEnabled !== false && str(s.value)) app.scopes.push({ id: String(s.id ?? ''), value: String(s.value) });
    const version = aad ? m.accessTokenAcceptedVersion : api.requestedAccessTokenVersion;
    app.accessTokenVersion = version === 2 ? 2 : 1;
    if (arr(aad ? m.preAuthorizedApplications : api.preAuthorizedApplications).length) skip(aad ? 'preAuthorizedApplications' : 'api.preAuthorizedApplications', 'the mock consents to every delegated permission, so pre-authorization changes nothing');
    if (arr(aad ? m.knownClientApplications : api.knownClientApplications).length) skip(aad ? 'knownClientApplications' : 'api.knownClientApplications', 'combined consent is not modelled (the mock does not ask for consent)');
    if (api.acceptMappedClaims === true || m.acceptMappedClaims === true) skip('acceptMappedClaims', 'claims-mapping policies are not modelled');

    for (const r of arr(m.appRoles)) {
      if (!isObj(r) || r.isEnabled === false || !str(r.value)) continue;
      const types = arr(r.allowedMemberTypes).map(String);
      const role = { id: String(r.id ?? ''), value: String(r.value), displayName: str(r.displayName) };
      if (types.includes('Application')) app.roles.push(role);
      if (types.includes('User')) app.userRoles.push(role);
    }

    for (const rra of arr(m.requiredResourceAccess)) {
      if (!isObj(rra)) continue;
      const resourceAppId = String(rra.resourceAppId ?? '');
      for (const ra of arr(rra.resourceAccess)) {
        if (!isObj(ra)) continue;
        const id = String(ra.id ?? '');
        const type = ra.type === 'Role' ? 'Role' : 'Scope';
        app.requiredResourceAccess.push({ resourceAppId, id, type, name: resourceAppId === GRAPH.appId ? GRAPH_PERMISSIONS[id.toLowerCase()] : undefined });
      }
    }

    // Group and optional claims.
    const gmc = str(m.groupMembershipClaims) ?? 'None';
    if (gmc === 'SecurityGroup' || gmc === 'All' || gmc === 'None') app.groupMembershipClaims = gmc;
    else {
      app.groupMembershipClaims = 'SecurityGroup';
      skip(`groupMembershipClaims ${gmc}`, 'only None, SecurityGroup and All are modelled; imported as SecurityGroup (all of the user\'s groups)');
    }
    const oc = isObj(m.optionalClaims) ? m.optionalClaims : {};
    for (const kind of ['idToken', 'accessToken'] as const) {
      for (const c of arr(oc[kind])) {
        if (!isObj(c) || !str(c.name)) continue;
        const name = String(c.name);
        const props = arr(c.additionalProperties).map(String);
        if (name === 'groups') {
          if (props.some((p) => p === 'cloud_displayname' || p === 'sam_account_name')) app.groupClaimNames = true;
          for (const p of props) if (p !== 'cloud_displayname' && p !== 'sam_account_name') skip(`optionalClaims.${kind} groups additionalProperties ${p}`, 'only cloud_displayname (group names) is modelled');
          continue;
        }
        if ((OPTIONAL_CLAIMS as readonly string[]).includes(name)) {
          if (!app.optionalClaims[kind].includes(name)) app.optionalClaims[kind].push(name);
        } else skip(`optionalClaims.${kind} ${name}`, `not an optional claim the mock emits (it emits ${OPTIONAL_CLAIMS.join(', ')})`);
        if (str(c.source)) skip(`optionalClaims.${kind} ${name} source ${String(c.source)}`, 'directory extension attributes are not modelled');
        for (const p of props) if (name !== 'groups') skip(`optionalClaims.${kind} ${name} additionalProperties ${p}`, 'additional properties of optional claims are not modelled');
      }
    }
    if (arr(oc.saml2Token).length) skip('optionalClaims.saml2Token', 'SAML claims of an enterprise app are set in its saml.claims (the SP metadata import does that); this app signs in with OIDC');

    for (const p of arr(m.passwordCredentials)) {
      if (!isObj(p)) continue;
      app.passwordCredentials.push({
        displayName: str(p.displayName) ?? str(p.customKeyIdentifier),
        hint: str(p.hint),
        endDateTime: str(p.endDateTime) ?? str(p.endDate),
      });
    }
    for (const k of arr(m.keyCredentials)) {
      if (!isObj(k)) continue;
      app.keyCredentials.push({
        displayName: str(k.displayName),
        type: str(k.type),
        usage: str(k.usage),
        thumbprint: str(k.customKeyIdentifier),
        endDateTime: str(k.endDateTime) ?? str(k.endDate),
      });
    }
    if (str(m.tokenEncryptionKeyId)) skip('tokenEncryptionKeyId', 'encrypted ID tokens are not modelled');
    const ok = (v: unknown) => v === null || v === false || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);
    for (const [k, v] of Object.entries(m)) if (!METADATA.has(k) && !ok(v)) skip(k, 'not a setting mock-entra models');
    return { apps: [app], unmapped };
  },
};
