import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { MICROSOFT_HOSTNAMES } from '../../entra/urls.js';
import { portProblem } from '../../server/listen.js';
import { url } from '../../server/routes.js';
import type { WatchEvent } from '../../server/watch.js';
import { DEFAULT_SCENARIO, publicUrlProblem, start } from '../../start.js';
import { type CliIo, scenarioPath, UsageError } from '../common.js';

/**
 * serve's options, as data: yargs reads them (help, validation, MOCK_ENTRA_* variables), and so
 * does the start-up fast path (cli/fast.ts), which parses a plain `serve …` without loading yargs.
 */
export const SERVE_OPTIONS = {
  scenario: { alias: 's', type: 'string', default: DEFAULT_SCENARIO, defaultDescription: 'scenarios/default.yaml', describe: 'scenario file (YAML or JSON), or the name of a shipped one (mock-entra scenario list)' },
  port: { alias: 'p', type: 'number', default: 8443, describe: 'port to listen on (0: any free port)' },
  host: { type: 'string', default: 'localhost', describe: 'interface to bind (localhost = 127.0.0.1 and ::1)' },
  tls: { type: 'boolean', default: true, describe: 'serve HTTPS with the local CA (--no-tls: plain HTTP)' },
  'certs-dir': { type: 'string', default: 'certs', describe: 'where the CA, TLS and signing keys are kept' },
  hostname: { type: 'string', array: true, default: [] as string[], describe: 'extra host name for the TLS certificate' },
  'public-url': { type: 'string', describe: 'origin clients use, if not https://localhost:PORT' },
  'log-format': { choices: ['pretty', 'json'] as const, default: 'pretty' as const, describe: 'request log format' },
  'admin-token': {
    type: 'string',
    describe: 'the admin API (/_mock) and the dashboard then answer callers on any host that send Authorization: Bearer TOKEN (and only them); without it, loopback callers only. Visible in ps: prefer MOCK_ENTRA_ADMIN_TOKEN or --admin-token-file',
  },
  'admin-token-file': { type: 'string', describe: 'read the admin token from this file (its first line), so it does not show in ps' },
  'as-microsoft': {
    type: 'boolean',
    default: false,
    describe: 'answer as login.microsoftonline.com (and login.windows.net, login.microsoft.com), graph.microsoft.com and management.azure.com, with Entra\'s own URLs and issuers; reach it by name resolution on port 443 (hosts file, Compose alias) or a proxy; TLS from <certs-dir>/as-microsoft/ca.pem',
  },
  'identity-header': { type: 'string', describe: 'IDENTITY_HEADER that the App Service managed identity endpoint checks (default: a random GUID, printed at start); fix it when the app\'s environment is written before the mock starts (Compose)' },
  store: { type: 'string', describe: 'keep shared state in Redis, redis://host:port/db: instances with the same --store and --public-url act as one server (docs/redis.md); default: in memory' },
  watch: { type: 'boolean', default: false, describe: 'reload the scenario file (and the files it extends) when one changes; an edit that does not load keeps the running scenario, and its problem is printed and shown on the dashboard' },
  proxy: {
    type: 'number',
    describe: 'also listen on 127.0.0.1:PORT as an HTTP proxy (implies --as-microsoft): apps run with HTTPS_PROXY=http://127.0.0.1:PORT reach the mock at Microsoft\'s host names, other hosts are tunnelled untouched (docs/proxy.md)',
  },
} as const;

/** The environment prefix of serve's options (MOCK_ENTRA_PORT…). */
export const SERVE_ENV_PREFIX = 'MOCK_ENTRA';

export interface ServeArgs {
  scenario: string;
  port: number;
  host: string;
  tls: boolean;
  'certs-dir': string;
  hostname: string[];
  'public-url'?: string;
  'log-format': 'pretty' | 'json';
  'admin-token'?: string;
  'admin-token-file'?: string;
  'as-microsoft': boolean;
  'identity-header'?: string;
  store?: string;
  proxy?: number;
  watch: boolean;
}

/** Resolves on the first SIGINT or SIGTERM; a second one, while stopping, ends the process the default way. */
function stopRequested(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Serves until SIGINT or SIGTERM; the command (and runCli) ends once the server has stopped. */
export const serveCommand = (io: CliIo): CommandModule<object, ServeArgs> => ({
  command: 'serve',
  describe: 'Serve a scenario over HTTPS (OIDC endpoints in Entra\'s layout)',
  builder: (y) =>
    y
      // Every option also reads MOCK_ENTRA_<OPTION> (MOCK_ENTRA_PUBLIC_URL…): containers whose command
      // cannot be changed, such as GitHub Actions service containers, configure the server this way.
      .env(SERVE_ENV_PREFIX)
      .options(SERVE_OPTIONS)
      .example('$0 serve', 'serve scenarios/default.yaml at https://localhost:8443')
      .example('$0 serve -s first-test-failure', 'a shipped scenario, by name')
      .example('$0 serve -s my.yaml -p 9443 --hostname idp.test', 'your own scenario, another port and host name')
      .example('$0 serve --no-tls --port 8080', 'plain HTTP (MSAL refuses http authorities; openid-client allows it)')
      .example('MOCK_ENTRA_ADMIN_TOKEN=s3cret $0 serve --host 0.0.0.0', 'in a container: other hosts reach /_mock with the token')
      .example('sudo $0 serve --as-microsoft --port 443 --host 127.0.0.42', 'as login.microsoftonline.com for apps whose /etc/hosts maps Microsoft\'s names to 127.0.0.42')
      .example('$0 serve -s my.yaml --watch', 'edit my.yaml (or what it extends) and save: the server reloads it')
      .example('$0 serve --proxy 8080', 'apps run with HTTPS_PROXY=http://127.0.0.1:8080 and the CA trusted reach the mock as login.microsoftonline.com')
      .epilogue('Each option can also be set as MOCK_ENTRA_<OPTION>, e.g. MOCK_ENTRA_PORT=9443, MOCK_ENTRA_PUBLIC_URL, MOCK_ENTRA_ADMIN_TOKEN; options on the command line win.') as never,
  handler: (args) => serve(args, io),
});

/** Serves until SIGINT or SIGTERM; resolves once the server has stopped. Throws UsageError, ScenarioError, KeyFileError. */
export async function serve(args: ServeArgs, io: CliIo): Promise<void> {
  // Paths in messages are absolute, as the scenario loader and the key store print theirs.
  const scenario = resolve(scenarioPath(args.scenario));
  let adminToken = args['admin-token'];
  if (args['admin-token-file']) {
    const tokenFile = resolve(args['admin-token-file']);
    try {
      adminToken = readFileSync(args['admin-token-file'], 'utf8').split(/\r?\n/)[0]!.trim();
    } catch (err) {
      throw new UsageError(`cannot read --admin-token-file ${tokenFile} (${(err as NodeJS.ErrnoException).code ?? String(err)}): give a readable file whose first line is the token`);
    }
    if (!adminToken) throw new UsageError(`--admin-token-file ${tokenFile} is empty: write the token on its first line`);
  }
  if (args['as-microsoft'] && args['public-url']) throw new UsageError('--as-microsoft and --public-url exclude each other: as Microsoft, clients use https://login.microsoftonline.com. Drop --public-url.');
  if (args['as-microsoft'] && !args.tls) throw new UsageError('--as-microsoft needs TLS (clients reach https://login.microsoftonline.com): drop --no-tls.');
  const badPort = portProblem(args.port);
  if (badPort) {
    // yargs hands over a value that is not a number as NaN: say where it came from.
    const fromEnv = process.env[`${SERVE_ENV_PREFIX}_PORT`];
    const given = badPort === 'is not a number' ? `--port is not a number${fromEnv ? ` (${SERVE_ENV_PREFIX}_PORT is '${fromEnv}')` : ''}` : `--port ${badPort}`;
    throw new UsageError(`${given}: give a whole number from 1 to 65535, e.g. --port 8443 (0: any free port)`);
  }
  const badPublicUrl = args['public-url'] === undefined ? undefined : publicUrlProblem(args['public-url']);
  if (badPublicUrl) throw new UsageError(`--public-url ${badPublicUrl}`);
  const proxyPort = args.proxy;
  if (proxyPort !== undefined) {
    if (!Number.isInteger(proxyPort) || proxyPort < 0 || proxyPort > 65535) throw new UsageError(`--proxy ${proxyPort} is not a port: give a number from 1 to 65535 (0: any free port)`);
    if (proxyPort !== 0 && proxyPort === args.port) throw new UsageError(`--proxy ${proxyPort} is also the server's --port: give the proxy a port of its own (e.g. --proxy 8080)`);
    if (!args.tls) throw new UsageError('--proxy needs TLS (clients reach the mock with HTTPS through CONNECT): drop --no-tls');
  }
  // Listening before the signal handlers are in place: a signal that early ends the process the default way.
  const idp = await start({
    scenario,
    port: args.port,
    host: args.host,
    tls: args.tls,
    certsDir: args['certs-dir'],
    hostnames: args.hostname,
    publicUrl: args['public-url'],
    logFormat: args['log-format'],
    adminToken,
    asMicrosoft: args['as-microsoft'] || proxyPort !== undefined,
    identityHeader: args['identity-header'],
    ...(args.store ? { store: args.store } : {}),
    ...(proxyPort !== undefined ? { proxyPort } : {}),
    onKeyProgress: (m) => io.stderr(`mock-entra: ${m}\n`),
    ...(args.watch ? { watch: true, onWatch: (e: WatchEvent) => printWatch(e, args['log-format'], io) } : {}),
  }).catch((err: unknown) => {
    const { code, syscall } = err as NodeJS.ErrnoException;
    // Only the listen's own errors: an EACCES of the certs directory is a KeyFileError (keys/errors.ts).
    if (syscall === 'listen' && (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')) {
      // The proxy binds after the server: its port is the one refused when the server's was free.
      const which = proxyPort !== undefined && (err as { port?: number }).port === proxyPort && proxyPort !== args.port ? `127.0.0.1:${proxyPort} for --proxy` : `${args.host}:${args.port}`;
      throw new UsageError(`cannot listen on ${which} (${code}); choose another ${which.endsWith('--proxy') ? '--proxy port' : '--port or --host'}`);
    }
    throw err;
  });
  const stopped = stopRequested();
  const t = idp.directory.tenants[0]!;
  const lines = [
    `mock-entra serving ${scenario}`,
    `  url:       ${idp.url}`,
    `  tenant:    ${t.id} (${t.domain})`,
    `  discovery: ${url(idp.url, 'discovery.v2', { tenant: t.id })}`,
    ...(args.tls ? [`  CA:        ${idp.caCertPath}  (NODE_EXTRA_CA_CERTS=${idp.caCertPath})`] : []),
    ...(args.store ? [`  store:     ${args.store.replace(/\/\/[^@/]*@/, '//***@')}  (shared with every instance on it behind ${idp.url})`] : []),
    ...(idp.asMicrosoft
      ? [
          `  as Microsoft: answering as ${MICROSOFT_HOSTNAMES.join(', ')}`,
          `  dashboard: ${idp.localUrl}/`,
          `  reach it:  map those names to ${args.host === 'localhost' ? '127.0.0.1' : ['0.0.0.0', '::'].includes(args.host) ? "this machine's (or container's) address" : args.host} (hosts file, Compose alias) with --port 443, or use a forward proxy; trust the CA above (it permits only those names and loopback)`,
        ]
      : []),
    ...(idp.proxyUrl ? proxyLines(idp.proxyUrl, idp.caCertPath) : []),
    ...(args.watch ? [`  watching:  ${scenario} and what it extends: a save reloads it`] : []),
  ];
  // Managed identity (docs/managed-identity.md): the environment an app's credential finds the endpoints by.
  const mi = idp.managedIdentityEnv();
  if (t.managedIdentities.length) {
    lines.push(
      `  managed identity, App Service: IDENTITY_ENDPOINT=${mi.appService.IDENTITY_ENDPOINT} IDENTITY_HEADER=${mi.appService.IDENTITY_HEADER}`,
      `  managed identity, IMDS:        AZURE_POD_IDENTITY_AUTHORITY_HOST=${mi.imds.AZURE_POD_IDENTITY_AUTHORITY_HOST}`,
    );
  }
  if (args['log-format'] === 'json') io.stdout(`${JSON.stringify({ msg: 'listening', url: idp.url, tenantId: t.id, caCertPath: idp.caCertPath, ...(idp.asMicrosoft ? { localUrl: idp.localUrl, asMicrosoft: true } : {}), ...(idp.proxyUrl ? { proxyUrl: idp.proxyUrl } : {}), ...(t.managedIdentities.length ? { managedIdentity: mi } : {}) })}\n`);
  else io.stdout(`${lines.join('\n')}\n`);
  await stopped;
  await idp.stop();
}

/** serve --watch's reloads and failed edits: on stderr (pretty), or a JSON line on stdout (--log-format json). */
export function printWatch(e: WatchEvent, format: ServeArgs['log-format'], io: CliIo): void {
  const at = new Date().toISOString();
  if (format === 'json') {
    io.stdout(`${JSON.stringify(e.kind === 'reloaded' ? { time: at, msg: 'scenario reloaded', file: e.file, files: e.files, notes: e.notes } : { time: at, msg: 'scenario not reloaded', file: e.file, error: e.message, problems: e.problems })}\n`);
    return;
  }
  if (e.kind === 'reloaded') {
    const extra = e.files.length - 1;
    io.stderr(`mock-entra: ${at.slice(11, 19)} reloaded ${e.file}${extra > 0 ? ` (and the ${extra === 1 ? 'file' : `${extra} files`} it extends)` : ''}: new requests see it\n${e.notes.map((n) => `  ${n}\n`).join('')}`);
  } else {
    io.stderr(`mock-entra: ${at.slice(11, 19)} ${e.file}: ${e.message}${e.problems.map((p) => `\n  - ${p}`).join('')}\n  still serving the scenario from before this edit: fix the file and save (the dashboard shows this too)\n`);
  }
}

/** What `serve --proxy` prints: the environment an unmodified app needs, ready to paste. */
export function proxyLines(proxyUrl: string, caCertPath: string): string[] {
  return [
    `  proxy:     ${proxyUrl}  (loopback only; other hosts are tunnelled untouched)`,
    '  run the app under test with:',
    `    export HTTPS_PROXY=${proxyUrl} https_proxy=${proxyUrl}`,
    '    export NO_PROXY=localhost,127.0.0.1,::1 no_proxy=localhost,127.0.0.1,::1   # add hosts the app should reach directly',
    `    export NODE_EXTRA_CA_CERTS=${caCertPath}   # Node (adds to the built-in roots)`,
    `    export REQUESTS_CA_BUNDLE=${caCertPath} SSL_CERT_FILE=${caCertPath}   # Python requests / MSAL Python / az; OpenSSL (replaces the roots)`,
    '  (docs/proxy.md: which clients honour HTTPS_PROXY, and the CA bundle to use when the app also reaches other hosts)',
  ];
}
