/** oidc-provider storage in memory: the memory store's adapter (store/memory.ts); Redis has its own (store/redis.ts). */
import { AlreadyConsumedError } from '../store/types.js';

/** Bytes a store of client-sized entries may hold (pending SAML sign-ins, the provider's models). */
export const STORE_BYTES = 32 * 1024 * 1024;

/** One of the provider's models: its entries (oldest first) and their size in bytes (as JSON). */
export interface ModelStore {
  /**
   * The payload as JSON (a string holds a sign-in's state in a third of the memory an object
   * graph takes), with the fields lookups scan for kept beside it.
   */
  entries: Map<string, { json: string; expiresAt?: number; uid?: string; grantId?: string; userCode?: string }>;
  bytes: number;
  /** Entry IDs by the payload's uid: the provider finds sessions so at every code redemption and sign-in page. */
  byUid: Map<string, string>;
}

/** Where the models live: the memory store (or a Runtime, which hands over to its memory store). */
export interface ModelRegistry {
  model(name: string): ModelStore;
}

/**
 * Entries per model and tenant, far above what a test run or a sandbox holds at once. Sessions,
 * codes and interactions are made by every sign-in and looked up only soon after (a code within
 * minutes, a session by the browser that holds its cookie): the 5,000 most recent are kept, so a
 * server under endless sign-ins stays flat. Refresh tokens and device codes, which a client may
 * come back with much later, keep a larger bound.
 */
const MAX_ENTRIES: Record<string, number> = { Session: 5_000, AuthorizationCode: 5_000, Interaction: 5_000 };
const DEFAULT_MAX_ENTRIES = 100_000;

type Payload = Record<string, unknown> & { uid?: string; grantId?: string; userCode?: string; consumed?: number };

export class MemoryAdapter {
  private readonly model: ModelStore;
  private readonly max: number;

  constructor(registry: ModelRegistry, name: string) {
    this.model = registry.model(name);
    this.max = MAX_ENTRIES[name.slice(name.lastIndexOf(':') + 1)] ?? DEFAULT_MAX_ENTRIES;
  }

  private get store() {
    return this.model.entries;
  }

  private drop(id: string): void {
    const e = this.store.get(id);
    if (!e) return;
    this.model.bytes -= e.json.length;
    this.store.delete(id);
    if (e.uid !== undefined && this.model.byUid.get(e.uid) === id) this.model.byUid.delete(e.uid);
  }

  /** The adapter class of one tenant of one server: its stores live in that server's memory store. */
  static for(registry: ModelRegistry, tenantId: string): new (model: string) => MemoryAdapter {
    return class extends MemoryAdapter {
      constructor(model: string) {
        super(registry, `${tenantId}:${model}`);
      }
    };
  }

  live(id: string) {
    const entry = this.store.get(id);
    if (entry?.expiresAt !== undefined && entry.expiresAt < Date.now()) {
      this.drop(id);
      return undefined;
    }
    return entry;
  }

  async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    this.drop(id); // re-insert, so iteration order stays oldest-first
    const json = JSON.stringify(payload);
    const entry: ModelStore['entries'] extends Map<string, infer E> ? E : never = { json };
    if (expiresIn) entry.expiresAt = Date.now() + expiresIn * 1000;
    if (typeof payload.uid === 'string') entry.uid = payload.uid;
    if (typeof payload.grantId === 'string') entry.grantId = payload.grantId;
    if (typeof payload.userCode === 'string') entry.userCode = payload.userCode;
    this.store.set(id, entry);
    this.model.bytes += json.length;
    if (entry.uid !== undefined) this.model.byUid.set(entry.uid, id);
    // Expired entries are otherwise only dropped on read; sweep now and then so memory stays flat.
    if (this.store.size % 1024 === 0) for (const k of this.store.keys()) this.live(k);
    // A mock that runs for days under load (90-day refresh tokens), or is sent huge parameters, must
    // not grow without end: past the count or the bytes, the oldest go.
    while (this.store.size > this.max || (this.model.bytes > STORE_BYTES && this.store.size > 1)) this.drop(this.store.keys().next().value!);
  }

  /** A fresh copy each time, as a networked store gives: the provider may change what it found. */
  private read(id: string): Payload | undefined {
    const e = this.live(id);
    return e ? (JSON.parse(e.json) as Payload) : undefined;
  }

  async find(id: string): Promise<Payload | undefined> {
    return this.read(id);
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    const id = this.model.byUid.get(uid);
    return id === undefined ? undefined : this.read(id);
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    for (const [id, e] of this.store) if (e.userCode === userCode) return this.read(id);
    return undefined;
  }

  /** Once: a second consume (a replayed code, two redemptions at once) is refused. */
  async consume(id: string): Promise<void> {
    const e = this.store.get(id);
    if (!e) return;
    const payload = JSON.parse(e.json) as Payload;
    if (payload.consumed) throw new AlreadyConsumedError(`${id} was consumed already`);
    payload.consumed = Math.floor(Date.now() / 1000);
    this.model.bytes -= e.json.length;
    e.json = JSON.stringify(payload);
    this.model.bytes += e.json.length;
  }

  async destroy(id: string): Promise<void> {
    this.drop(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [id, e] of this.store) if (e.grantId === grantId) this.drop(id);
  }
}
