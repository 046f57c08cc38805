/** start(): the programmatic front door used by tests, the CLI and the benchmarks. */
import { fileURLToPath } from 'node:url';
import type { Directory } from './directory/model.js';
import { join, resolve } from 'node:path';
import { builtinIssuer, MICROSOFT_HOSTNAMES, Origins, v2Issuer } from './entra/urls.js';
import { type BuiltinIssuerName, isBuiltinIssuer } from './issuers/builtin.js';
import type { FederatedTokenOptions } from './issuers/mint.js';
import { AS_MICROSOFT_DIR, type KeyMaterial, loadAltTls, loadKeys } from './keys/store.js';
import { type ManagedIdentityEnv, managedIdentityEnv } from './managed-identity/env.js';
import { loadCompiledScenario, parseCompiledScenario, type ScenarioSources, scenarioCacheDir } from './scenario/compiled.js';
import { BUILTIN_ISSUERS, type RuleInput, type Scenario, type ScenarioInput } from './scenario/schema.js';
import { parseRule, tlsSwitchNote } from './server/admin.js';
import { type ScenarioWatcher, type WatchEvent, watchScenario } from './server/watch.js';
import { loadScenarioFile } from './scenario/load.js';
import { createApp, type MockApp } from './server/app.js';
import { bootScenario, scenarioDigest } from './server/replica.js';
import { Runtime } from './server/runtime.js';
import { openStore } from './store/open.js';
import type { Store } from './store/types.js';
import type { MockEvents } from './server/events.js';
import { listen, portProblem } from './server/listen.js';
import type { LogFormat, RequestRecord } from './server/log.js';
import type { SignInQuery, SignInRecord } from './server/signins.js';
import { listenProxy, type ProxyListening, servesNames } from './server/proxy.js';
import { type ClientCredentialsOptions, type SignInOptions, testClient, type TokenResponse } from './test-api.js';

/** Options of start(); every one has a default. */
export interface StartOptions {
  /** A scenario file path, or a scenario object built in code. Default: the shipped scenarios/default.yaml. */
  scenario?: string | ScenarioInput;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default `localhost` (127.0.0.1 and ::1). */
  host?: string;
  /** Default true: HTTPS with the local CA. */
  tls?: boolean;
  /** Where the CA, TLS and signing keys live. Default `./certs`. */
  certsDir?: string;
  /** Extra host names for the TLS certificate. */
  hostnames?: string[];
  /** The origin clients use, when it differs from the listener (a proxy, a container). */
  publicUrl?: string;
  /** Default 'silent' for start(), 'pretty' for the CLI. */
  logFormat?: LogFormat;
  /** Called with every request's record (the same as `idp.events.on('request', …)`); a throw is reported, never turned into an error response. */
  onRequest?: (r: RequestRecord) => void;
  /** Called with one line for each key or certificate made on first start (the CLI prints them); start() itself prints nothing. */
  onKeyProgress?: (message: string) => void;
  /** Lets the admin API (/_mock/) answer non-loopback callers that present it as a Bearer token. */
  adminToken?: string;
  /**
   * Answer as Microsoft: issuers, endpoints and every URL a client sees are Entra's own
   * (https://login.microsoftonline.com, https://graph.microsoft.com, https://management.azure.com),
   * whatever port the server listens on; requests are told apart by their Host. Clients reach it
   * through name resolution (a hosts file, a Compose alias) on port 443, or a forward proxy. The TLS
   * certificate comes from a CA of its own, `<certsDir>/as-microsoft/ca.pem`, name-constrained to
   * Microsoft's hosts and loopback. Default false. Not with `publicUrl` or `tls: false`.
   */
  asMicrosoft?: boolean;
  /** IDENTITY_HEADER that App Service's managed identity endpoint checks (X-IDENTITY-HEADER). Default: a random GUID per server. */
  identityHeader?: string;
  /**
   * Reload the scenario file, and the files it extends, when one of them changes (serve --watch).
   * A reload is all or nothing: an edit that does not load leaves the running scenario in force,
   * and its problem shows on every dashboard page, in GET /_mock/scenario's `watch` and in /health,
   * until a save loads. Only for a scenario given as a file. Default false.
   */
  watch?: boolean;
  /** With watch: told of each reload and each edit that does not load (the CLI prints them). */
  onWatch?: (event: WatchEvent) => void;
  /**
   * Also listen on 127.0.0.1:proxyPort (0: any free port) as an HTTP forward proxy: apps run with
   * `HTTPS_PROXY=http://127.0.0.1:PORT` and the CA trusted reach the mock at its served host names
   * (Microsoft's, as asMicrosoft — which a proxy implies unless asMicrosoft: false — plus `hostnames`
   * and the public URL's host) on port 443; other hosts are tunnelled untouched. Needs TLS. See docs/proxy.md.
   */
  proxyPort?: number;
  /**
   * Where the server keeps what outlives a request. Default: in memory (one process). A Redis URL,
   * `redis://host:port/db`: several instances (processes, containers) with the same store and the
   * same public URL behave as one server: sign-ins, codes, device codes, fault counters, switches,
   * the scenario, the logs and the signing keys and CA are shared (docs/redis.md). Redis unreachable:
   * start() rejects with StoreError. Default: MOCK_ENTRA_STORE when set, else memory.
   */
  store?: string;
}

export type { ManagedIdentityEnv } from './managed-identity/env.js';

/** How long a run-time rule added with `idp.use()` stays. */
export interface UseOptions {
  /** Fire once, then fall away (times: { first: 1 }). */
  once?: boolean;
}

/** A running mock Entra ID, as start() returns it. */
export interface MockEntra {
  /** Origin, e.g. https://localhost:53211 (as Microsoft: https://login.microsoftonline.com) */
  url: string;
  /** Where this process reaches the server itself, e.g. https://localhost:53211: the dashboard and the admin API (same as url unless asMicrosoft). */
  localUrl: string;
  /** Answering as Microsoft's hosts (asMicrosoft). */
  asMicrosoft: boolean;
  port: number;
  tenantId: string;
  /** v2 issuer of the first tenant: `${url}/${tenantId}/v2.0` */
  issuer: string;
  /** PEM of the local CA; trust it with NODE_EXTRA_CA_CERTS or a client's `ca` option. */
  caCertPath: string;
  /** With `proxyPort`: the proxy's URL, `http://127.0.0.1:PORT` (the value of HTTPS_PROXY). */
  proxyUrl?: string;
  caCert: string;
  scenario: Scenario;
  directory: Directory;
  /**
   * Typed events: 'request', 'signin', 'token', 'saml.response', 'fault'.
   * @example idp.events.on('token', (t) => expect(t.claims.aud).toBe(API.clientId))
   */
  events: MockEvents;
  /**
   * Adds a fault rule ahead of the scenario's (first match wins). Scope it with `when.app`,
   * `when.user` or `when.header` so tests running in parallel do not collide.
   * @example idp.use({ when: { endpoint: 'token', app: 'sample-web' }, then: { error: 7000222 } }, { once: true })
   */
  use(rule: RuleInput, opts?: UseOptions): string;
  /** Removes run-time rules, zeroes counters, puts switches back. */
  reset(): void;
  /**
   * With a shared store: resolves once this instance's changes (use, reset, flip) reached the
   * other instances. They apply on this one at once; the others follow within milliseconds.
   * @example idp.use(rule, { once: true }); await idp.settled(); // every instance has the rule now
   */
  settled(): Promise<void>;
  /** Turns a named switch on (or off). */
  flip(name: string, on?: boolean): void;
  /**
   * Switches to another scenario; an invalid one throws ScenarioError and the running one stays.
   * A TLS certificate it changes (untrusted-tls) is presented to new connections; open ones keep theirs.
   */
  useScenario(scenario: string | ScenarioInput): Promise<void>;
  /** Recent requests, oldest first, with the AADSTS code and the rule that fired. */
  requests(): RequestRecord[];
  /**
   * The sign-in log, newest first (at most 1,000): one record per sign-in attempt, in Graph's
   * `signIn` shape plus `mockEntra` (flow, outcome, rule, remediation).
   * @example expect(idp.signIns({ user: 'ada@contoso.onmicrosoft.com', app: 'sample-web' })[0]?.status.errorCode).toBe(50126)
   */
  signIns(query?: SignInQuery): SignInRecord[];
  /** Signing-key rollover: the other published key signs from now on. Returns its index (1 or 2). */
  rotateKeys(): 1 | 2;
  /** Completes a pending device code as `user` (a UPN) would at /devicelogin; rejects when no such code is pending. */
  approveDeviceCode(userCode: string, user: string): Promise<void>;
  /**
   * Signs a user in to an app without a browser (the real auth-code flow with login_hint and PKCE)
   * and redeems the code; rejects with EntraResponseError (`code` = AADSTS number) when the mock refuses.
   * @example const { id_token, access_token } = await idp.signIn({ user: 'ada@contoso.onmicrosoft.com', app: 'sample-web', scopes: ['openid', 'profile', 'api://sample-api/access_as_user'] })
   */
  signIn(o: SignInOptions): Promise<TokenResponse>;
  /**
   * An app-only token (client credentials grant).
   * @example const { access_token } = await idp.clientCredentials({ app: 'sample-web', scope: 'api://sample-api/.default' })
   */
  clientCredentials(o: ClientCredentialsOptions): Promise<TokenResponse>;
  /**
   * A token from one of the mock's own external issuers (workload identity federation), signed
   * with that issuer's key: write it to the file AZURE_FEDERATED_TOKEN_FILE names. Its iss is
   * `issuerUrl(issuer)`, which a federated credential names as `builtin:k8s` (or the URL itself).
   * @example writeFileSync(file, await idp.federatedToken({ subject: 'system:serviceaccount:default:workload' }))
   */
  federatedToken(o: FederatedTokenOptions): Promise<string>;
  /** The iss of a built-in external issuer, default k8s: `${url}/_issuers/k8s`. */
  issuerUrl(issuer?: BuiltinIssuerName): string;
  /**
   * The environment variables that point an unmodified app's managed identity credential at this server.
   * @example const env = { ...idp.managedIdentityEnv().appService, NODE_EXTRA_CA_CERTS: idp.caCertPath }
   */
  managedIdentityEnv(): ManagedIdentityEnv;
  stop(): Promise<void>;
}

/**
 * What is wrong with a public URL (undefined: nothing): it is the origin clients use, so an absolute
 * http or https URL, e.g. https://idp.test:8443, without query, fragment or credentials. A value
 * without a scheme (`localhost:8443`) would otherwise become issuers and endpoints no client can use.
 */
export function publicUrlProblem(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return `'${value}' has no scheme: write https://${value.replace(/^\/+/, '')} (or http:// with --no-tls)`;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return `'${value}' is not a URL: write the origin clients use, e.g. https://idp.test:8443`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `'${value}' must be an http or https URL, e.g. https://${u.host || 'idp.test:8443'}`;
  if (u.search || u.hash || u.username || u.password) return `'${value}' must be an origin without query, fragment or user name: write ${u.origin}`;
  return undefined;
}

// From import.meta.url, not import.meta.dirname: jest's ESM loader provides only the URL.
/** Path of the shipped scenarios/default.yaml (the fixed identifiers in the README). */
export const DEFAULT_SCENARIO = fileURLToPath(new URL('../scenarios/default.yaml', import.meta.url));

/**
 * Starts a mock Entra ID.
 * @example
 * const idp = await start();            // default scenario, HTTPS on an ephemeral port
 * process.env.NODE_EXTRA_CA_CERTS ??= idp.caCertPath;
 * // authority: `${idp.url}/${idp.tenantId}`
 * await idp.stop();
 */
export async function start(opts: StartOptions = {}): Promise<MockEntra> {
  const tls = opts.tls ?? true;
  if (opts.proxyPort !== undefined && !tls) throw new Error('proxyPort needs TLS: clients reach the mock through the proxy with HTTPS (CONNECT host:443); drop tls: false');
  if (opts.watch && typeof opts.scenario === 'object') throw new TypeError('start({ watch }) needs a scenario file: give scenario as a path (an object built in code has no file to watch)');
  const badPublicUrl = opts.publicUrl === undefined ? undefined : publicUrlProblem(opts.publicUrl);
  if (badPublicUrl) throw new TypeError(`start({ publicUrl }): ${badPublicUrl}`);
  const badPort = portProblem(opts.port ?? 0);
  if (badPort) throw new RangeError(`start({ port }): ${badPort === 'is not a number' ? `${String(opts.port)} is not a number` : badPort}; give a whole number from 1 to 65535, or 0 (the default) for any free port`);
  const host = opts.host ?? 'localhost';
  // A forward proxy is the as-Microsoft mode's way in (serve --proxy implies --as-microsoft); asMicrosoft: false keeps the served names to hostnames and publicUrl.
  const asMicrosoft = opts.asMicrosoft ?? opts.proxyPort !== undefined;
  if (asMicrosoft && opts.publicUrl) throw new Error('asMicrosoft and publicUrl exclude each other: as Microsoft, clients use https://login.microsoftonline.com. Drop publicUrl (or asMicrosoft).');
  if (asMicrosoft && !tls) throw new Error('asMicrosoft needs TLS: clients reach https://login.microsoftonline.com. Drop tls: false (--no-tls).');
  const hostnames = [...(opts.hostnames ?? []), ...(opts.publicUrl ? [new URL(opts.publicUrl).hostname] : []), ...(host !== 'localhost' && !['0.0.0.0', '::'].includes(host) ? [host] : [])];
  const certsDir = resolve(opts.certsDir ?? 'certs');
  // Redis unreachable: StoreError, before anything is made or listened on.
  const store = await openStore(opts.store ?? (process.env.MOCK_ENTRA_STORE || undefined), { certsDir });
  try {
    return await startOn(store, opts, { tls, host, asMicrosoft, hostnames, certsDir });
  } catch (err) {
    await store.close();
    throw err;
  }
}

async function startOn(store: Store, opts: StartOptions, o: { tls: boolean; host: string; asMicrosoft: boolean; hostnames: string[]; certsDir: string }): Promise<MockEntra> {
  const { tls, host, asMicrosoft, hostnames, certsDir } = o;
  if ((opts.logFormat ?? 'silent') !== 'silent') store.onStatus = (m) => console.error(`mock-entra: ${m}`);
  const files = (dir: string) => ({ files: store.keyFiles(dir) });
  const progress = opts.onKeyProgress ? { onProgress: opts.onKeyProgress } : {};
  // As Microsoft, the CA and TLS certificate come from their own directory: Microsoft's names, plus
  // loopback, any --hostname and the bind address (so this process reaches it on its local URL).
  const loadAll = async (): Promise<KeyMaterial> => {
    if (!asMicrosoft) return loadKeys({ certsDir, hostnames, ...progress, ...files(certsDir) });
    const [own, ms] = await Promise.all([
      loadKeys({ certsDir, ...progress, ...files(certsDir) }),
      loadKeys({ certsDir: join(certsDir, AS_MICROSOFT_DIR), hostnames: [...MICROSOFT_HOSTNAMES, ...hostnames], signingKeyCount: 0, exactNames: true, ...progress, ...files(join(certsDir, AS_MICROSOFT_DIR)) }),
    ]);
    return { ...own, caCertPath: ms.caCertPath, caCertPem: ms.caCertPem, tls: ms.tls };
  };
  // The compiled-scenario cache lives in the certs directory; keys and scenario load side by side.
  const cacheDir = scenarioCacheDir(certsDir);
  // What a scenario file was built from (the file and what it extends): serve --watch follows them without loading them again.
  const sources: ScenarioSources = { files: [], absent: [] };
  // Both settle before either error is thrown, so a bad scenario never leaves key generation running behind it.
  const [keysLoad, scenarioLoad] = await Promise.allSettled([
    loadAll(),
    typeof opts.scenario === 'object' ? parseCompiledScenario(opts.scenario, cacheDir) : loadCompiledScenario(opts.scenario ?? DEFAULT_SCENARIO, cacheDir, sources),
  ]);
  if (scenarioLoad.status === 'rejected') throw scenarioLoad.reason;
  if (keysLoad.status === 'rejected') throw keysLoad.reason;
  const keys = keysLoad.value;
  const scenario = scenarioLoad.value;
  // The certificate the scenario asks for (tls.certificate), ready before the first connection: a
  // server started on untrusted-tls never shows a client the trusted one.
  const tlsFor = async (s: Scenario) => {
    const kind = s.tls.certificate;
    const material = kind === 'trusted' ? keys.tls : await loadAltTls(keys.certsDir, kind, store.keyFiles(keys.certsDir), opts.onKeyProgress);
    return { key: material.keyPem, cert: material.certPem };
  };
  const listening = await listen({ host, port: opts.port ?? 0, tls: tls ? await tlsFor(scenario) : undefined });
  const listenHost = ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(host) ? 'localhost' : host;
  const localUrl = `${tls ? 'https' : 'http'}://${listenHost}:${listening.port}`;
  const origins = asMicrosoft ? Origins.microsoft() : Origins.local((opts.publicUrl ?? localUrl).replace(/\/+$/, ''));
  const origin = origins.login;
  const source = typeof opts.scenario === 'object' ? '<inline>' : (opts.scenario ?? DEFAULT_SCENARIO);
  let watcher: ScenarioWatcher | undefined;
  let mock: MockApp;
  try {
    // Instances behind one public URL are one server: its shared state is kept under that origin
    // (as Microsoft, where every server has the same origin, under the local URL too).
    await store.scope(asMicrosoft ? `${origin} ${localUrl}` : origin);
    const [secrets, boot] = await Promise.all([store.secrets({ identityHeader: opts.identityHeader }), store.shared ? bootScenario(store.shared, scenario, source) : undefined]);
    mock = createApp({
      origin: origins,
      scenario,
      source,
      keys,
      logFormat: opts.logFormat ?? 'silent',
      adminToken: opts.adminToken,
      identityHeader: opts.identityHeader,
      tls,
      watch: () => watcher?.status(),
      runtime: new Runtime(store),
      secrets,
      ...(store.shared && boot ? { shared: { channel: store.shared, stored: boot.stored, digest: scenarioDigest(scenario) } } : {}),
    });
    if (boot) {
      await mock.replica?.seedLogs();
      mock.world.faults.apply(await store.shared!.loadControl(mock.world.generation, mock.world.generation));
      if (boot.announce) await mock.replica?.announce(boot.stored.generation);
    }
  } catch (err) {
    await listening.close();
    throw err;
  }
  if (opts.onRequest) mock.events.on('request', opts.onRequest);
  const handle = mock.app.callback();
  listening.setHandler(handle);
  // The proxy answers for the public URL's host and the extra host names (the TLS certificate's names beyond loopback).
  let proxy: ProxyListening | undefined;
  if (opts.proxyPort !== undefined) {
    const served = [...(asMicrosoft ? MICROSOFT_HOSTNAMES : []), ...(opts.hostnames ?? []), ...(opts.publicUrl ? [new URL(opts.publicUrl).hostname] : [])];
    proxy = await listenProxy({ port: opts.proxyPort, serves: servesNames(served), terminate: (s) => listening.accept(s), handle }).catch(async (err: unknown) => {
      await listening.close();
      throw err;
    });
  }
  // A shared store's scenario (another instance's) may ask for another certificate than the one listened with.
  if (tls && mock.world.scenario.tls.certificate !== scenario.tls.certificate) listening.setTls(await tlsFor(mock.world.scenario));
  // A switch to the untrusted-tls scenario swaps the certificate (for new connections); any other goes back to the local CA's.
  mock.onSwitch = async (s: Scenario) => {
    if (tls) listening.setTls(await tlsFor(s));
  };
  if (opts.watch) {
    const file = resolve(source);
    watcher = await watchScenario({
      file,
      load: (lo) => loadScenarioFile(file, lo),
      initial: sources,
      apply: async (s) => {
        // Switched to another scenario meanwhile (admin API, useScenario): that one stays.
        if (resolve(mock.world.source) !== file) return false;
        const before = mock.world.scenario;
        await mock.switchTo(s, source);
        const note = tls ? tlsSwitchNote(before, s) : undefined;
        return note ? [note] : [];
      },
      onEvent: opts.onWatch,
    });
  }
  const tenant = mock.world.directory.tenants[0]!;
  // As Microsoft, this process reaches the server on its local URL (it has no hosts mapping); see signIn's note.
  const client = testClient({ url: asMicrosoft ? localUrl : origin, tenantId: tenant.id, caCert: keys.caCertPem, directory: () => mock.world.directory });
  return {
    url: origin,
    localUrl: asMicrosoft ? localUrl : origin,
    asMicrosoft,
    port: listening.port,
    tenantId: tenant.id,
    issuer: v2Issuer(origin, tenant.id),
    caCertPath: keys.caCertPath,
    caCert: keys.caCertPem,
    ...(proxy ? { proxyUrl: `http://127.0.0.1:${proxy.port}` } : {}),
    get scenario() {
      return mock.world.scenario;
    },
    get directory() {
      return mock.world.directory;
    },
    events: mock.events,
    use: (rule, o = {}) => mock.world.faults.use(parseRule({ ...rule, once: o.once })),
    reset: () => mock.world.faults.reset(),
    settled: () => mock.settled(),
    flip: (name, on = true) => {
      if (!mock.world.faults.flip(name, on)) throw new Error(`no switch named '${name}' in the scenario`);
    },
    useScenario: async (next) => {
      await mock.switchTo(typeof next === 'object' ? () => parseCompiledScenario(next, cacheDir) : () => loadCompiledScenario(next, cacheDir), typeof next === 'object' ? '<inline>' : next);
    },
    requests: () => mock.recent(),
    signIns: (q) => mock.signIns.query(q),
    rotateKeys: () => {
      const active = mock.world.scenario.keys.active === 1 ? 2 : 1;
      void mock.switchTo({ ...mock.world.scenario, keys: { active } }, mock.world.source);
      return active;
    },
    approveDeviceCode: async (userCode, upn) => {
      const code = await mock.runtime.devices.byUserCode(userCode);
      if (!code) throw new Error(`no pending device code ${userCode}: it expired, was used, or was never issued`);
      const user = mock.world.directory.tenants.find((t) => t.id === code.tenantId)?.users.find((u) => u.upn.toLowerCase() === upn.toLowerCase());
      if (!user) throw new Error(`no user ${upn} in the scenario`);
      if (!(await mock.runtime.devices.approve(code, user))) throw new Error(`device code ${userCode} is not pending any more: it was approved, declined or used meanwhile`);
    },
    signIn: (o) => client.signIn(o),
    clientCredentials: (o) => client.clientCredentials(o),
    federatedToken: async (o) => {
      const name = o.issuer ?? 'k8s';
      if (!isBuiltinIssuer(name)) throw new Error(`no built-in issuer '${String(name)}': use one of ${BUILTIN_ISSUERS.join(', ')}`);
      // The funnel (and SAML's XML stack behind it) loads on first use, not with the server.
      const [{ mintFederatedToken }, key] = await Promise.all([import('./issuers/mint.js'), mock.runtime.issuerKey(keys.certsDir, name)]);
      return mintFederatedToken(origin, key, o).token;
    },
    issuerUrl: (name = 'k8s') => builtinIssuer(origin, name),
    // On the listener's own origin: in the as-Microsoft mode, the login origin is Microsoft's, which an app's managed identity credential does not go to.
    managedIdentityEnv: () => managedIdentityEnv(asMicrosoft ? localUrl : origin, mock.identityHeader),
    stop: async () => {
      watcher?.close();
      // The proxy first: its tunnels into the HTTPS listener close with it.
      await proxy?.close();
      await listening.close();
      mock.replica?.stop();
      await store.close();
    },
  };
}
