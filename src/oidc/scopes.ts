/**
 * Entra's scope grammar (reference §4 "Scopes"): OIDC scopes plus permissions of ONE resource,
 * named `{resourceIdentifier}/{permission}`, `{resource}/.default`, or bare Graph names (`User.Read`).
 */
import type { App, Tenant } from '../directory/model.js';
import { findResource } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import { GRAPH, OIDC_SCOPES } from '../entra/urls.js';

/**
 * The provider drops offline_access at /authorize unless prompt=consent; Entra keeps it. Our
 * authorize step adds this marker next to it, which the provider keeps, and refresh tokens follow it.
 */
export const OFFLINE_MARKER = 'x-mock-entra-offline';

/** Shared by every caller that resolved the same scope (see resolveScopes): read-only. */
export interface ResolvedScopes {
  oidc: ReadonlySet<string>;
  /** The API the access token is for (Graph when only OIDC scopes were asked for, as Entra does). */
  resource: App;
  /** How the client named the resource; v1 tokens carry it as aud. */
  indicator: string;
  /** Permissions asked for, short names; `.default` when the client asked for it. */
  permissions: readonly string[];
  isDefault: boolean;
}

/** `api://x/.default` → ['api://x', '.default']; `https://database.windows.net//.default` keeps its slash. */
function splitScope(scope: string): [string, string] {
  const i = scope.lastIndexOf('/');
  return [scope.slice(0, i), scope.slice(i + 1)];
}

/**
 * Resolutions by tenant and scope parameter. One request resolves its scope several times (Entra's
 * checks, the provider's resource, the claims); the answer depends on the directory and the string
 * only. Bounded, since the strings are the clients' to choose; failures are not kept.
 */
const resolved = new WeakMap<Tenant, Map<string, ResolvedScopes>>();
const RESOLVED_CAP = 256;

export function resolveScopes(tenant: Tenant, scopeParam: string | undefined, opts: { requireDefault?: boolean } = {}): ResolvedScopes {
  const key = `${opts.requireDefault ? 'D' : '-'}${scopeParam ?? ''}`;
  let byScope = resolved.get(tenant);
  if (!byScope) {
    byScope = new Map();
    resolved.set(tenant, byScope);
  }
  const known = byScope.get(key);
  if (known) return known;
  const r = resolve(tenant, scopeParam, opts);
  if (byScope.size >= RESOLVED_CAP) byScope.clear();
  byScope.set(key, r);
  return r;
}

function resolve(tenant: Tenant, scopeParam: string | undefined, opts: { requireDefault?: boolean }): ResolvedScopes {
  const all = (scopeParam ?? '').split(/\s+/).filter((s) => s && s !== OFFLINE_MARKER);
  const oidc = new Set(all.filter((s) => OIDC_SCOPES.has(s)));
  const rest = all.filter((s) => !OIDC_SCOPES.has(s));
  const graph = tenant.apps.find((a) => a.clientId === GRAPH.appId)!;

  let indicator: string | undefined;
  const permissions: string[] = [];
  for (const s of rest) {
    // Bare names belong to Graph; so do scopes without a scheme or GUID prefix.
    const [id, perm] = s.includes('/') ? splitScope(s) : [GRAPH.resource, s];
    if (indicator !== undefined && indicator.replace(/\/+$/, '').toLowerCase() !== id.replace(/\/+$/, '').toLowerCase()) {
      throw new EntraError(700022, { params: { scope: all.join(' ') } });
    }
    indicator = id;
    permissions.push(perm);
  }
  if (opts.requireDefault && (rest.length !== 1 || permissions[0] !== '.default')) {
    throw new EntraError(1002012, { params: { scope: all.join(' ') || "''" } });
  }
  if (indicator === undefined) {
    return { oidc, resource: graph, indicator: GRAPH.resource, permissions: [...[...oidc].filter((s) => s !== 'offline_access'), 'User.Read'], isDefault: false };
  }
  const resource = findResource(tenant, indicator);
  if (!resource?.api) throw new EntraError(500011, { params: { resource: indicator, tenant: tenant.domain } });
  const isDefault = permissions.includes('.default');
  if (!isDefault) {
    const known = new Set(resource.api.scopes.map((x) => x.toLowerCase()));
    const bad = permissions.filter((p) => !known.has(p.toLowerCase()));
    if (bad.length) throw new EntraError(70011, { params: { scope: bad.map((p) => `${indicator}/${p}`).join(' ') } });
  }
  return { oidc, resource, indicator, permissions, isDefault };
}

/** Delegated permissions a user token carries (`scp`): `.default` means what the app was granted. */
export function delegatedScopes(client: App, r: ResolvedScopes): string[] {
  const api = r.resource.api!;
  if (!r.isDefault) return r.permissions.filter((p) => !OIDC_SCOPES.has(p) || r.resource.clientId === GRAPH.appId);
  const granted = (client.permissions.get(r.resource.clientId) ?? []).filter((p) => api.scopes.includes(p));
  // Nothing pre-granted: Entra would ask for consent; the mock consents to every scope the API exposes (user consent).
  return granted.length ? granted : api.scopes.filter((s) => !OIDC_SCOPES.has(s));
}

/** Application permissions an app-only token carries (`roles`): what an admin granted. */
export function grantedRoles(client: App, resource: App): string[] {
  return (client.permissions.get(resource.clientId) ?? []).filter((p) => resource.api?.roles.includes(p));
}
