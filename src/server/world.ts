/**
 * Everything a scenario determines, built together and swapped together: the directory, one
 * provider per tenant, and the fault state. Each request keeps the world it started with, so a
 * scenario switch never disturbs requests in flight. The server's runtime state (pending
 * sign-ins, device codes, stored models) outlives a switch: every world of a server shares it.
 */
import { buildDirectory } from '../directory/build.js';
import type { Directory } from '../directory/model.js';
import { randomUUID } from 'node:crypto';
import { type FaultSync, FaultState } from '../faults/state.js';
import type { Origins } from '../entra/urls.js';
import type { KeyMaterial } from '../keys/store.js';
import type { Engine } from '../oidc/provider.js';
import type { Scenario } from '../scenario/schema.js';
import { Documents } from './documents.js';
import type { Runtime } from './runtime.js';

export interface World {
  scenario: Scenario;
  /** Which switch this world is: counters, run-time rules and switches belong to it (the same on every instance of a shared store). */
  generation: string;
  /** File path, or '<inline>'. */
  source: string;
  directory: Directory;
  /** The tenant's oidc-provider, made on first use: OIDC-free starts (discovery, SAML) skip loading it. */
  engine(tenantId: string): Promise<Engine>;
  faults: FaultState;
  /** The server's runtime state, shared by all its worlds. */
  runtime: Runtime;
  /** The server's keys with this scenario's active signing key first. */
  keys: KeyMaterial;
  /** The origins clients reach this server on (its own, or Microsoft's hosts as Microsoft). */
  origin: Origins;
  /** Static documents (discovery, JWKS, metadata) built from this world, as prepared bytes. */
  documents: Documents;
}

export interface WorldDeps {
  origin: Origins;
  keys: KeyMaterial;
  internalSecret: string;
  cookieKeys: string[];
  runtime: Runtime;
  /** On a shared store: the fault layer of a world of this generation shares its changes and counts in the store. */
  faultSync?: (generation: string) => FaultSync;
}

/** The scenario's active signing key goes first: the funnel signs with signing[0]. */
function withActiveKey(keys: KeyMaterial, active: 1 | 2): KeyMaterial {
  if (active === 1 || keys.signing.length < 2) return keys;
  const [first, second, ...rest] = keys.signing;
  return { ...keys, signing: [second!, first!, ...rest] };
}

/** `shared`: the generation and scenario rule IDs the store gave this scenario (default: new ones, this instance alone). */
export function buildWorld(scenario: Scenario, source: string, d: WorldDeps, shared?: { generation: string; ruleIds: string[] }): World {
  const generation = shared?.generation ?? randomUUID();
  const sync = d.faultSync?.(generation);
  const faults = new FaultState(scenario.rules, scenario.switches, { ids: shared?.ruleIds, sync });
  if (sync) faults.epoch = generation;
  const directory = buildDirectory(scenario);
  const keys = withActiveKey(d.keys, scenario.keys.active);
  const engines = new Map<string, Promise<Engine>>();
  const engine = (tenantId: string) => {
    let e = engines.get(tenantId);
    if (!e) {
      const tenant = directory.tenants.find((t) => t.id === tenantId)!;
      e = import('../oidc/provider.js').then(({ createEngine }) =>
        createEngine({ origin: d.origin, tenant, keys, internalSecret: d.internalSecret, cookieKeys: d.cookieKeys, runtime: d.runtime }),
      );
      engines.set(tenantId, e);
    }
    return e;
  };
  return { scenario, generation, source, directory, engine, faults, runtime: d.runtime, keys, origin: d.origin, documents: new Documents() };
}
