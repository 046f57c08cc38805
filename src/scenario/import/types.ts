/**
 * What each importer (one per kind of input, recognised from its content) produces: apps (OIDC app
 * registrations and SAML enterprise apps), fault rules and header notes, for the scenario writer.
 */
import type { SAML_SOURCES } from '../schema.js';

/** A file no importer recognises, or cannot be read or mapped: the CLI exits 2 with this message. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

/** An enterprise app's SAML single sign-on settings (the scenario's `saml:`), from SP metadata or a captured AuthnRequest. */
export interface ImportedSaml {
  identifier: string;
  /** Reply URLs, the default first; `note` is written beside each. */
  replyUrls: { url: string; note?: string }[];
  logoutUrl?: string;
  nameIdFormat?: 'emailAddress' | 'persistent' | 'transient' | 'unspecified';
  /** Attribute name -> source; undefined keeps Entra's default claims. */
  claims?: Record<string, (typeof SAML_SOURCES)[number]>;
  requireSignedRequests?: boolean;
  /** PEM certificates; `note` says where each came from. */
  verificationCertificates: { pem: string; note: string }[];
  encryptionCertificate?: { pem: string; note: string };
}

/** An app registration read from production, before it is written as a scenario app. */
export interface ImportedApp {
  /** The file it came from, and what kind of file that was (for the header comment). */
  source: string;
  format: string;
  displayName: string;
  /** The scenario name: displayName slugified. */
  name: string;
  /** '' when the input does not say (SP metadata): the scenario derives one from the name. */
  clientId: string;
  redirectUris: string[];
  spaRedirectUris: string[];
  publicClientRedirectUris: string[];
  implicitGrant: { idTokens: boolean; accessTokens: boolean };
  /** "Front-channel logout URL" (the manifest's web.logoutUrl / logoutUrl). */
  frontchannelLogoutUrl?: string;
  publicClient: boolean;
  signInAudience: 'AzureADMyOrg' | 'AzureADMultipleOrgs';
  identifierUri?: string;
  accessTokenVersion?: 1 | 2;
  scopes: { id: string; value: string }[];
  /** App roles other apps may hold (allowedMemberTypes Application). */
  roles: { id: string; value: string; displayName?: string }[];
  /** App roles users may hold (allowedMemberTypes User). */
  userRoles: { id: string; value: string; displayName?: string }[];
  /** API permissions as the manifest lists them (IDs); `name` when the importer knows it. */
  requiredResourceAccess: { resourceAppId: string; id: string; type: 'Scope' | 'Role'; name?: string }[];
  groupMembershipClaims: 'None' | 'SecurityGroup' | 'All';
  groupClaimNames: boolean;
  optionalClaims: { idToken: string[]; accessToken: string[] };
  passwordCredentials: { displayName?: string; hint?: string; endDateTime?: string }[];
  keyCredentials: { displayName?: string; type?: string; usage?: string; thumbprint?: string; endDateTime?: string }[];
  /** No client secret is written (a SAML enterprise app or a public client needs none). Default: one is generated. */
  noSecret?: boolean;
  /** "Assignment required?" and who is assigned (UPNs or group names). */
  assignmentRequired?: boolean;
  assignments?: string[];
  /** SAML single sign-on: this is an enterprise app. */
  saml?: ImportedSaml;
  /** Comment lines written above the app: why a setting is what it is. */
  notes?: string[];
}

/** A fault rule the import adds (a captured failure the mock cannot produce from configuration). */
export interface ImportedRule {
  name: string;
  description: string;
  when: { endpoint?: 'authorize' | 'token' | 'saml'; app?: string };
  then: { error: number };
}

/** What one file maps to. */
export interface ImportedPart {
  apps: ImportedApp[];
  rules?: ImportedRule[];
  /** Lines for the scenario's header comment (what the user sees, the code, the fix). */
  notes?: string[];
  /** The scenario's description, when the importer knows better than "NAMES, imported from production". */
  description?: string;
  /** The tenant the input was for: the scenario serves it under that ID, so the app's configuration works unchanged. */
  tenant?: { id?: string; domain?: string };
  /** Each field that could not be mapped, and why. */
  unmapped: string[];
}

/** One kind of input: `detect` looks at the parsed content (JSON, or the text when it is not JSON), `map` turns it into apps and says what it could not map. */
export interface Importer {
  kind: string;
  detect(doc: unknown): boolean;
  map(doc: unknown, file: string): ImportedPart;
}

/** An app with nothing set, for importers that fill in a few fields (SP metadata, captures). */
export function blankApp(source: string, format: string, displayName: string, name: string, clientId = ''): ImportedApp {
  return {
    source, format, displayName, name, clientId,
    redirectUris: [], spaRedirectUris: [], publicClientRedirectUris: [],
    implicitGrant: { idTokens: false, accessTokens: false }, publicClient: false, signInAudience: 'AzureADMyOrg',
    scopes: [], roles: [], userRoles: [], requiredResourceAccess: [],
    groupMembershipClaims: 'None', groupClaimNames: false, optionalClaims: { idToken: [], accessToken: [] },
    passwordCredentials: [], keyCredentials: [],
  };
}
