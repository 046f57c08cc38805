/**
 * The start-up fast path: a plain `mock-entra serve …` is parsed with node:util from the same
 * option table yargs reads (SERVE_OPTIONS), so the server starts without loading yargs (about a
 * tenth of a cold start). Anything this parser is not sure of — help, version, another command,
 * an unknown or repeated option, a value yargs would refuse or coerce, an unusual
 * MOCK_ENTRA_* variable — is left to yargs (undefined), which answers it as it always has.
 * test/cli/fast.test.ts checks that both parsers agree wherever this one answers.
 */
import { parseArgs } from 'node:util';
import { SERVE_ENV_PREFIX, SERVE_OPTIONS, type ServeArgs } from './commands/serve.js';

type OptionName = keyof typeof SERVE_OPTIONS;
const NAMES = Object.keys(SERVE_OPTIONS) as OptionName[];
const envName = (name: string) => `${SERVE_ENV_PREFIX}_${name.toUpperCase().replace(/-/g, '_')}`;
const KNOWN_ENV = new Set(NAMES.map(envName));
/** The table as node:util reads it: every value a string (numbers and choices are checked below); tls apart. */
const PARSE_OPTIONS = Object.fromEntries(
  NAMES.filter((n) => n !== 'tls').map((n) => {
    const o = SERVE_OPTIONS[n] as { alias?: string; array?: boolean };
    return [n, { type: 'string' as const, ...(o.alias ? { short: o.alias } : {}), ...(o.array ? { multiple: true } : {}) }];
  }),
);
/** yargs' number parsing accepts more (hex, exponents, blanks): only plain port numbers are taken here. */
const PORT = /^(0|[1-9]\d{0,4})$/;

/** serve's arguments exactly as yargs would give them, or undefined when yargs should decide. */
export function fastServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ServeArgs | undefined {
  if (argv[0] !== 'serve') return undefined;
  // --tls / --no-tls are the only boolean forms taken (parseArgs has no negation on Node 20).
  let tls: boolean | undefined;
  const rest: string[] = [];
  for (const a of argv.slice(1)) {
    if (a === '--tls' || a === '--no-tls') {
      if (tls !== undefined) return undefined;
      tls = a === '--tls';
    } else if (a === '--' || /^--(help|version)(=|$)|^-h$/.test(a)) {
      return undefined;
    } else {
      rest.push(a);
    }
  }
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      options: PARSE_OPTIONS,
    });
    values = parsed.values;
  } catch {
    return undefined;
  }
  // yargs takes the last of a repeated option; parseArgs too, but an empty value or "--port --host" shapes are yargs' to judge.
  if (Object.values(values).some((v) => v === '' || (typeof v === 'string' && v.startsWith('-')))) return undefined;
  for (const key of Object.keys(env)) if (key.startsWith(`${SERVE_ENV_PREFIX}_`) && !KNOWN_ENV.has(key)) return undefined;
  const fromEnv = (name: OptionName) => (env[envName(name)] === '' ? undefined : env[envName(name)]);
  // Booleans and lists from the environment: yargs' coercion rules are its own.
  if (fromEnv('tls') !== undefined || fromEnv('hostname') !== undefined) return undefined;
  const str = (name: Exclude<OptionName, 'tls' | 'hostname' | 'port' | 'proxy'>) => (values[name] as string | undefined) ?? fromEnv(name);
  const port = (values.port as string | undefined) ?? fromEnv('port');
  if (port !== undefined && !PORT.test(port)) return undefined;
  const proxy = (values.proxy as string | undefined) ?? fromEnv('proxy');
  if (proxy !== undefined && !PORT.test(proxy)) return undefined;
  const logFormat = str('log-format') ?? SERVE_OPTIONS['log-format'].default;
  if (!(SERVE_OPTIONS['log-format'].choices as readonly string[]).includes(logFormat)) return undefined;
  const publicUrl = str('public-url');
  const adminToken = str('admin-token');
  const adminTokenFile = str('admin-token-file');
  return {
    scenario: str('scenario') ?? SERVE_OPTIONS.scenario.default,
    port: port === undefined ? SERVE_OPTIONS.port.default : Number(port),
    host: str('host') ?? SERVE_OPTIONS.host.default,
    tls: tls ?? SERVE_OPTIONS.tls.default,
    'certs-dir': str('certs-dir') ?? SERVE_OPTIONS['certs-dir'].default,
    hostname: (values.hostname as string[] | undefined) ?? [...SERVE_OPTIONS.hostname.default],
    'log-format': logFormat as ServeArgs['log-format'],
    ...(publicUrl !== undefined ? { 'public-url': publicUrl } : {}),
    ...(adminToken !== undefined ? { 'admin-token': adminToken } : {}),
    ...(adminTokenFile !== undefined ? { 'admin-token-file': adminTokenFile } : {}),
    ...(proxy !== undefined ? { proxy: Number(proxy) } : {}),
  };
}
