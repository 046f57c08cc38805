/** A Map with a time to live and a size cap (oldest dropped first), for state a client can make grow. */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, { value: V; expires: number; bytes: number }>();
  private bytes = 0;
  /** `sizeOf` and `maxBytes`: a byte budget too, for entries whose size a client decides. */
  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly sizeOf: (v: V) => number = () => 0,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  get(key: K): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires < Date.now()) {
      this.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** `ttlMs`: this entry's lifetime, when it differs from the map's. */
  set(key: K, value: V, ttlMs = this.ttlMs): void {
    this.delete(key);
    const bytes = this.sizeOf(value);
    this.entries.set(key, { value, expires: Date.now() + ttlMs, bytes });
    this.bytes += bytes;
    if (this.entries.size % 256 === 0) this.sweep();
    while (this.entries.size > this.max || (this.bytes > this.maxBytes && this.entries.size > 1)) this.delete(this.entries.keys().next().value as K);
  }

  /** A new value for a live entry, its expiry and place kept; false when there is none. */
  replace(key: K, value: V): boolean {
    const e = this.entries.get(key);
    if (!e || e.expires < Date.now()) return false;
    const bytes = this.sizeOf(value);
    this.bytes += bytes - e.bytes;
    e.value = value;
    e.bytes = bytes;
    return true;
  }

  delete(key: K): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    this.bytes -= e.bytes;
    return this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expires < now) this.delete(k);
  }
}
