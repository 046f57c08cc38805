/** What each importer (one per kind of input, recognised from its content) produces: apps for the scenario writer. */

/** An app registration read from production, before it is written as a scenario app. */
export interface ImportedApp {
  /** The file it came from, and what kind of file that was (for the header comment). */
  source: string;
  format: string;
  displayName: string;
  /** The scenario name: displayName slugified. */
  name: string;
  clientId: string;
  redirectUris: string[];
  spaRedirectUris: string[];
  publicClientRedirectUris: string[];
  implicitGrant: { idTokens: boolean; accessTokens: boolean };
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
}

/** One kind of input: `detect` looks at the parsed content, `map` turns it into apps and says what it could not map. */
export interface Importer {
  kind: string;
  detect(doc: unknown): boolean;
  map(doc: unknown, file: string): { apps: ImportedApp[]; unmapped: string[] };
}
