/** oidc-provider storage: a small in-memory adapter over the server's runtime (server/runtime.ts). */
import { type ModelStore, type Runtime, STORE_BYTES } from '../server/runtime.js';

/** Per model and tenant; far above what a test run or a sandbox holds at once. */
const MAX_ENTRIES = 100_000;

type Payload = Record<string, unknown> & { uid?: string; grantId?: string; userCode?: string; consumed?: number };

export class MemoryAdapter {
  private readonly model: ModelStore;

  constructor(runtime: Runtime, name: string) {
    this.model = runtime.model(name);
  }

  private get store() {
    return this.model.entries;
  }

  private drop(id: string): void {
    const e = this.store.get(id);
    if (!e) return;
    this.model.bytes -= e.bytes;
    this.store.delete(id);
    const { uid } = e.payload as Payload;
    if (uid !== undefined && this.model.byUid.get(uid) === id) this.model.byUid.delete(uid);
  }

  /** The adapter class of one tenant of one server: its stores live in that server's runtime. */
  static for(runtime: Runtime, tenantId: string): new (model: string) => MemoryAdapter {
    return class extends MemoryAdapter {
      constructor(model: string) {
        super(runtime, `${tenantId}:${model}`);
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
    const bytes = JSON.stringify(payload).length;
    this.store.set(id, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined, bytes });
    this.model.bytes += bytes;
    if (typeof payload.uid === 'string') this.model.byUid.set(payload.uid, id);
    // Expired entries are otherwise only dropped on read; sweep now and then so memory stays flat.
    if (this.store.size % 1024 === 0) for (const k of this.store.keys()) this.live(k);
    // A mock that runs for days under load (90-day refresh tokens), or is sent huge parameters, must
    // not grow without end: past the count or the bytes, the oldest go.
    while (this.store.size > MAX_ENTRIES || (this.model.bytes > STORE_BYTES && this.store.size > 1)) this.drop(this.store.keys().next().value!);
  }

  async find(id: string): Promise<Payload | undefined> {
    return this.live(id)?.payload as Payload | undefined;
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    const id = this.model.byUid.get(uid);
    return id === undefined ? undefined : (this.live(id)?.payload as Payload | undefined);
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    for (const [id, e] of this.store) if ((e.payload as Payload).userCode === userCode) return this.live(id)?.payload as Payload | undefined;
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const e = this.store.get(id);
    if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.drop(id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [id, e] of this.store) if ((e.payload as Payload).grantId === grantId) this.drop(id);
  }
}
