#!/usr/bin/env node
/**
 * The Docker image's HEALTHCHECK: asks the running `mock-entra serve` for `GET /health` where it
 * really listens. The port, host and TLS come from the server's own command line
 * (/proc/PID/cmdline) and the MOCK_ENTRA_* variables (the container's environment, which the
 * server has too), read by serve's own option table with yargs, as serve reads them; so
 * `docker run … -e MOCK_ENTRA_PORT=9443`, `… serve --port 9443 --no-tls` or `MOCK_ENTRA_TLS=false`
 * are checked on that port and scheme. A server without `/health` (404) is checked on its
 * discovery document instead.
 *
 * Usage: node docker/healthcheck.mjs [PID]. PID: the server's process; by default PID 1 when it
 * runs this image's dist/cli/main.js, else the first process that does (`docker run --init` puts
 * an init process at PID 1). Exit 0 healthy, 1 not (Docker's contract); one line on stdout or
 * stderr says why, which `docker inspect --format '{{json .State.Health}}'` shows.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
/** Docker's --timeout is 3 s: answer before it. */
const TIMEOUT_MS = 2500;

function fail(message) {
  process.stderr.write(`unhealthy: ${message}\n`);
  process.exit(1);
}

/** The arguments after dist/cli/main.js of process `pid`, or undefined when it does not run it. */
function serverArgs(pid) {
  let argv, cwd;
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
  const i = argv.findIndex((a) => resolve(cwd, a) === MAIN);
  return i < 0 ? undefined : argv.slice(i + 1);
}

function findServer() {
  if (process.argv[2]) {
    const args = serverArgs(process.argv[2]);
    return args ?? fail(`process ${process.argv[2]} is not running ${MAIN}`);
  }
  const first = serverArgs(1);
  if (first) return first;
  let pids = [];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).sort((a, b) => Number(a) - Number(b));
  } catch {
    // no /proc: nothing to find
  }
  for (const pid of pids) {
    const args = serverArgs(pid);
    if (args) return args;
  }
  return fail(`no process runs ${MAIN}: is the container's command \`serve\`?`);
}

const argv = findServer();
if (argv[0] !== 'serve') fail(`the container runs \`mock-entra ${argv.join(' ')}\`, not \`mock-entra serve\`: nothing to check`);

// serve's options exactly as serve reads them (the same table, the same MOCK_ENTRA_ prefix).
const [{ SERVE_ENV_PREFIX, SERVE_OPTIONS }, { default: yargs }] = await Promise.all([import('../dist/cli/commands/serve.js'), import('yargs')]);
const args = yargs(argv.slice(1)).env(SERVE_ENV_PREFIX).options(SERVE_OPTIONS).help(false).version(false).exitProcess(false).parseSync();
const port = Number(args.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`the server's port is ${String(args.port)}: give it a fixed --port (or MOCK_ENTRA_PORT) to check`);
// An address the server listens on, from inside the container: the wildcard addresses by loopback.
const host = { '0.0.0.0': '127.0.0.1', '::': '::1', '[::]': '::1', localhost: '127.0.0.1' }[args.host] ?? args.host;

/** GET path; resolves with the status and body. */
function get(path) {
  return new Promise((done, reject) => {
    const options = { host, port, path, timeout: TIMEOUT_MS, agent: false, headers: { accept: 'application/json' } };
    // Liveness, not trust: the untrusted-tls and wrong-host scenarios present certificates no CA
    // vouches for on purpose, and a client's trust in the CA is the tests' business.
    const req = args.tls ? httpsRequest({ ...options, rejectUnauthorized: false }) : httpRequest(options);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        if (body.length < 65536) body += d;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

const origin = `${args.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
try {
  const health = await get('/health');
  if (health.status === 200) {
    process.stdout.write(`healthy: ${origin}/health ${health.body.trim()}\n`);
    process.exit(0);
  }
  if (health.status !== 404) fail(`${origin}/health answered ${health.status}: ${health.body.slice(0, 200)}`);
  // A server from before /health: its discovery document instead.
  const discovery = await get('/common/v2.0/.well-known/openid-configuration');
  if (discovery.status !== 200) fail(`${origin}/common/v2.0/.well-known/openid-configuration answered ${discovery.status}`);
  process.stdout.write(`healthy: ${origin} serves discovery (no /health on this version)\n`);
  process.exit(0);
} catch (err) {
  fail(`${origin}: ${err instanceof Error ? err.message : String(err)} (the server listens on ${args.host}:${port}, TLS ${args.tls ? 'on' : 'off'})`);
}
