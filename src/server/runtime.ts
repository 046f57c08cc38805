/**
 * The runtime state of one server, in one place: sign-ins waiting on a page (OIDC interactions,
 * SAML), device codes, the provider's stored models, SAML certificate loads, the keys published
 * nowhere (`swapKey`). Every world of a server shares it (a scenario switch keeps pending sign-ins);
 * no module holds state of its own, so two servers in one process never share any. It lives in the
 * server's store (store/): in memory by default, on Redis for instances that share it. Every store
 * is bounded: entries expire (and, in memory, the oldest go first past the cap).
 */
import { EntraError, type EntraErrorOptions } from '../entra/errors.js';
import type { AadstsCode } from '../entra/aadsts.js';
import type { SigningKey } from '../keys/store.js';
import { DeviceCodes, type DeviceCode } from '../oidc/device.js';
import { type ModelStore, STORE_BYTES } from '../oidc/adapter.js';
import type { PendingSamlSignIn } from '../saml/pending.js';
import { BoundedMap } from '../store/bounded.js';
import { MemoryStore } from '../store/memory.js';
import type { AdapterClass, KeyFiles, Store, Table } from '../store/types.js';
import { LOGGED } from './logged.js';
import type { SignInFlow } from './transaction.js';

export { BoundedMap } from '../store/bounded.js';
export { type ModelStore, STORE_BYTES };

/** An external issuer's public keys, by kid (oidc/federation.ts). */
export type FederationKeys = Map<string, import('node:crypto').KeyObject>;
/** How long fetched external issuer keys are used before they are fetched again. */
const FEDERATION_KEYS_TTL_MS = 5 * 60 * 1000;

/** A page-driven sign-in lives at most this long (the provider's interaction TTL is one hour). */
export const SIGN_IN_TTL_MS = 60 * 60 * 1000;
/** A SAML sign-in waiting on the sign-in page lives at most this long. */
export const SAML_PENDING_TTL_MS = 15 * 60 * 1000;
/** Far above what a test run or a sandbox holds at once. */
const PENDING_CAP = 10_000;
/** How long `replay` (hostile SAML) remembers a Response. */
const REPLAY_TTL_MS = 60 * 60 * 1000;

/** What a stored flow holds instead of the unpublished key (a KeyObject is not JSON): the key is the store's, found again on read. */
const UNPUBLISHED = 'unpublished-key';

const encodeFlow = (f: SignInFlow): unknown => (f.effects?.rogueKey ? { ...f, effects: { ...f.effects, rogueKey: UNPUBLISHED } } : f);

/** A device code's error travels as its code and options; thrown again on the next poll, it is logged already (the page logged it). */
const encodeDevice = (c: DeviceCode): unknown => (c.error ? { ...c, error: { code: c.error.code, options: c.error.options } } : c);
const decodeDevice = (raw: unknown): DeviceCode => {
  const c = raw as Omit<DeviceCode, 'error'> & { error?: EntraError | { code: AadstsCode; options: EntraErrorOptions } };
  if (!c.error || c.error instanceof EntraError) return c as DeviceCode;
  const error = new EntraError(c.error.code, c.error.options);
  LOGGED.add(error);
  return { ...c, error };
};

export class Runtime {
  readonly store: Store;
  /** OIDC sign-ins waiting on our pages, by the provider's interaction uid: what the authorize request decided. */
  readonly signIns: Table<SignInFlow>;
  /** SAML sign-ins waiting on the sign-in page. */
  readonly samlPending: Table<PendingSamlSignIn>;
  readonly devices: DeviceCodes;
  /** The Responses hostile SAML's `replay` sends again: one per app, user and ACS. */
  readonly samlReplays: Table<string>;
  /** Only the memory store's models are here; another store keeps its own. */
  private readonly memory: MemoryStore;
  private readonly samlCerts = new Map<string, Promise<SigningKey>>();
  /** Keys of the built-in external issuers (workload identity federation), by certs dir and name. */
  private readonly issuerKeys = new Map<string, Promise<SigningKey>>();
  /**
   * External issuers' signing keys as fetched from their discovery document and JWKS, by issuer:
   * kept a few minutes, so a rotated key is seen soon; failures are not kept (oidc/federation.ts).
   * A cache of what others publish: each instance fetches its own.
   */
  readonly federationKeys = new BoundedMap<string, Promise<FederationKeys>>(256, FEDERATION_KEYS_TTL_MS);
  private readonly unpublished = new Map<string, Promise<SigningKey>>();

  constructor(store: Store = new MemoryStore()) {
    this.store = store;
    this.memory = store instanceof MemoryStore ? store : new MemoryStore();
    const flows = store.table<SignInFlow>('flow', { ttlMs: SIGN_IN_TTL_MS, max: PENDING_CAP, encode: encodeFlow });
    this.signIns = this.withKeys(flows, (f) => f);
    const saml = store.table<PendingSamlSignIn>('saml', {
      ttlMs: SAML_PENDING_TTL_MS,
      max: PENDING_CAP,
      sizeOf: (p) => (p.relayState?.length ?? 0) + JSON.stringify(p.request ?? {}).length,
      maxBytes: STORE_BYTES,
      encode: (p) => ({ ...p, flow: encodeFlow(p.flow) }),
    });
    this.samlPending = this.withKeys(saml, (p) => p.flow);
    this.devices = new DeviceCodes(store.table<DeviceCode>('device', { ttlMs: SIGN_IN_TTL_MS, max: PENDING_CAP, encode: encodeDevice, decode: decodeDevice }), store.table<string>('usercode', { ttlMs: SIGN_IN_TTL_MS, max: PENDING_CAP }));
    this.samlReplays = store.table<string>('replay', { ttlMs: REPLAY_TTL_MS, max: 256 });
  }

  /** A flow read back from the store gets the unpublished key it names (in memory it never left: the table as it is). */
  private withKeys<V>(table: Table<V>, flowOf: (v: V) => SignInFlow): Table<V> {
    if (this.store instanceof MemoryStore) return table;
    return {
      get: async (key) => {
        const v = await table.get(key);
        const effects = v && flowOf(v).effects;
        if (effects && (effects.rogueKey as unknown) === UNPUBLISHED) effects.rogueKey = await this.rogueKey();
        return v;
      },
      set: (key, value, ttl) => table.set(key, value, ttl),
      delete: (key) => table.delete(key),
      update: (key, change) => table.update(key, change),
    };
  }

  /** The memory store's models (the perf tests build adapters over a Runtime). */
  model(name: string): ModelStore {
    return this.memory.model(name);
  }

  /** oidc-provider's adapter class for a tenant: its models live in the store. */
  adapter(tenantId: string): AdapterClass {
    return this.store.adapter(tenantId);
  }

  /** Where a certs directory's keys are read and written: on disk, or in the shared store. */
  keyFiles(certsDir: string): KeyFiles {
    return this.store.keyFiles(certsDir);
  }

  /** A key and certificate published nowhere (made on first use, never written to disk): what `swapKey` signs with. */
  rogueKey(): Promise<SigningKey> {
    return this.unpublishedKey('rogue');
  }

  /** A key published nowhere, by name, made once per server (the same on every instance of a shared store). */
  unpublishedKey(name: string, commonName?: string): Promise<SigningKey> {
    let p = this.unpublished.get(name);
    if (!p) {
      p = this.store.unpublishedKey(name, commonName);
      p.catch(() => this.unpublished.delete(name));
      this.unpublished.set(name, p);
    }
    return p;
  }

  /** A built-in issuer's signing key, loaded (or made) once per server. */
  issuerKey(certsDir: string, name: string): Promise<SigningKey> {
    const key = `${certsDir}\u0000${name}`;
    let p = this.issuerKeys.get(key);
    if (!p) {
      p = import('../keys/store.js').then((m) => m.loadIssuerKey(certsDir, name, this.keyFiles(certsDir)));
      p.catch(() => this.issuerKeys.delete(key));
      this.issuerKeys.set(key, p);
    }
    return p;
  }

  /** One load per certificate: concurrent first requests share it; a failed load is retried next time. */
  samlCert(key: string, load: () => Promise<SigningKey>): Promise<SigningKey> {
    let p = this.samlCerts.get(key);
    if (!p) {
      p = load();
      p.catch(() => this.samlCerts.delete(key));
      this.samlCerts.set(key, p);
    }
    return p;
  }
}
