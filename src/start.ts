/** start(): the programmatic front door used by tests, the CLI and the benchmarks. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Directory } from './directory/model.js';
import { v2Issuer } from './entra/urls.js';
import { loadAltTls, loadKeys } from './keys/store.js';
import { loadCompiledScenario, parseCompiledScenario, scenarioCacheDir } from './scenario/compiled.js';
import type { RuleInput, Scenario, ScenarioInput } from './scenario/schema.js';
import { parseRule } from './server/admin.js';
import { createApp } from './server/app.js';
import type { MockEvents } from './server/events.js';
import { listen } from './server/listen.js';
import type { LogFormat, RequestRecord } from './server/log.js';
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
   * Also listen on 127.0.0.1:proxyPort (0: any free port) as an HTTP forward proxy: apps run with
   * `HTTPS_PROXY=http://127.0.0.1:PORT` and the CA trusted reach the mock at its served host names
   * (the public URL's host and `hostnames`) on port 443; other hosts are tunnelled untouched. Needs TLS.
   * See docs/proxy.md.
   */
  proxyPort?: number;
}

/** How long a run-time rule added with `idp.use()` stays. */
export interface UseOptions {
  /** Fire once, then fall away (times: { first: 1 }). */
  once?: boolean;
}

/** A running mock Entra ID, as start() returns it. */
export interface MockEntra {
  /** Origin, e.g. https://localhost:53211 */
  url: string;
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
  /** Turns a named switch on (or off). */
  flip(name: string, on?: boolean): void;
  /** Switches to another scenario; an invalid one throws ScenarioError and the running one stays. */
  useScenario(scenario: string | ScenarioInput): Promise<void>;
  /** Recent requests, oldest first, with the AADSTS code and the rule that fired. */
  requests(): RequestRecord[];
  /** Signing-key rollover: the other published key signs from now on. Returns its index (1 or 2). */
  rotateKeys(): 1 | 2;
  /** Completes a pending device code as `user` (a UPN) would at /devicelogin. */
  approveDeviceCode(userCode: string, user: string): void;
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
  stop(): Promise<void>;
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
  const host = opts.host ?? 'localhost';
  const hostnames = [...(opts.hostnames ?? []), ...(opts.publicUrl ? [new URL(opts.publicUrl).hostname] : []), ...(host !== 'localhost' && !['0.0.0.0', '::'].includes(host) ? [host] : [])];
  const certsDir = resolve(opts.certsDir ?? 'certs');
  // The compiled-scenario cache lives in the certs directory; keys and scenario load side by side.
  const cacheDir = scenarioCacheDir(certsDir);
  // Both settle before either error is thrown, so a bad scenario never leaves key generation running behind it.
  const [keysLoad, scenarioLoad] = await Promise.allSettled([
    loadKeys({ certsDir, hostnames, ...(opts.onKeyProgress ? { onProgress: opts.onKeyProgress } : {}) }),
    typeof opts.scenario === 'object' ? parseCompiledScenario(opts.scenario, cacheDir) : loadCompiledScenario(opts.scenario ?? DEFAULT_SCENARIO, cacheDir),
  ]);
  if (scenarioLoad.status === 'rejected') throw scenarioLoad.reason;
  if (keysLoad.status === 'rejected') throw keysLoad.reason;
  const keys = keysLoad.value;
  const scenario = scenarioLoad.value;
  const listening = await listen({ host, port: opts.port ?? 0, tls: tls ? { key: keys.tls.keyPem, cert: keys.tls.certPem } : undefined });
  const listenHost = ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(host) ? 'localhost' : host;
  const origin = (opts.publicUrl ?? `${tls ? 'https' : 'http'}://${listenHost}:${listening.port}`).replace(/\/+$/, '');
  const source = typeof opts.scenario === 'object' ? '<inline>' : (opts.scenario ?? DEFAULT_SCENARIO);
  const mock = createApp({ origin, scenario, source, keys, logFormat: opts.logFormat ?? 'silent', adminToken: opts.adminToken });
  if (opts.onRequest) mock.events.on('request', opts.onRequest);
  const handle = mock.app.callback();
  listening.setHandler(handle);
  // The proxy answers for the public URL's host and the extra host names (the TLS certificate's names beyond loopback).
  let proxy: ProxyListening | undefined;
  if (opts.proxyPort !== undefined) {
    const served = [...(opts.hostnames ?? []), ...(opts.publicUrl ? [new URL(opts.publicUrl).hostname] : [])];
    proxy = await listenProxy({ port: opts.proxyPort, serves: servesNames(served), terminate: (s) => listening.accept(s), handle }).catch(async (err: unknown) => {
      await listening.close();
      throw err;
    });
  }
  // The untrusted-tls scenario swaps the certificate; any other goes back to the local CA's.
  const applyTls = async (s: Scenario) => {
    if (!tls) return;
    const kind = s.tls.certificate;
    const material = kind === 'trusted' ? { keyPem: keys.tls.keyPem, certPem: keys.tls.certPem } : await loadAltTls(keys.certsDir, kind);
    listening.setTls({ key: material.keyPem, cert: material.certPem });
  };
  if (scenario.tls.certificate !== 'trusted') await applyTls(scenario);
  mock.onSwitch = applyTls;
  const tenant = mock.world.directory.tenants[0]!;
  const client = testClient({ url: origin, tenantId: tenant.id, caCert: keys.caCertPem, directory: () => mock.world.directory });
  return {
    url: origin,
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
    flip: (name, on = true) => {
      if (!mock.world.faults.flip(name, on)) throw new Error(`no switch named '${name}' in the scenario`);
    },
    useScenario: async (next) => {
      await mock.switchTo(typeof next === 'object' ? () => parseCompiledScenario(next, cacheDir) : () => loadCompiledScenario(next, cacheDir), typeof next === 'object' ? '<inline>' : next);
    },
    requests: () => mock.recent(),
    rotateKeys: () => {
      const active = mock.world.scenario.keys.active === 1 ? 2 : 1;
      void mock.switchTo({ ...mock.world.scenario, keys: { active } }, mock.world.source);
      return active;
    },
    approveDeviceCode: (userCode, upn) => {
      const code = mock.runtime.devices.byUserCode(userCode);
      if (!code) throw new Error(`no pending device code ${userCode}`);
      const user = mock.world.directory.tenants.find((t) => t.id === code.tenantId)?.users.find((u) => u.upn.toLowerCase() === upn.toLowerCase());
      if (!user) throw new Error(`no user ${upn} in the scenario`);
      mock.runtime.devices.approve(code, user);
    },
    signIn: (o) => client.signIn(o),
    clientCredentials: (o) => client.clientCredentials(o),
    stop: async () => {
      // The proxy first: its tunnels into the HTTPS listener close with it.
      await proxy?.close();
      await listening.close();
    },
  };
}
