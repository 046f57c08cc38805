/**
 * The start-up fast path parses `serve …` exactly as yargs does, or leaves it to yargs: for each
 * command line (and MOCK_ENTRA_* environment), either fastServeArgs() declines, or its answer is
 * what yargs gives serve's handler.
 */
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { SERVE_ENV_PREFIX, SERVE_OPTIONS, type ServeArgs } from '../../src/cli/commands/serve.js';
import { fastServeArgs } from '../../src/cli/fast.js';

const KEYS = Object.keys(SERVE_OPTIONS);

/** What serve's handler gets from yargs (its own option keys only), or the error yargs refuses with. */
function viaYargs(argv: string[], env: Record<string, string>): Partial<ServeArgs> | Error {
  const ours = () => Object.keys(process.env).filter((k) => k.startsWith(`${SERVE_ENV_PREFIX}_`));
  const saved = Object.fromEntries(ours().map((k) => [k, process.env[k]]));
  for (const k of ours()) delete process.env[k];
  Object.assign(process.env, env);
  try {
    let got: Record<string, unknown> | undefined;
    yargs()
      .command('serve', '', (y) => y.env(SERVE_ENV_PREFIX).options(SERVE_OPTIONS), (a) => {
        got = a as Record<string, unknown>;
      })
      .strict()
      .exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .parseSync(argv);
    return Object.fromEntries(KEYS.filter((k) => got![k] !== undefined).map((k) => [k, got![k]])) as Partial<ServeArgs>;
  } catch (err) {
    return err as Error;
  } finally {
    for (const k of ours()) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

const taken: Array<[string[], Record<string, string>]> = [
  [['serve'], {}],
  [['serve', '--port', '9443'], {}],
  [['serve', '-p', '0', '--certs-dir', '/tmp/x', '--log-format', 'json'], {}],
  [['serve', '--port=9443', '--host=0.0.0.0', '--no-tls'], {}],
  [['serve', '-s', 'first-test-failure', '--hostname', 'idp.test', '--hostname', 'login.example.test'], {}],
  [['serve', '--public-url', 'https://idp.example.test:9443', '--admin-token-file', '/run/secrets/token'], {}],
  [['serve', '--tls'], {}],
  [['serve'], { MOCK_ENTRA_PORT: '9443', MOCK_ENTRA_PUBLIC_URL: 'https://idp.test', MOCK_ENTRA_ADMIN_TOKEN: 's3cret' }],
  [['serve', '--port', '7443'], { MOCK_ENTRA_PORT: '9443', MOCK_ENTRA_CERTS_DIR: '/certs', MOCK_ENTRA_LOG_FORMAT: 'json' }],
  [['serve', '--as-microsoft', '--port', '443', '--host', '127.0.0.42'], {}],
  [['serve', '--no-as-microsoft', '--no-tls'], {}],
  [['serve'], { MOCK_ENTRA_AS_MICROSOFT: 'true' }],
  [['serve', '--port', '443'], { MOCK_ENTRA_AS_MICROSOFT: 'false' }],
  [['serve', '--no-as-microsoft'], { MOCK_ENTRA_AS_MICROSOFT: 'true' }],
  [['serve', '--identity-header', 'f0e1d2c3-b4a5-4697-8877-665544332211'], {}],
  [['serve'], { MOCK_ENTRA_IDENTITY_HEADER: 'f0e1d2c3-b4a5-4697-8877-665544332211' }],
  [['serve', '--proxy', '8080'], {}],
  [['serve', '--proxy=0', '-p', '9443'], {}],
  [['serve'], { MOCK_ENTRA_PROXY: '3128' }],
  [['serve', '--watch', '-s', 'my.yaml'], {}],
  [['serve', '--no-watch'], { MOCK_ENTRA_WATCH: 'true' }],
  [['serve'], { MOCK_ENTRA_WATCH: 'true' }],
  [['serve', '--proxy', '8081'], { MOCK_ENTRA_PROXY: '3128' }],
];

const declined: Array<[string[], Record<string, string>]> = [
  [['serve', '--help'], {}],
  [['serve', '-h'], {}],
  [['serve', '--version'], {}],
  [['token', '-u', 'ada@contoso.onmicrosoft.com'], {}],
  [['serve', '--port', 'abc'], {}],
  [['serve', '--port', '0x20'], {}],
  [['serve', '--log-format', 'silent'], {}],
  [['serve', '--bogus'], {}],
  [['serve', 'extra'], {}],
  [['serve', '--certsDir', '/tmp/x'], {}],
  [['serve', '--tls', '--no-tls'], {}],
  [['serve', '--tls=false'], {}],
  [['serve', '--port'], {}],
  [['serve', '--', '--port', '1'], {}],
  [['serve'], { MOCK_ENTRA_TLS: 'false' }],
  [['serve'], { MOCK_ENTRA_HOSTNAME: 'idp.test' }],
  [['serve'], { MOCK_ENTRA_PORTT: '1' }],
  [['serve'], { MOCK_ENTRA_LOG_FORMAT: 'xml' }],
  [['serve', '--as-microsoft', '--no-as-microsoft'], {}],
  [['serve', '--as-microsoft=true'], {}],
  [['serve'], { MOCK_ENTRA_AS_MICROSOFT: 'yes' }],
  [['serve', '--proxy'], {}],
  [['serve', '--proxy', 'abc'], {}],
  [['serve', '--proxy', '1e3'], {}],
  [['serve'], { MOCK_ENTRA_PROXY: '0x50' }],
  [['serve', '--watch', '--watch'], {}],
  [['serve'], { MOCK_ENTRA_WATCH: '1' }],
];

describe('the serve fast path', () => {
  for (const [argv, env] of taken) {
    it(`takes ${argv.join(' ')} ${JSON.stringify(env)} and parses it as yargs does`, () => {
      const fast = fastServeArgs(argv, env);
      expect(fast).toBeDefined();
      expect(fast).toEqual(viaYargs(argv, env));
    });
  }
  for (const [argv, env] of declined) {
    it(`leaves ${argv.join(' ')} ${JSON.stringify(env)} to yargs`, () => {
      expect(fastServeArgs(argv, env)).toBeUndefined();
    });
  }
});
