/**
 * The Redis store (`store: 'redis://host:port/db'`): what several instances of one server share,
 * on ioredis (loaded only when such a store is configured). docs/redis.md says what is shared.
 *
 * Keys: `mock-entra:keys:{certs}` holds a certs directory's key files (the first instance brings
 * its directory's, or makes them; every instance then signs with the same keys); everything else
 * is under `mock-entra:{server}:`, one namespace per public origin (instances behind one public URL
 * are one server). Every key has a time to live, logs are capped.
 *
 * Failure: commands fail at once while Redis is unreachable (no offline queue) and time out after
 * STORE_TIMEOUT_MS; they reject with StoreUnavailableError, which requests answer as Entra's 503.
 * ioredis reconnects by itself; when it is back, the instances put back what an empty Redis lost
 * (keys, secrets; the scenario and fault state through the replica, server/replica.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { ChainableCommander, Redis as RedisClient } from 'ioredis';
import { KeyFileError } from '../keys/errors.js';
import { ensureDir, readText, writeAtomic } from '../keys/files.js';
import { createSigningCert } from '../keys/ca.js';
import type { SigningKey } from '../keys/store.js';
import { newSecret } from './memory.js';
import {
  type AdapterClass,
  AlreadyConsumedError,
  type ControlChange,
  type ControlSnapshot,
  type KeyFiles,
  type ProviderAdapter,
  type SharedChannel,
  type SharedCounters,
  type SharedMessage,
  type SharedRule,
  type SharedSecrets,
  type Store,
  STORE_TIMEOUT_MS,
  StoreError,
  StoreUnavailableError,
  type StoredScenario,
  type Table,
  type TableOptions,
} from './types.js';

const DAY_S = 24 * 60 * 60;
/** Long-lived state (keys, the scenario, fault state): refreshed by every start and change. */
const LONG_TTL_S = 30 * DAY_S;
/** Provider models without a lifetime of their own (grants): two weeks. */
const MODEL_TTL_S = 14 * DAY_S;
/** Logs and counters: a week after the last write. */
const LOG_TTL_S = 7 * DAY_S;
/** How long a broadcast waits for the other instances to acknowledge it. */
const ACK_WAIT_MS = 3000;
const LOCK_TTL_MS = 30_000;
const LOCK_WAIT_MS = 120_000;
const GENERATED = /^(ca|tls|tls-untrusted|tls-wrong-host|signing-\d+|saml-[0-9a-f-]+-[a-z]+|issuer-[a-z0-9]+)(-key)?\.pem$/;

/** The URL without a password, as messages name it. */
function redact(url: URL): string {
  const u = new URL(url.toString());
  if (u.password) u.password = '***';
  return u.toString();
}

/** `redis://host:port/db` (rediss:// for TLS), checked; StoreError says what is wrong. */
export function parseStoreUrl(raw: string): { url: URL; db: number } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new StoreError(`--store ${raw} is not a URL: give redis://host:port/db, e.g. redis://127.0.0.1:6379/0`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new StoreError(`--store ${redact(url)}: only redis:// (or rediss://) stores are supported, e.g. redis://127.0.0.1:6379/0`);
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,2}$/.test(path)) throw new StoreError(`--store ${redact(url)}: the path is the database number (0 to 15), e.g. redis://127.0.0.1:6379/0`);
  return { url, db: path === '' ? 0 : Number(path) };
}

/** A MULTI's results; a command's error (which ioredis hands back, not throws) is thrown. */
async function exec(m: ChainableCommander): Promise<unknown[]> {
  const results = (await m.exec()) ?? [];
  for (const [err] of results) if (err) throw err;
  return results.map(([, v]) => v);
}

/**
 * JSON that keeps Dates (a compiled scenario has some: secret expiries, certificate rotations), so
 * a scenario read back from the store is the scenario that was stored.
 */
export function toStoreJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.toISOString() } : v;
  });
}

export function fromStoreJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.$date === 'string' && Object.keys(o).length === 1) return new Date(o.$date);
    }
    return v;
  });
}

const reason = (e: unknown) => ((e as Error | undefined)?.message ?? String(e)).slice(0, 200);

const CAS = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') return 1 else return 0 end`;
const CONSUME = `if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1]) == 0 then return 0 end
return 1`;
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export async function openRedisStore(raw: string, o: { certsDir: string }): Promise<RedisStore> {
  const { url, db } = parseStoreUrl(raw);
  const where = redact(url);
  const { Redis } = await import('ioredis');
  const options = {
    db,
    lazyConnect: true,
    // While Redis is unreachable, commands fail at once (a 503), rather than queue and hang the request.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: STORE_TIMEOUT_MS,
    connectTimeout: STORE_TIMEOUT_MS,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  };
  const client = new Redis(url.toString(), options);
  const subscriber = new Redis(url.toString(), { ...options, commandTimeout: undefined });
  let lastError: NodeJS.ErrnoException | undefined;
  // Reported through the status (and at start, below), not per retry.
  for (const c of [client, subscriber]) c.on('error', (e: NodeJS.ErrnoException) => (lastError = e));
  try {
    await Promise.all([client.connect(), subscriber.connect()]);
    await client.ping();
  } catch (e) {
    client.disconnect();
    subscriber.disconnect();
    const code = lastError?.code ?? (e as NodeJS.ErrnoException).code;
    throw new StoreError(`cannot reach Redis at ${where} (${code ?? reason(e)}): start Redis there (redis-server --port ${url.port || 6379}), or point --store (MOCK_ENTRA_STORE) at one that runs`, { cause: e });
  }
  return new RedisStore(client, subscriber, where, resolve(o.certsDir));
}

class RedisTable<V> implements Table<V> {
  constructor(
    private readonly store: RedisStore,
    private readonly prefix: string,
    private readonly o: TableOptions<V>,
  ) {}
  private encode(v: V): string {
    return JSON.stringify(this.o.encode ? this.o.encode(v) : v);
  }
  private decode(raw: string | null): V | undefined {
    if (raw === null) return undefined;
    const v: unknown = JSON.parse(raw);
    return this.o.decode ? this.o.decode(v) : (v as V);
  }
  get(key: string): Promise<V | undefined> {
    return this.store.run(async (r) => this.decode(await r.get(this.prefix + key)));
  }
  set(key: string, value: V, ttlMs = this.o.ttlMs): Promise<void> {
    return this.store.run(async (r) => {
      await r.set(this.prefix + key, this.encode(value), 'PX', Math.max(1, Math.round(ttlMs)));
    });
  }
  delete(key: string): Promise<void> {
    return this.store.run(async (r) => {
      await r.del(this.prefix + key);
    });
  }
  /** Optimistic: read, decide, write only if nobody wrote in between (else again, a few times). */
  update<R>(key: string, change: (v: V | undefined) => { value?: V; result: R }): Promise<R> {
    return this.store.run(async (r) => {
      const k = this.prefix + key;
      for (let attempt = 0; attempt < 16; attempt++) {
        const raw = await r.get(k);
        const { value, result } = change(this.decode(raw));
        if (value === undefined) return result;
        const next = this.encode(value);
        const written = raw === null ? (await r.set(k, next, 'PX', this.o.ttlMs, 'NX')) === 'OK' : (await r.eval(CAS, 1, k, raw, next)) === 1;
        if (written) return result;
      }
      throw new Error(`${key}: too many concurrent changes`);
    });
  }
}

type Payload = Record<string, unknown>;

/** oidc-provider's adapter on Redis (its documented adapter interface; the shape of its example Redis adapter). */
function redisAdapter(store: RedisStore, base: string): AdapterClass {
  const grantKey = (id: string) => `${base}grant:${id}`;
  const uidKey = (uid: string) => `${base}uid:${uid}`;
  const userCodeKey = (code: string) => `${base}usercode:${code}`;
  return class RedisAdapter implements ProviderAdapter {
    constructor(private readonly name: string) {}
    private key(id: string): string {
      return `${base}${this.name}:${id}`;
    }
    upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      return store.run(async (r) => {
        const key = this.key(id);
        const ttl = expiresIn && expiresIn > 0 ? Math.ceil(expiresIn) : MODEL_TTL_S;
        const m = r.multi().del(key).hset(key, 'payload', JSON.stringify(payload)).expire(key, ttl);
        if (typeof payload.grantId === 'string') m.rpush(grantKey(payload.grantId), key).expire(grantKey(payload.grantId), ttl);
        if (typeof payload.userCode === 'string') m.set(userCodeKey(payload.userCode), id, 'EX', ttl);
        if (typeof payload.uid === 'string') m.set(uidKey(payload.uid), id, 'EX', ttl);
        await exec(m);
      });
    }
    find(id: string): Promise<Payload | undefined> {
      return store.run(async (r) => {
        const data = await r.hgetall(this.key(id));
        if (!data.payload) return undefined;
        const payload = JSON.parse(data.payload) as Payload;
        return data.consumed ? { ...payload, consumed: Number(data.consumed) } : payload;
      });
    }
    async findByUid(uid: string): Promise<Payload | undefined> {
      const id = await store.run((r) => r.get(uidKey(uid)));
      return id ? this.find(id) : undefined;
    }
    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      const id = await store.run((r) => r.get(userCodeKey(userCode)));
      return id ? this.find(id) : undefined;
    }
    /** Atomic: of two redemptions (on any instances), one consumes; the other is refused. */
    async consume(id: string): Promise<void> {
      const done = await store.run((r) => r.eval(CONSUME, 1, this.key(id), String(Math.floor(Date.now() / 1000))));
      if (done === 0) throw new AlreadyConsumedError(`${this.name} ${id} was consumed already`);
    }
    destroy(id: string): Promise<void> {
      return store.run(async (r) => {
        await r.del(this.key(id));
      });
    }
    revokeByGrantId(grantId: string): Promise<void> {
      return store.run(async (r) => {
        const keys = await r.lrange(grantKey(grantId), 0, -1);
        await r.del(grantKey(grantId), ...keys);
      });
    }
  };
}

export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  readonly instanceId = randomUUID();
  private ns = 'mock-entra:default:';
  private readonly keysKey: string;
  /** Every key file read or written, kept to put back on a Redis that came back empty. */
  private readonly knownFiles = new Map<string, string>();
  private secretsKept?: SharedSecrets;
  private lost = false;
  private closed = false;
  private seeded?: Promise<void>;
  private readonly reconnectHandlers: (() => Promise<void>)[] = [];
  private readonly messageHandlers: ((m: SharedMessage) => Promise<void>)[] = [];
  private readonly ackWaiters = new Map<string, { left: number; done: () => void }>();
  private channel = '';
  /** Messages are applied one at a time, in the order they came. */
  private inbox: Promise<unknown> = Promise.resolve();
  readonly shared: SharedChannel;
  /** Told when the store is lost and when it is back (the server's log prints it). */
  onStatus?: (message: string) => void;

  constructor(
    private readonly client: RedisClient,
    private readonly subscriber: RedisClient,
    readonly where: string,
    private readonly certsRoot: string,
  ) {
    this.keysKey = `mock-entra:keys:${createHash('sha256').update(certsRoot).digest('hex').slice(0, 16)}`;
    client.on('close', () => {
      if (this.closed || this.lost) return;
      this.lost = true;
      this.onStatus?.(`lost the store at ${where}: requests that need it are answered 503 (AADSTS90033, Retry-After) until it is back; reconnecting every second. Check that Redis runs there.`);
    });
    client.on('ready', () => {
      if (!this.lost || this.closed) return;
      this.lost = false;
      this.onStatus?.(`the store at ${where} is back`);
      void this.restore();
    });
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
    this.shared = this.channel_();
  }

  /** Runs commands; any failure of Redis is StoreUnavailableError (a consumed code stays itself). */
  async run<T>(fn: (r: RedisClient) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client);
    } catch (e) {
      if (e instanceof AlreadyConsumedError || e instanceof StoreUnavailableError) throw e;
      throw new StoreUnavailableError(this.where, reason(e), { cause: e });
    }
  }

  /** One namespace per server (its public origin): set once the origin is known, before anything is stored. */
  async scope(server: string): Promise<void> {
    this.ns = `mock-entra:${createHash('sha256').update(server).digest('hex').slice(0, 16)}:`;
    this.channel = `${this.ns}bus`;
    await this.run((r) => this.subscriber.subscribe(this.channel).then(() => r.ping()));
  }

  table<V>(name: string, o: TableOptions<V>): Table<V> {
    return new RedisTable(this, `${this.ns}t:${name}:`, o);
  }

  adapter(tenantId: string): AdapterClass {
    return redisAdapter(this, `${this.ns}oidc:${tenantId}:`);
  }

  keyFiles(certsDir: string): KeyFiles {
    const dir = resolve(certsDir);
    const rel = relative(this.certsRoot, dir).split(sep).join('/');
    const sub = rel === '' ? '' : rel.startsWith('..') ? `${createHash('sha256').update(dir).digest('hex').slice(0, 12)}/` : `${rel}/`;
    const field = (file: string) => `${sub}${file}`;
    return {
      dir,
      // Named as the file it came from (or is exported to): the certs directory that seeded the this.
      where: (file) => join(dir, file),
      prepare: async () => {
        await ensureDir(dir);
        await this.seed();
      },
      read: async (file) => {
        const text = await this.run((r) => r.hget(this.keysKey, field(file)));
        if (text === null) return undefined;
        this.knownFiles.set(field(file), text);
        return text;
      },
      writePair: async (name, certPem, keyPem) => {
        const cert = field(`${name}.pem`);
        const key = field(`${name}-key.pem`);
        await this.run((r) => exec(r.multi().hset(this.keysKey, key, keyPem, cert, certPem).expire(this.keysKey, LONG_TTL_S)));
        this.knownFiles.set(cert, certPem);
        this.knownFiles.set(key, keyPem);
      },
      lock: (fn) => this.lock(`${this.keysKey}:lock`, fn),
      exportCa: async (certPem) => {
        const path = join(dir, 'ca.pem');
        const local = await readText(path, 'Delete it: mock-entra writes the store\'s CA there');
        if (local === undefined) await writeAtomic(path, certPem, 0o644);
        else if (local.trim() !== certPem.trim()) {
          throw new KeyFileError(path, 'mismatch', `is not the CA the store at ${this.where} holds (every instance on it answers with that CA's certificates, so clients trusting this file would refuse them)`, 'Delete it (mock-entra writes the store\'s CA in its place), or give this instance another --certs-dir');
        }
        return path;
      },
    };
  }

  /** The first instance brings its certs directory's key files (as-microsoft's too): the store has none yet. */
  private seed(): Promise<void> {
    this.seeded ??= this.lock(`${this.keysKey}:lock`, async () => {
      const [count] = await this.run((r) => Promise.all([r.hlen(this.keysKey), r.expire(this.keysKey, LONG_TTL_S)]));
      if (count > 0) return;
      const files: string[] = [];
      const collect = async (dir: string, prefix: string) => {
        const names = await readdir(dir).catch(() => [] as string[]);
        for (const n of names) if (GENERATED.test(n)) files.push(prefix + n);
        if (!prefix && names.includes('as-microsoft')) await collect(join(dir, 'as-microsoft'), 'as-microsoft/');
      };
      await collect(this.certsRoot, '');
      const entries: string[] = [];
      for (const f of files) {
        const text = await readFile(join(this.certsRoot, f), 'utf8').catch(() => undefined);
        if (text !== undefined) entries.push(f, text);
      }
      if (entries.length) await this.run((r) => exec(r.multi().hset(this.keysKey, ...entries).expire(this.keysKey, LONG_TTL_S)));
    }).catch((e: unknown) => {
      this.seeded = undefined;
      throw e;
    });
    return this.seeded;
  }

  async lock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const token = randomUUID();
    const deadline = Date.now() + LOCK_WAIT_MS;
    while ((await this.run((r) => r.set(key, token, 'PX', LOCK_TTL_MS, 'NX'))) !== 'OK') {
      if (Date.now() > deadline) throw new StoreUnavailableError(this.where, `${key} stayed locked for ${LOCK_WAIT_MS / 1000} s; delete it if no mock-entra is making keys`);
      await new Promise((ok) => setTimeout(ok, 50));
    }
    const renew = setInterval(() => void this.client.pexpire(key, LOCK_TTL_MS).catch(() => undefined), LOCK_TTL_MS / 3);
    renew.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await this.client.eval(UNLOCK, 1, key, token).catch(() => undefined);
    }
  }

  unpublishedKey(name: string, commonName?: string): Promise<SigningKey> {
    // Beside the certs directory's keys in the store; never on disk (they are published nowhere).
    const files = this.keyFiles(this.certsRoot);
    return import('../keys/store.js').then(({ loadSelfSigned }) =>
      loadSelfSigned(files, `unpublished-${name}`, 'key published nowhere', 'It is made anew when deleted', (k) => k, async (keys) => {
        return createSigningCert(keys, commonName ? { commonName } : {});
      }),
    );
  }

  async secrets(fallback: { identityHeader?: string }): Promise<SharedSecrets> {
    const key = `${this.ns}secrets`;
    const made = { internalSecret: newSecret(), cookieKey: newSecret(), identityHeader: randomUUID() };
    const got = await this.run(async (r) => {
      await r.multi().hsetnx(key, 'internalSecret', made.internalSecret).hsetnx(key, 'cookieKey', made.cookieKey).hsetnx(key, 'identityHeader', made.identityHeader).expire(key, LONG_TTL_S).exec();
      return r.hgetall(key);
    });
    this.secretsKept = { internalSecret: got.internalSecret!, cookieKeys: [got.cookieKey!], identityHeader: fallback.identityHeader ?? got.identityHeader! };
    return this.secretsKept;
  }

  /** Redis is back: what an empty one lost of keys and secrets goes back (first come, first kept), then the replica catches up. */
  private async restore(): Promise<void> {
    try {
      if (this.knownFiles.size) {
        const m = this.client.multi();
        for (const [f, text] of this.knownFiles) m.hsetnx(this.keysKey, f, text);
        await m.expire(this.keysKey, LONG_TTL_S).exec();
      }
      if (this.secretsKept) {
        const key = `${this.ns}secrets`;
        const s = this.secretsKept;
        await this.client.multi().hsetnx(key, 'internalSecret', s.internalSecret).hsetnx(key, 'cookieKey', s.cookieKeys[0]!).hsetnx(key, 'identityHeader', s.identityHeader).expire(key, LONG_TTL_S).exec();
      }
      for (const h of this.reconnectHandlers) await h();
    } catch {
      // Lost again meanwhile (the next 'ready' tries again), or a command failed: again in a second.
      if (!this.closed && this.client.status === 'ready') setTimeout(() => void this.restore(), 1000).unref();
    }
  }

  private receive(text: string): void {
    let m: { from: string; id: string; ack?: string; wantsAck?: boolean; message?: SharedMessage };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      return;
    }
    if (m.from === this.instanceId) return;
    if (m.ack) {
      const w = this.ackWaiters.get(m.ack);
      if (w && --w.left <= 0) w.done();
      return;
    }
    const message = m.message;
    if (!message) return;
    this.inbox = this.inbox.then(async () => {
      for (const h of this.messageHandlers) await h(message).catch(() => undefined);
      if (m.wantsAck) await this.client.publish(this.channel, JSON.stringify({ from: this.instanceId, id: randomUUID(), ack: m.id })).catch(() => undefined);
    });
  }

  private channel_(): SharedChannel {
    const k = (s: string) => `${this.ns}${s}`;
    const counters = (generation: string): SharedCounters => {
      const key = (epoch: string) => k(`cnt:${generation}:${epoch}`);
      return {
        match: (epoch, id) =>
          this.run(async (r) => {
            const [count] = await exec(r.multi().hincrby(key(epoch), `m:${id}`, 1).expire(key(epoch), LOG_TTL_S));
            return Number(count);
          }),
        fire: (epoch, id) =>
          this.run(async (r) => {
            await r.hincrby(key(epoch), `f:${id}`, 1);
          }),
        read: (epoch, ids) =>
          this.run(async (r) => {
            const out = new Map<string, { matched: number; fired: number }>();
            if (!ids.length) return out;
            const values = await r.hmget(key(epoch), ...ids.flatMap((id) => [`m:${id}`, `f:${id}`]));
            ids.forEach((id, i) => out.set(id, { matched: Number(values[2 * i] ?? 0), fired: Number(values[2 * i + 1] ?? 0) }));
            return out;
          }),
      };
    };
    return {
      instanceId: this.instanceId,
      peers: () =>
        this.run(async (r) => {
          const [, count] = (await r.pubsub('NUMSUB', this.channel)) as [string, number];
          return Math.max(0, Number(count) - 1);
        }),
      loadScenario: () => this.run(async (r) => {
        const raw = await r.get(k('scenario'));
        return raw === null ? undefined : (fromStoreJson(raw) as StoredScenario);
      }),
      saveScenario: (s, o = {}) => this.run(async (r) => {
        const text = toStoreJson(s);
        return (o.ifAbsent ? await r.set(k('scenario'), text, 'EX', LONG_TTL_S, 'NX') : await r.set(k('scenario'), text, 'EX', LONG_TTL_S)) === 'OK';
      }),
      bootDigest: () => this.run(async (r) => (await r.get(k('boot'))) ?? undefined),
      setBootDigest: (digest) => this.run(async (r) => {
        await r.set(k('boot'), digest, 'EX', LONG_TTL_S);
      }),
      counters,
      loadControl: (generation, initialEpoch) => this.run(async (r) => {
        const [rules, switches, epoch] = await Promise.all([r.hgetall(k(`ctl:${generation}:rules`)), r.hgetall(k(`ctl:${generation}:switches`)), r.get(k(`ctl:${generation}:epoch`))]);
        const snapshot: ControlSnapshot = {
          rules: Object.values(rules).map((t) => JSON.parse(t) as SharedRule),
          switches: Object.fromEntries(Object.entries(switches).map(([n, v]) => [n, v === '1'])),
          epoch: epoch ?? initialEpoch,
        };
        return snapshot;
      }),
      writeControl: (generation, change: ControlChange) => this.run(async (r) => {
        const rules = k(`ctl:${generation}:rules`);
        const switches = k(`ctl:${generation}:switches`);
        const epoch = k(`ctl:${generation}:epoch`);
        const m = r.multi();
        if (change.kind === 'use') m.hset(rules, change.rule.id, JSON.stringify(change.rule)).expire(rules, LONG_TTL_S);
        else if (change.kind === 'remove') m.hdel(rules, change.id);
        else if (change.kind === 'flip') m.hset(switches, change.name, change.on ? '1' : '0').expire(switches, LONG_TTL_S);
        else m.del(rules, switches).set(epoch, change.epoch, 'EX', LONG_TTL_S);
        await exec(m);
      }),
      broadcast: async (message, o = {}) => {
        const id = randomUUID();
        const envelope = JSON.stringify({ from: this.instanceId, id, wantsAck: o.acknowledged === true, message });
        let waited: Promise<void> | undefined;
        let timer: NodeJS.Timeout | undefined;
        if (o.acknowledged) {
          waited = new Promise<void>((done) => {
            this.ackWaiters.set(id, { left: Number.POSITIVE_INFINITY, done });
            timer = setTimeout(done, ACK_WAIT_MS);
          });
        }
        try {
          const receivers = await this.run((r) => r.publish(this.channel, envelope));
          const w = this.ackWaiters.get(id);
          // Every subscriber but this instance acknowledges.
          if (w) {
            w.left = receivers - 1;
            if (w.left <= 0) w.done();
          }
          await waited;
        } finally {
          if (timer) clearTimeout(timer);
          this.ackWaiters.delete(id);
        }
      },
      onMessage: (handler) => {
        this.messageHandlers.push(handler);
      },
      onReconnect: (handler) => {
        this.reconnectHandlers.push(handler);
      },
      appendLog: (log, entry, cap) => {
        const key = k(`log:${log}`);
        const text = JSON.stringify(entry);
        const envelope = JSON.stringify({ from: this.instanceId, id: '', message: { kind: 'log', log, entry } satisfies SharedMessage });
        // Fire and forget: a log that cannot be shared now never fails the request it records.
        this.client.multi().lpush(key, text).ltrim(key, 0, cap - 1).expire(key, LOG_TTL_S).publish(this.channel, envelope).exec().catch(() => undefined);
      },
      readLog: (log) => this.run(async (r) => (await r.lrange(k(`log:${log}`), 0, -1)).reverse().map((t) => JSON.parse(t) as unknown)),
      touch: (generation) =>
        this.run(async (r) => {
          await exec(
            r
              .multi()
              .expire(k('scenario'), LONG_TTL_S)
              .expire(k('boot'), LONG_TTL_S)
              .expire(k('secrets'), LONG_TTL_S)
              .expire(k(`ctl:${generation}:rules`), LONG_TTL_S)
              .expire(k(`ctl:${generation}:switches`), LONG_TTL_S)
              .expire(k(`ctl:${generation}:epoch`), LONG_TTL_S)
              .expire(this.keysKey, LONG_TTL_S),
          );
        }),
      clearLogs: () => this.run(async (r) => {
        await r.del(k('log:request'), k('log:signin'));
      }),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.client.quit().catch(() => this.client.disconnect()), this.subscriber.quit().catch(() => this.subscriber.disconnect())]);
  }
}
