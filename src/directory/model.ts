/** The one model of the directory: every front-end (OIDC, SAML, UI, CLI) reads this, none parses scenarios. */

/** A tenant (directory) as the scenario defines it: its users, groups and app registrations. */
export interface Tenant {
  id: string;
  domain: string;
  name: string;
  region: string;
  autoSignIn: boolean;
  deviceCode: { interval: number; expiresIn: number; autoApprove?: string };
  lifetimes: { accessToken: number; idToken: number };
  users: User[];
  groups: Group[];
  apps: App[];
  /** Managed identities; not in `apps`: they have no app registration and no credential of their own. */
  managedIdentities: ManagedIdentity[];
  /** Azure subscriptions ARM lists for the tenant (as-Microsoft mode); empty by default. */
  subscriptions: Subscription[];
}

/** An Azure subscription of the tenant, as ARM lists it (`GET /subscriptions`, reference §14). */
export interface Subscription {
  id: string;
  displayName: string;
  state: 'Enabled' | 'Warned' | 'PastDue' | 'Disabled' | 'Deleted';
}

/** A user of the tenant: what its tokens and assertions say about it. */
export interface User {
  id: string; // object ID (oid)
  upn: string;
  name: string;
  givenName: string;
  surname: string;
  mail?: string;
  password: string;
  groups: Group[];
  /** App roles assigned to the user, by the client ID of the app that defines them. */
  appRoles: Map<string, string[]>;
  /** Directory role template IDs (wids). */
  directoryRoles: string[];
}

/** A security group: its object ID is what the groups claim carries. */
export interface Group {
  id: string;
  name: string;
}

/** A client secret ("Certificates & secrets"); an expired one gets AADSTS7000222. */
export interface Secret {
  value: string;
  expires?: Date;
  name?: string;
}

/** A certificate credential of an app registration ("Certificates & secrets > Certificates"). */
export interface CertificateCredential {
  /** base64url SHA-1 and SHA-256 of the DER: what x5t and x5t#S256 headers carry. */
  x5t: string;
  x5tS256: string;
  /** Upper-case hex SHA-1, as the portal shows it. */
  thumbprint: string;
  publicKey: import('node:crypto').KeyObject;
  notBefore: Date;
  notAfter: Date;
}

/** An API an app can get tokens for (its own `api` section, or Microsoft Graph). */
export interface Api {
  /** Application ID URI (api://…); tokens for v1 carry it as aud. */
  identifierUri: string;
  /** More App ID URIs the same API answers to (ARM's https://management.azure.com/). */
  otherIdentifierUris?: readonly string[];
  scopes: string[];
  roles: string[];
  accessTokenVersion: 1 | 2;
}

/** An app registration with its enterprise app (service principal): OIDC client, API, SAML app, or several. */
export interface App {
  name: string;
  clientId: string;
  /** Object ID of the enterprise app (service principal): oid/sub of app-only tokens. */
  servicePrincipalId: string;
  secrets: Secret[];
  certificates: CertificateCredential[];
  redirectUris: string[];
  spaRedirectUris: string[];
  implicitGrant: { idTokens: boolean; accessTokens: boolean };
  postLogoutRedirectUris: string[];
  /** "Front-channel logout URL": loaded (with iss and sid) when the user signs out of any app of the session. */
  frontchannelLogoutUrl?: string;
  publicClient: boolean;
  signInAudience: 'AzureADMyOrg' | 'AzureADMultipleOrgs';
  api?: Api;
  /** Granted application permissions (roles) and delegated scopes, by resource client ID. */
  permissions: Map<string, string[]>;
  groupMembershipClaims: 'None' | 'SecurityGroup' | 'All';
  groupClaimNames: boolean;
  optionalClaims: { idToken: string[]; accessToken: string[] };
  assignmentRequired: boolean;
  assignedUserIds: Set<string>;
  assignedGroupIds: Set<string>;
  saml?: SamlSettings;
  /** Built-in first-party app (Microsoft Graph), not from the scenario. */
  firstParty?: boolean;
  /** Federated identity credentials: external tokens accepted as client_assertion (workload identity federation). */
  federatedCredentials: FederatedCredential[];
}

/**
 * A federated identity credential (reference §13), on an app registration or a user-assigned
 * managed identity: a token from `issuer` with exactly this `subject` and one of `audiences` stands
 * in for a secret.
 */
export interface FederatedCredential {
  name: string;
  /** The external issuer's URL as the token's iss carries it, or `builtin:NAME` (the mock's own issuer, resolved against its origin). */
  issuer: string;
  subject: string;
  audiences: string[];
  description?: string;
}

/** Whoever federated credentials belong to (an app, a user-assigned managed identity): what the matching code needs of it. */
export interface FederatedOwner {
  clientId: string;
  name: string;
  federatedCredentials: FederatedCredential[];
}

/** An enterprise app's SAML single sign-on settings ("Basic SAML Configuration" and friends). */
export interface SamlSettings {
  identifier: string;
  replyUrls: string[];
  logoutUrl?: string;
  relayState?: string;
  nameIdFormat: 'emailAddress' | 'persistent' | 'transient' | 'unspecified';
  /** Attribute name -> source attribute; undefined means Entra's default claims. */
  claims?: Record<string, string>;
  groups: 'none' | 'objectIds' | 'names';
  requireSignedRequests: boolean;
  /** The SP's encryption certificate (PEM): assertions are encrypted for it. */
  encryptionCertificate?: string;
  /** The SP's request-signing certificates (PEM). */
  verificationCertificates: string[];
  signing: { option: 'assertion' | 'response' | 'both'; algorithm: 'sha256' | 'sha1'; expires?: Date; nextCertificateFrom?: Date };
}

/**
 * A managed identity (system- or user-assigned): a service principal without an app registration.
 * `app` is that service principal in the shape tokens and fault rules read (its name, client ID,
 * object ID and granted app roles); it has no secrets, redirect URIs or API.
 */
export interface ManagedIdentity {
  kind: 'systemAssigned' | 'userAssigned';
  name: string;
  clientId: string;
  /** Object ID of its service principal: oid/sub of its tokens (= app.servicePrincipalId). */
  objectId: string;
  /** ARM resource ID: the xms_mirid claim; matched case-insensitively, as ARM IDs are. */
  resourceId: string;
  app: App;
}

/** Everything the scenario built: the one model every front-end reads. */
export interface Directory {
  tenants: Tenant[];
}
