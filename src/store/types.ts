import type { SigningKey } from '../keys/store.js';

/**
 * The store: where a server keeps what outlives one request (runtime/world state), behind one
 * interface. In memory by default (one process, nothing shared); on Redis (`store:
 * 'redis://host:port/db'`) for several instances that must behave as one (docs/redis.md). Protocol
 * code never asks which: it reads and writes tables, the provider's adapter, key files and the
 * shared channel, and the store decides where they live.
 */
/** A keyed collection with a time to live (and, in memory, a size cap): pending sign-ins, device codes. */
export interface Table<V> {
  get(key: string): Promise<V | undefined>;
  /** `ttlMs`: this record's lifetime, when it differs from the table's. */
  set(key: string, value: V, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Reads, decides and writes as one step, atomically across instances: `change` gets the record
   * (undefined: none) and returns the result and, when it changes the record, the new value (its
   * time to live stays). `change` may run more than once (a concurrent write made it start over):
   * it must not have side effects.
   */
  update<R>(key: string, change: (v: V | undefined) => { value?: V; result: R }): Promise<R>;
}

export interface TableOptions<V> {
  ttlMs: number;
  /** Records kept at most (memory; Redis bounds by time alone). */
  max: number;
  /** With `maxBytes`: a byte budget, for records whose size a client decides (memory). */
  sizeOf?: (v: V) => number;
  maxBytes?: number;
  /** To and from JSON, for records with members JSON cannot carry (Redis; memory keeps the objects). */
  encode?: (v: V) => unknown;
  decode?: (raw: unknown) => V;
}

/** oidc-provider's adapter interface (its docs/README "adapter"), one class per tenant. */
export interface ProviderAdapter {
  upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Record<string, unknown> | undefined>;
  findByUid(uid: string): Promise<Record<string, unknown> | undefined>;
  findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined>;
  /** Marks the entry used; rejects with AlreadyConsumedError when it was used already (codes redeem once). */
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}
export type AdapterClass = new (model: string) => ProviderAdapter;

/**
 * Where the key files of a certs directory are read and written (keys/store.ts): the directory
 * itself, or the Redis store (every instance signs with the same keys).
 */
export interface KeyFiles {
  /** The local certs directory (ca.pem for clients is always written there). */
  readonly dir: string;
  /** How a file is named in messages (a path, or the store's name for it). */
  where(file: string): string;
  /** Makes the place ready (the directory, its .gitignore). */
  prepare(): Promise<void>;
  /** A file's text; undefined when it does not exist. */
  read(file: string, fix: string): Promise<string | undefined>;
  /** A certificate and its key, written so that no reader sees one without the other. */
  writePair(name: string, certPem: string, keyPem: string): Promise<void>;
  /** Runs `fn` while no other process (or instance) makes keys here. */
  lock<T>(fn: () => Promise<T>): Promise<T>;
  /** Keys kept elsewhere than the certs directory: the CA certificate clients trust is written there too; its path. */
  exportCa?(certPem: string): Promise<string>;
}

/** Secrets every instance of one server must share (cookies signed by one are read by another). */
export interface SharedSecrets {
  internalSecret: string;
  cookieKeys: string[];
  identityHeader: string;
}

/** The scenario the instances run, as the store keeps it. */
export interface StoredScenario {
  /** Changes with every switch: counters, run-time rules and switches belong to one generation. */
  generation: string;
  source: string;
  /** The compiled scenario (JSON). */
  scenario: unknown;
  /** The scenario rules' IDs, in order: the same on every instance. */
  ruleIds: string[];
}

/** A run-time rule as shared: its id, the rule, when it was added (newest first). */
export interface SharedRule {
  id: string;
  rule: unknown;
  at: number;
}

/** What the fault layer shares beyond the scenario: run-time rules, switches, the counters' epoch. */
export interface ControlSnapshot {
  rules: SharedRule[];
  /** Switches changed since the scenario (or the last reset); the others are as the scenario says. */
  switches: Record<string, boolean>;
  /** Counters start again at each reset: they are kept per epoch. */
  epoch: string;
}

export type ControlChange =
  | { kind: 'use'; rule: SharedRule }
  | { kind: 'remove'; id: string }
  | { kind: 'reset'; epoch: string }
  | { kind: 'flip'; name: string; on: boolean };

/** Rule counters of one scenario generation, atomic across instances. */
export interface SharedCounters {
  /** One more request the rule matched; the count, this one included. */
  match(epoch: string, id: string): Promise<number>;
  /** The rule fired once more. */
  fire(epoch: string, id: string): Promise<void>;
  /** Matched and fired counts by rule ID. */
  read(epoch: string, ids: string[]): Promise<Map<string, { matched: number; fired: number }>>;
}

/** A message between the instances of one server. */
export type SharedMessage =
  | { kind: 'scenario'; generation: string }
  | { kind: 'control'; generation: string }
  | { kind: 'log'; log: 'request' | 'signin'; entry: unknown }
  | { kind: 'clear' };

/** A sign-in log entry as shared: the record and what it settles or waits for. */
export interface SharedSignIn {
  record: unknown;
  tag?: { settles: string[]; pendingUntil?: number; key?: string };
}

/**
 * What several instances share beyond tables, the adapter and keys: the scenario, the fault
 * control state, the logs, and a channel that tells every instance of a change (pub/sub). Absent
 * on the memory store.
 */
export interface SharedChannel {
  /** This instance's ID (its own messages come back; it skips them). */
  readonly instanceId: string;
  /** How many other instances of this server are running (subscribed) now. */
  peers(): Promise<number>;
  loadScenario(): Promise<StoredScenario | undefined>;
  /** `ifAbsent`: only when the store holds none (a first instance, or a Redis that came back empty); whether it was written. */
  saveScenario(s: StoredScenario, o?: { ifAbsent?: boolean }): Promise<boolean>;
  /** A digest of the scenario the instances were started with: an instance started with another one switches them all. */
  bootDigest(): Promise<string | undefined>;
  setBootDigest(digest: string): Promise<void>;
  counters(generation: string): SharedCounters;
  loadControl(generation: string, initialEpoch: string): Promise<ControlSnapshot>;
  writeControl(generation: string, change: ControlChange): Promise<void>;
  /**
   * Tells every instance; resolves once each of them applied it (acknowledged), or after a bounded
   * wait (an instance that is gone, or cut off, catches up when it is back).
   */
  broadcast(message: SharedMessage, o?: { acknowledged?: boolean }): Promise<void>;
  /** Each message of another instance, one at a time; it is acknowledged (when asked) once the handler resolved. */
  onMessage(handler: (message: SharedMessage) => Promise<void>): void;
  /** The store came back after it was lost: state may have been missed (or lost, with Redis restarted empty). */
  onReconnect(handler: () => Promise<void>): void;
  appendLog(log: 'request' | 'signin', entry: unknown, cap: number): void;
  /** The log as kept, oldest first. */
  readLog(log: 'request' | 'signin'): Promise<unknown[]>;
  clearLogs(): Promise<void>;
  /** Keeps a running server's long-lived state from expiring (its scenario, fault state, secrets, keys). */
  touch(generation: string): Promise<void>;
}

export interface Store {
  readonly kind: 'memory' | 'redis';
  /** The store as messages name it: 'memory', or its URL without a password. */
  readonly where: string;
  table<V>(name: string, o: TableOptions<V>): Table<V>;
  adapter(tenantId: string): AdapterClass;
  keyFiles(certsDir: string): KeyFiles;
  /** A key published nowhere (swapKey, hostile SAML), the same on every instance; `name` tells them apart. */
  unpublishedKey(name: string, commonName?: string): Promise<SigningKey>;
  secrets(fallback: { identityHeader?: string }): Promise<SharedSecrets>;
  /** Present when instances share this store. */
  readonly shared?: SharedChannel;
  /** Told when the store is lost and when it is back (the server's log prints it). */
  onStatus?: (message: string) => void;
  /** The server this store holds state for (its public origin), known once it listens: shared state is kept per server. */
  scope(server: string): Promise<void>;
  close(): Promise<void>;
}

/** Seconds a client is told to wait (Retry-After) while the store is unreachable. */
export const STORE_RETRY_AFTER = 5;
/** The longest a request waits on the store before it is answered 503. */
export const STORE_TIMEOUT_MS = 2000;

/**
 * The store did not answer (Redis lost, or too slow): the request that needed it is answered with
 * Entra's 503 (AADSTS90033, Retry-After), never a 500; the server keeps serving what needs no store.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(where: string, detail: string, options?: { cause?: unknown }) {
    super(`the store at ${where} is not answering (${detail}); requests that need it are answered 503 until it is back`, options);
  }
}

/** The store cannot be used at start (unreachable, refused, not a store URL): start() rejects with it, the CLI exits 2. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}

/** An authorization code (or device code) redeemed a second time, on any instance. */
export class AlreadyConsumedError extends Error {
  override readonly name = 'AlreadyConsumedError';
}
