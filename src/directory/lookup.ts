/** Finding things in the directory: tenants by ID, domain or alias; apps by client ID, URI or Identifier; users. */
import type { App, Directory, ManagedIdentity, Tenant, User } from './model.js';

/** Aliases that mean "the tenant of whoever signs in"; a single-tenant mock serves its first tenant. */
export const TENANT_ALIASES = new Set(['common', 'organizations']);

export function findTenant(dir: Directory, segment: string): Tenant | undefined {
  const s = segment.toLowerCase();
  if (TENANT_ALIASES.has(s)) return dir.tenants[0];
  return dir.tenants.find((t) => t.id === s || t.domain === s);
}

export function findApp(tenant: Tenant, clientId: string | undefined): App | undefined {
  if (!clientId) return undefined;
  const id = clientId.toLowerCase();
  return tenant.apps.find((a) => a.clientId === id && !a.firstParty);
}

/** An API by any identifier a client may use: App ID URI (with or without trailing slash) or client ID. */
export function findResource(tenant: Tenant, identifier: string): App | undefined {
  const id = identifier.replace(/\/+$/, '').toLowerCase();
  const same = (uri: string) => uri.replace(/\/+$/, '').toLowerCase() === id;
  return tenant.apps.find((a) => a.api && (a.clientId === id || same(a.api.identifierUri) || a.api.otherIdentifierUris?.some(same)));
}

/** How a managed identity endpoint request names the identity (at most one); none: the system-assigned one. */
export interface ManagedIdentityRef {
  clientId?: string;
  objectId?: string;
  resourceId?: string;
}

/** The identity a managed identity request names; none named: the system-assigned one, else (IMDS) the only user-assigned one. */
export function findManagedIdentity(tenant: Tenant, ref: ManagedIdentityRef, soleUserAssigned = false): ManagedIdentity | undefined {
  const all = tenant.managedIdentities;
  if (ref.clientId) return all.find((m) => m.clientId === ref.clientId!.toLowerCase());
  if (ref.objectId) return all.find((m) => m.objectId === ref.objectId!.toLowerCase());
  if (ref.resourceId) return all.find((m) => m.resourceId.toLowerCase() === ref.resourceId!.toLowerCase());
  const system = all.find((m) => m.kind === 'systemAssigned');
  if (system || !soleUserAssigned) return system;
  const users = all.filter((m) => m.kind === 'userAssigned');
  return users.length === 1 ? users[0] : undefined;
}

export function findUser(tenant: Tenant, upnOrId: string | undefined): User | undefined {
  if (!upnOrId) return undefined;
  const s = upnOrId.toLowerCase();
  return tenant.users.find((u) => u.upn.toLowerCase() === s || u.id === s);
}

/** "Assignment required?" on the enterprise app: direct assignment or through a group. */
export function isAssigned(app: App, user: User): boolean {
  if (!app.assignmentRequired) return true;
  return app.assignedUserIds.has(user.id) || user.groups.some((g) => app.assignedGroupIds.has(g.id));
}
