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
/** serve's boolean options: taken as --x / --no-x only, by hand (parseArgs has no negation on Node 20). */
const FLAGS = ['tls', 'as-microsoft', 'watch'] as const;
type Flag = (typeof FLAGS)[number];
const isFlag = (n: string): n is Flag => (FLAGS as readonly string[]).includes(n);
/** The table as node:util reads it: every value a string (numbers and choices are checked below); the flags apart. */
const PARSE_OPTIONS = Object.fromEntries(
  NAMES.filter((n) => !isFlag(n)).map((n) => {
    const o = SERVE_OPTIONS[n] as { alias?: string; array?: boolean };
    return [n, { type: 'string' as const, ...(o.alias ? { short: o.alias } : {}), ...(o.array ? { multiple: true } : {}) }];
  }),
);
/** yargs' number parsing accepts more (hex, exponents, blanks): only plain port numbers are taken here. */
const PORT = /^(0|[1-9]\d{0,4})$/;

/** serve's arguments exactly as yargs would give them, or undefined when yargs should decide. */
export function fastServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv): ServeArgs | undefined {
  if (argv[0] !== 'serve') return undefined;
  // --x / --no-x are the only boolean forms taken (parseArgs has no negation on Node 20).
  const flags: Partial<Record<Flag, boolean>> = {};
  const rest: string[] = [];
  for (const a of argv.slice(1)) {
    const flag = /^--(no-)?([a-z-]+)$/.exec(a);
    if (flag && isFlag(flag[2]!)) {
      const name = flag[2] as Flag;
      if (flags[name] !== undefined) return undefined;
      flags[name] = !flag[1];
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
  // Lists and booleans from the environment: yargs' coercion rules are its own (bar a plain true or false).
  if (fromEnv('tls') !== undefined || fromEnv('hostname') !== undefined) return undefined;
  const asMicrosoftEnv = fromEnv('as-microsoft');
  if (asMicrosoftEnv !== undefined && asMicrosoftEnv !== 'true' && asMicrosoftEnv !== 'false') return undefined;
  const watchEnv = fromEnv('watch');
  if (watchEnv !== undefined && watchEnv !== 'true' && watchEnv !== 'false') return undefined;
  const str = (name: Exclude<OptionName, Flag | 'hostname' | 'port' | 'proxy'>) => (values[name] as string | undefined) ?? fromEnv(name);
  const port = (values.port as string | undefined) ?? fromEnv('port');
  if (port !== undefined && !PORT.test(port)) return undefined;
  const proxy = (values.proxy as string | undefined) ?? fromEnv('proxy');
  if (proxy !== undefined && !PORT.test(proxy)) return undefined;
  const logFormat = str('log-format') ?? SERVE_OPTIONS['log-format'].default;
  if (!(SERVE_OPTIONS['log-format'].choices as readonly string[]).includes(logFormat)) return undefined;
  const publicUrl = str('public-url');
  const adminToken = str('admin-token');
  const adminTokenFile = str('admin-token-file');
  const identityHeader = str('identity-header');
  const store = str('store');
  return {
    scenario: str('scenario') ?? SERVE_OPTIONS.scenario.default,
    port: port === undefined ? SERVE_OPTIONS.port.default : Number(port),
    host: str('host') ?? SERVE_OPTIONS.host.default,
    tls: flags.tls ?? SERVE_OPTIONS.tls.default,
    'as-microsoft': flags['as-microsoft'] ?? (asMicrosoftEnv === undefined ? SERVE_OPTIONS['as-microsoft'].default : asMicrosoftEnv === 'true'),
    watch: flags.watch ?? (watchEnv === undefined ? SERVE_OPTIONS.watch.default : watchEnv === 'true'),
    'certs-dir': str('certs-dir') ?? SERVE_OPTIONS['certs-dir'].default,
    hostname: (values.hostname as string[] | undefined) ?? [...SERVE_OPTIONS.hostname.default],
    'log-format': logFormat as ServeArgs['log-format'],
    ...(publicUrl !== undefined ? { 'public-url': publicUrl } : {}),
    ...(adminToken !== undefined ? { 'admin-token': adminToken } : {}),
    ...(adminTokenFile !== undefined ? { 'admin-token-file': adminTokenFile } : {}),
    ...(identityHeader !== undefined ? { 'identity-header': identityHeader } : {}),
    ...(store !== undefined ? { store } : {}),
    ...(proxy !== undefined ? { proxy: Number(proxy) } : {}),
  };
}
