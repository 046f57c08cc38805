/**
 * The runtime state of one server, in one place: sign-ins waiting on a page (OIDC interactions,
 * SAML), device codes, the provider's stored models, SAML certificate loads, the rogue key of
 * `swapKey`. Every world of a server shares it (a scenario switch keeps pending sign-ins); no
 * module holds state of its own, so two servers in one process never share any. Every store is
 * bounded: entries expire, and the oldest go first past the cap.
 */
import { createSigningCert, generateRsaKeyPair } from '../keys/ca.js';
import { signingKeyFromPem } from '../keys/signing.js';
import type { SigningKey } from '../keys/store.js';
import { DeviceCodes } from '../oidc/device.js';
import type { PendingSamlSignIn } from '../saml/pending.js';
import type { SignInFlow } from './transaction.js';

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

  set(key: K, value: V): void {
    this.delete(key);
    const bytes = this.sizeOf(value);
    this.entries.set(key, { value, expires: Date.now() + this.ttlMs, bytes });
    this.bytes += bytes;
    if (this.entries.size % 256 === 0) this.sweep();
    while (this.entries.size > this.max || (this.bytes > this.maxBytes && this.entries.size > 1)) this.delete(this.entries.keys().next().value as K);
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

export class Runtime {
  /** OIDC sign-ins waiting on our pages, by the provider's interaction uid: what the authorize request decided. */
  readonly signIns = new BoundedMap<string, SignInFlow>(PENDING_CAP, SIGN_IN_TTL_MS);
  /** SAML sign-ins waiting on the sign-in page. */
  readonly samlPending = new BoundedMap<string, PendingSamlSignIn>(PENDING_CAP, SAML_PENDING_TTL_MS, (p) => (p.relayState?.length ?? 0) + JSON.stringify(p.request ?? {}).length, STORE_BYTES);
  readonly devices = new DeviceCodes();
  /** oidc-provider's models (sessions, interactions, codes, grants, refresh tokens), by tenant and model. */
  readonly models = new Map<string, ModelStore>();
  private readonly samlCerts = new Map<string, Promise<SigningKey>>();
  /** Keys of the built-in external issuers (workload identity federation), by certs dir and name. */
  private readonly issuerKeys = new Map<string, Promise<SigningKey>>();
  /**
   * External issuers' signing keys as fetched from their discovery document and JWKS, by issuer:
   * kept a few minutes, so a rotated key is seen soon; failures are not kept (oidc/federation.ts).
   */
  readonly federationKeys = new BoundedMap<string, Promise<FederationKeys>>(256, FEDERATION_KEYS_TTL_MS);
  private rogue?: Promise<SigningKey>;

  model(name: string): ModelStore {
    let store = this.models.get(name);
    if (!store) {
      store = { entries: new Map(), bytes: 0, byUid: new Map() };
      this.models.set(name, store);
    }
    return store;
  }

  /** A key and certificate published nowhere (made on first use, never written to disk): what `swapKey` signs with. */
  rogueKey(): Promise<SigningKey> {
    this.rogue ??= (async () => {
      const pair = await generateRsaKeyPair();
      const certPem = await createSigningCert(pair);
      return signingKeyFromPem(certPem, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    })();
    return this.rogue;
  }

  /** A built-in issuer's signing key, loaded (or made) once per server. */
  issuerKey(certsDir: string, name: string): Promise<SigningKey> {
    const key = `${certsDir}\u0000${name}`;
    let p = this.issuerKeys.get(key);
    if (!p) {
      p = import('../keys/store.js').then((m) => m.loadIssuerKey(certsDir, name));
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
