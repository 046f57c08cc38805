/**
 * The memory store, the default: everything in this process, as fast as a Map. One server, nothing
 * shared; two servers in one process share nothing either (each has its own store).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createSigningCert, generateRsaKeyPair } from '../keys/ca.js';
import { diskKeyFiles } from '../keys/files.js';
import { signingKeyFromPem } from '../keys/signing.js';
import type { SigningKey } from '../keys/store.js';
import { MemoryAdapter, type ModelRegistry, type ModelStore } from '../oidc/adapter.js';
import { BoundedMap } from './bounded.js';
import type { AdapterClass, KeyFiles, SharedSecrets, Store, Table, TableOptions } from './types.js';

export const newSecret = (): string => randomBytes(32).toString('base64url');

class MemoryTable<V> implements Table<V> {
  private readonly map: BoundedMap<string, V>;
  constructor(o: TableOptions<V>) {
    this.map = new BoundedMap<string, V>(o.max, o.ttlMs, o.sizeOf, o.maxBytes);
  }
  get(key: string): Promise<V | undefined> {
    return Promise.resolve(this.map.get(key));
  }
  set(key: string, value: V, ttlMs?: number): Promise<void> {
    this.map.set(key, value, ttlMs);
    return Promise.resolve();
  }
  delete(key: string): Promise<void> {
    this.map.delete(key);
    return Promise.resolve();
  }
  /** Atomic as it is: nothing else runs between the read and the write. */
  update<R>(key: string, change: (v: V | undefined) => { value?: V; result: R }): Promise<R> {
    const { value, result } = change(this.map.get(key));
    if (value !== undefined && !this.map.replace(key, value)) this.map.set(key, value);
    return Promise.resolve(result);
  }
}

/** A key and certificate published nowhere, never written anywhere: what `swapKey` (and hostile SAML) sign with. */
export async function makeUnpublishedKey(commonName?: string): Promise<SigningKey> {
  const pair = await generateRsaKeyPair();
  const certPem = await createSigningCert(pair, commonName ? { commonName } : {});
  return signingKeyFromPem(certPem, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}

export class MemoryStore implements Store, ModelRegistry {
  readonly kind = 'memory' as const;
  readonly where = 'memory';
  /** oidc-provider's models (sessions, interactions, codes, grants, refresh tokens), by tenant and model. */
  readonly models = new Map<string, ModelStore>();

  model(name: string): ModelStore {
    let store = this.models.get(name);
    if (!store) {
      store = { entries: new Map(), bytes: 0, byUid: new Map() };
      this.models.set(name, store);
    }
    return store;
  }

  table<V>(_name: string, o: TableOptions<V>): Table<V> {
    return new MemoryTable(o);
  }

  adapter(tenantId: string): AdapterClass {
    return MemoryAdapter.for(this, tenantId);
  }

  keyFiles(certsDir: string): KeyFiles {
    return diskKeyFiles(certsDir);
  }

  unpublishedKey(_name: string, commonName?: string): Promise<SigningKey> {
    return makeUnpublishedKey(commonName);
  }

  secrets(fallback: { identityHeader?: string }): Promise<SharedSecrets> {
    return Promise.resolve({ internalSecret: newSecret(), cookieKeys: [newSecret()], identityHeader: fallback.identityHeader ?? randomUUID() });
  }

  scope(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
