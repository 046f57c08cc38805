/**
 * Everything a scenario determines, built together and swapped together: the directory, one
 * provider per tenant, and the fault state. Each request keeps the world it started with, so a
 * scenario switch never disturbs requests in flight.
 */
import type { Context } from 'koa';
import { buildDirectory } from '../directory/build.js';
import type { Directory } from '../directory/model.js';
import { FaultState } from '../faults/state.js';
import type { KeyMaterial } from '../keys/store.js';
import type { DeviceCodes } from '../oidc/device.js';
import type { Engine } from '../oidc/provider.js';
import type { Scenario } from '../scenario/schema.js';

export interface World {
  scenario: Scenario;
  /** File path, or '<inline>'. */
  source: string;
  directory: Directory;
  /** The tenant's oidc-provider, made on first use: OIDC-free starts (discovery, SAML) skip loading it. */
  engine(tenantId: string): Promise<Engine>;
  faults: FaultState;
  /** Pending device codes; shared by every world of a server, so a scenario switch keeps them. */
  devices: DeviceCodes;
  /** The server's keys with this scenario's active signing key first. */
  keys: KeyMaterial;
}

export interface WorldDeps {
  origin: string;
  keys: KeyMaterial;
  internalSecret: string;
  cookieKeys: string[];
  /** Separates this server's stored tokens from other servers in the same process. */
  namespace: string;
  devices: DeviceCodes;
}

/** The scenario's active signing key goes first: the provider and our signers sign with signing[0]. */
function withActiveKey(keys: KeyMaterial, active: 1 | 2): KeyMaterial {
  if (active === 1 || keys.signing.length < 2) return keys;
  const [first, second, ...rest] = keys.signing;
  return { ...keys, signing: [second!, first!, ...rest] };
}

export function buildWorld(scenario: Scenario, source: string, d: WorldDeps): World {
  const directory = buildDirectory(scenario);
  const keys = withActiveKey(d.keys, scenario.keys.active);
  const engines = new Map<string, Promise<Engine>>();
  const engine = (tenantId: string) => {
    let e = engines.get(tenantId);
    if (!e) {
      const tenant = directory.tenants.find((t) => t.id === tenantId)!;
      e = import('../oidc/provider.js').then(({ createEngine }) =>
        createEngine({ origin: d.origin, tenant, keys, internalSecret: d.internalSecret, cookieKeys: d.cookieKeys, namespace: d.namespace, devices: d.devices }),
      );
      engines.set(tenantId, e);
    }
    return e;
  };
  return { scenario, source, directory, engine, faults: new FaultState(scenario.rules, scenario.switches), devices: d.devices, keys };
}

export function worldOf(ctx: Context): World {
  return ctx.state.world as World;
}
