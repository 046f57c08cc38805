/** Scenario -> directory. Identifiers a scenario leaves out are derived from names, so they are stable across runs. */
import { createHash, X509Certificate } from 'node:crypto';
import type { Scenario } from '../scenario/schema.js';
import { ARM, DIRECTORY_ROLES, GRAPH } from '../entra/urls.js';
import type { App, CertificateCredential, Directory, Group, ManagedIdentity, Tenant, User } from './model.js';

/** A name-based GUID (RFC 4122 version 5 layout) so derived IDs never change between runs. */
export function stableGuid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** A service principal with nothing registered on it: the base of first-party APIs and managed identities. */
function bareApp(name: string, clientId: string, servicePrincipalId: string): App {
  return {
    name,
    clientId,
    servicePrincipalId,
    secrets: [],
    certificates: [],
    redirectUris: [],
    spaRedirectUris: [],
    implicitGrant: { idTokens: false, accessTokens: false },
    postLogoutRedirectUris: [],
    publicClient: false,
    signInAudience: 'AzureADMyOrg',
    permissions: new Map(),
    groupMembershipClaims: 'None',
    groupClaimNames: false,
    optionalClaims: { idToken: [], accessToken: [] },
    assignmentRequired: false,
    assignedUserIds: new Set(),
    assignedGroupIds: new Set(),
    federatedCredentials: [],
  };
}

/** A first-party API every tenant has (Microsoft Graph, Azure Resource Manager): requestable as a resource, never a client. */
function firstPartyApi(tenantId: string, fp: { name: string; appId: string; api: App['api'] }): App {
  return { ...bareApp(fp.name, fp.appId, stableGuid(tenantId, 'sp', fp.appId)), signInAudience: 'AzureADMultipleOrgs', api: fp.api, firstParty: true };
}

/** Managed identities: service principals without an app registration, with their ARM IDs (reference §12.4). */
function managedIdentities(s: Scenario, tid: string, byName: (name: string) => App): ManagedIdentity[] {
  const subscription = (m: Scenario['managedIdentities'][number]) => (m.subscriptionId ?? stableGuid(tid, 'subscription')).toLowerCase();
  return s.managedIdentities.map((m) => {
    const clientId = (m.clientId ?? stableGuid(tid, 'managed identity', m.name)).toLowerCase();
    const objectId = (m.objectId ?? stableGuid(tid, 'sp', clientId)).toLowerCase();
    const provider = m.type === 'systemAssigned' ? `Microsoft.Web/sites/${m.name}` : `Microsoft.ManagedIdentity/userAssignedIdentities/${m.name}`;
    const app = bareApp(m.name, clientId, objectId);
    for (const [apiName, perms] of Object.entries(m.permissions)) app.permissions.set(byName(apiName).clientId, perms);
    return { kind: m.type, name: m.name, clientId, objectId, resourceId: m.resourceId ?? `/subscriptions/${subscription(m)}/resourceGroups/${m.resourceGroup}/providers/${provider}`, app };
  });
}

function certificateCredential(pem: string): CertificateCredential {
  const cert = new X509Certificate(pem);
  const sha1 = createHash('sha1').update(cert.raw).digest();
  return {
    x5t: sha1.toString('base64url'),
    x5tS256: createHash('sha256').update(cert.raw).digest('base64url'),
    thumbprint: sha1.toString('hex').toUpperCase(),
    publicKey: cert.publicKey,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}

export function buildDirectory(s: Scenario): Directory {
  const tid = s.tenant.id.toLowerCase();
  const groups: Group[] = s.groups.map((g) => ({ name: g.name, id: (g.id ?? stableGuid(tid, 'group', g.name)).toLowerCase() }));
  const groupByName = new Map(groups.map((g) => [g.name, g]));
  const users: User[] = s.users.map((u) => {
    const words = u.name.trim().split(/\s+/);
    return {
      id: (u.id ?? stableGuid(tid, 'user', u.upn.toLowerCase())).toLowerCase(),
      upn: u.upn,
      name: u.name,
      givenName: u.givenName ?? words[0] ?? u.name,
      surname: u.surname ?? (words.length > 1 ? words[words.length - 1]! : ''),
      mail: u.mail,
      password: u.password,
      groups: u.groups.map((n) => groupByName.get(n)!),
      appRoles: new Map(),
      directoryRoles: u.directoryRoles.map((r) => DIRECTORY_ROLES[r] ?? r.toLowerCase()),
    };
  });
  const userByUpn = new Map(users.map((u) => [u.upn.toLowerCase(), u]));

  const apps: App[] = s.apps.map((a) => {
    const clientId = (a.clientId ?? stableGuid(tid, 'app', a.name)).toLowerCase();
    return {
      name: a.name,
      clientId,
      servicePrincipalId: stableGuid(tid, 'sp', clientId),
      secrets: a.secrets.map((x) => (typeof x === 'string' ? { value: x } : x)),
      certificates: a.certificates.map(certificateCredential),
      redirectUris: a.redirectUris,
      spaRedirectUris: a.spaRedirectUris,
      implicitGrant: a.implicitGrant,
      postLogoutRedirectUris: a.postLogoutRedirectUris,
      frontchannelLogoutUrl: a.frontchannelLogoutUrl,
      publicClient: a.publicClient,
      signInAudience: a.signInAudience,
      api: a.api && {
        identifierUri: a.api.identifierUri ?? `api://${clientId}`,
        scopes: a.api.scopes,
        roles: a.api.roles,
        accessTokenVersion: a.api.accessTokenVersion,
      },
      permissions: new Map(),
      groupMembershipClaims: a.groupMembershipClaims,
      groupClaimNames: a.groupClaimNames,
      optionalClaims: a.optionalClaims,
      assignmentRequired: a.assignmentRequired,
      assignedUserIds: new Set(a.assignments.flatMap((x) => userByUpn.get(x.toLowerCase())?.id ?? [])),
      assignedGroupIds: new Set(a.assignments.flatMap((x) => groupByName.get(x)?.id ?? [])),
      saml: a.saml,
      federatedCredentials: a.federatedCredentials,
    };
  });
  apps.push(firstPartyApi(tid, { name: GRAPH.name, appId: GRAPH.appId, api: { identifierUri: GRAPH.resource, scopes: [...GRAPH.scopes], roles: [...GRAPH.roles], accessTokenVersion: 1 } }));
  // Azure Resource Manager (`az` asks for https://management.core.windows.net//.default): v1 tokens, like every Microsoft API.
  apps.push(firstPartyApi(tid, { name: ARM.name, appId: ARM.appId, api: { identifierUri: ARM.resource, otherIdentifierUris: ARM.otherResources, scopes: [...ARM.scopes], roles: [...ARM.roles], accessTokenVersion: 1 } }));
  // Permissions and role assignments name APIs by app name in the file; the model keys them by client ID.
  const byName = (name: string) => apps.find((x) => x.name === name)!;
  s.apps.forEach((a, i) => {
    for (const [apiName, perms] of Object.entries(a.permissions)) apps[i]!.permissions.set(byName(apiName).clientId, perms);
  });
  s.users.forEach((u, i) => {
    for (const [appName, roles] of Object.entries(u.appRoles)) users[i]!.appRoles.set(byName(appName).clientId, roles);
  });

  const tenant: Tenant = {
    id: tid,
    domain: s.tenant.domain.toLowerCase(),
    name: s.tenant.name ?? s.tenant.domain.split('.')[0]!.replace(/^./, (c) => c.toUpperCase()),
    region: s.tenant.region,
    autoSignIn: s.signIn.autoSignIn,
    deviceCode: s.signIn.deviceCode,
    lifetimes: { accessToken: s.tokens.accessTokenLifetime, idToken: s.tokens.idTokenLifetime },
    users,
    groups,
    apps,
    subscriptions: s.tenant.subscriptions.map((x) => ({ id: x.id.toLowerCase(), displayName: x.displayName, state: x.state })),
    managedIdentities: managedIdentities(s, tid, byName),
  };
  return { tenants: [tenant] };
}
