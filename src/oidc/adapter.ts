/** oidc-provider storage: a small in-memory adapter (one process; a shared store can come later). */
/** Per model and tenant; far above what a test run or a sandbox holds at once. */
const MAX_ENTRIES = 100_000;

type Payload = Record<string, unknown> & { uid?: string; grantId?: string; userCode?: string; consumed?: number };

export class MemoryAdapter {
  static readonly stores = new Map<string, Map<string, { payload: Payload; expiresAt?: number }>>();
  readonly store: Map<string, { payload: Payload; expiresAt?: number }>;

  constructor(readonly model: string, namespace = '') {
    const key = `${namespace}:${model}`;
    let store = MemoryAdapter.stores.get(key);
    if (!store) {
      store = new Map();
      MemoryAdapter.stores.set(key, store);
    }
    this.store = store;
  }

  /** A fresh namespace per server, so several servers in one process never share tokens. */
  static for(namespace: string): new (model: string) => MemoryAdapter {
    return class extends MemoryAdapter {
      constructor(model: string) {
        super(model, namespace);
      }
    };
  }

  static drop(namespace: string): void {
    for (const key of MemoryAdapter.stores.keys()) if (key.startsWith(`${namespace}:`)) MemoryAdapter.stores.delete(key);
  }

  live(id: string) {
    const entry = this.store.get(id);
    if (entry?.expiresAt !== undefined && entry.expiresAt < Date.now()) {
      this.store.delete(id);
      return undefined;
    }
    return entry;
  }

  async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    this.store.delete(id); // re-insert, so iteration order stays oldest-first
    this.store.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
    // Expired entries are otherwise only dropped on read; sweep now and then so memory stays flat.
    if (this.store.size % 1024 === 0) for (const k of this.store.keys()) this.live(k);
    // A mock that runs for days under load (90-day refresh tokens) must not grow without end: drop the oldest.
    if (this.store.size > MAX_ENTRIES) this.store.delete(this.store.keys().next().value!);
  }

  async find(id: string): Promise<Payload | undefined> {
    return this.live(id)?.payload;
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    for (const [id, e] of this.store) if (e.payload.uid === uid) return this.live(id)?.payload;
    return undefined;
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    for (const [id, e] of this.store) if (e.payload.userCode === userCode) return this.live(id)?.payload;
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const e = this.store.get(id);
    if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.store.delete(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [id, e] of this.store) if (e.payload.grantId === grantId) this.store.delete(id);
  }
}
