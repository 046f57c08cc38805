// What bench/run.js and bench/soak.js share: launching a server as a child process and timing it
// to its first answer, an HTTP(S) client with a keep-alive pool, a browser-less sign-in (fresh
// cookie jar each time), a closed-loop load driver, statistics and the machine's facts.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createConnection, createServer } from 'node:net';
import { arch, cpus, loadavg, release, totalmem, type } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADA, API, WEB } from './ids.js';

export const ROOT = resolve(import.meta.dirname, '..');

/** A TCP port free on loopback right now (for a server whose address must be known before it starts). */
export function freePort() {
  // Below Linux's ephemeral range (32768-60999): port 0 hands out a port from that range, and any
  // outgoing loopback connection of a test running alongside may take it as its source port
  // before the server meant for it listens (EADDRINUSE). Picked at random, checked by binding it.
  const tryPort = (port) =>
    new Promise((ok, fail) => {
      const s = createServer().once('error', fail);
      s.listen(port, '127.0.0.1', () => {
        const { port: bound } = s.address();
        s.close(() => ok(bound));
      });
    });
  const attempt = async (left) => {
    if (left === 0) return tryPort(0);
    try {
      return await tryPort(20_000 + Math.floor(Math.random() * 12_000));
    } catch {
      return attempt(left - 1);
    }
  };
  return attempt(20);
}

/** Whether a Redis on the loopback port answers PING (one try, half a second at most). */
export function redisPing(port) {
  return new Promise((done) => {
    const s = createConnection({ host: '127.0.0.1', port });
    const end = (ok) => {
      s.destroy();
      done(ok);
    };
    s.setTimeout(500, () => end(false));
    s.once('error', () => end(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => end(d.toString().startsWith('+PONG')));
  });
}

/**
 * An HTTP(S) client trusting `ca`. `pool`: a keep-alive pool of that many sockets; without it,
 * every request opens its own connection. IPv4 only: the reference servers listen on 127.0.0.1,
 * and `localhost` stays the host name (the TLS certificate's, and the one in the mock's URLs).
 * Returns send(url, { method, headers, body, timeout }) -> { status, headers, body }; `count`
 * is the number of requests sent.
 */
export function httpClient({ ca, pool } = {}) {
  const agents = pool
    ? { 'https:': new HttpsAgent({ keepAlive: true, maxSockets: pool, ca }), 'http:': new HttpAgent({ keepAlive: true, maxSockets: pool }) }
    : { 'https:': false, 'http:': false };
  const client = {
    count: 0,
    send(url, { method = 'GET', headers = {}, body, timeout = 30_000 } = {}) {
      client.count++;
      const u = new URL(url);
      const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise((ok, fail) => {
        const req = request(u, { method, headers, agent: agents[u.protocol], ca, family: 4, timeout }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => ok({ status: res.statusCode, headers: res.headers, body: text }));
        });
        req.on('timeout', () => req.destroy(new Error(`timeout after ${timeout} ms: ${method} ${u.pathname}`))).on('error', fail).end(body);
      });
    },
    close() {
      for (const a of Object.values(agents)) if (a) a.destroy();
    },
  };
  return client;
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
/** The default scenario's web app asking for the sample API's token (client credentials). */
export const CLIENT_CREDENTIALS = new URLSearchParams({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: `${API.uri}/.default` }).toString();

/** A fresh browser's cookie jar (names and values; paths are not needed by these flows). */
class Jar {
  cookies = new Map();
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  store(setCookie = []) {
    for (const c of setCookie) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/**
 * Follows an authorize URL as a fresh browser would (a new cookie jar, redirects on the server's
 * origin) until a redirect leaves the server; returns that URL. Throws on a page or an error.
 */
export async function followToApp(client, start) {
  const jar = new Jar();
  const origin = new URL(start).origin;
  let url = start;
  for (let hop = 0; hop < 10; hop++) {
    const res = await client.send(url, { headers: jar.cookies.size ? { cookie: jar.header() } : {} });
    jar.store(res.headers['set-cookie']);
    const location = res.headers.location;
    if (res.status < 300 || res.status >= 400 || !location) {
      throw new Error(`the sign-in stopped at ${new URL(url).pathname} with ${res.status}: ${res.body.replace(/<style>[\s\S]*?<\/style>/g, '').slice(0, 300)}`);
    }
    const next = new URL(location, url);
    if (next.origin !== origin) return next;
    url = next.toString();
  }
  throw new Error(`too many redirects from ${start}`);
}

/** The code on the app's redirect URI, after checking it is the app's and carries `state`. */
export function codeFrom(redirect, state) {
  if (`${redirect.origin}${redirect.pathname}` !== WEB.redirectUri) throw new Error(`redirected to ${redirect.origin}${redirect.pathname}, not the app`);
  const code = redirect.searchParams.get('code');
  if (!code) throw new Error(`no code on the redirect: ${redirect.search.slice(0, 300)}`);
  if (redirect.searchParams.get('state') !== state) throw new Error('the redirect does not carry the state');
  return code;
}

/** A token response with an ID token and an access token (both JWTs); throws otherwise. */
export function checkTokens(res) {
  let body;
  try {
    body = JSON.parse(res.body);
  } catch {
    throw new Error(`token endpoint answered ${res.status}, not JSON: ${res.body.slice(0, 300)}`);
  }
  const jwt = /^[\w-]+\.[\w-]+\.[\w-]+$/;
  if (res.status !== 200 || !jwt.test(body.id_token ?? '') || !jwt.test(body.access_token ?? '')) {
    throw new Error(`token endpoint answered ${res.status} without an ID token and access token: ${res.body.slice(0, 300)}`);
  }
  return body;
}

/**
 * One sign-in of the default scenario's web app as a server-side web app does it: authorize with
 * login_hint (auto sign-in) -> the code on the redirect URI -> the code redeemed with the secret.
 */
export async function plainSignIn(client, base, tenantPath) {
  const state = Math.random().toString(36).slice(2);
  const query = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile', login_hint: ADA.upn, state });
  const code = codeFrom(await followToApp(client, `${base}${tenantPath}/oauth2/v2.0/authorize?${query}`), state);
  const body = new URLSearchParams({ grant_type: 'authorization_code', client_id: WEB.clientId, client_secret: WEB.secret, code, redirect_uri: WEB.redirectUri }).toString();
  return checkTokens(await client.send(`${base}${tenantPath}/oauth2/v2.0/token`, { method: 'POST', headers: FORM, body }));
}

export const live = new Set();

/**
 * CPU pinning for the throughput figures: the servers on one CPU, the load generator (this
 * process) on another, so a figure measures the server rather than the two competing for a core.
 * Off with BENCH_PIN=0, and where taskset or a second CPU is missing. Returns the servers' CPU.
 */
export function pinLoadGenerator() {
  if (process.env.BENCH_PIN === '0' || cpus().length < 2) return undefined;
  const r = spawnSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
  return r.status === 0 ? 1 : undefined;
}

/** Lets this process run on every CPU again. */
export function unpinLoadGenerator() {
  spawnSync('taskset', ['-cp', `0-${cpus().length - 1}`, String(process.pid)], { stdio: 'ignore' });
}
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * Spawns `node <argv>` with its output in `log`, and polls `readyUrl` (every 5 ms, each poll a new
 * connection, trusting the CA `ca()` returns then: the first start makes it) until it answers
 * 2xx: `ms` is spawn -> that answer. `nodeArgs` go before argv.
 */
export async function launch({ name, argv, nodeArgs = [], env, readyUrl, ca, log, timeoutMs = 30_000, cpu }) {
  const fd = openSync(log, 'w');
  const t0 = performance.now();
  const command = [process.execPath, ...nodeArgs, ...argv];
  // `cpu`: the server runs on that CPU only (taskset execs node, so the child's pid is node's).
  const [file, ...args] = cpu === undefined ? command : ['taskset', '-c', String(cpu), ...command];
  const child = spawn(file, args, { cwd: ROOT, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  closeSync(fd);
  live.add(child);
  child.once('exit', () => live.delete(child));
  for (;;) {
    const res = await httpClient({ ca: ca() }).send(readyUrl, { timeout: 5000 }).catch(() => undefined);
    if (res && res.status >= 200 && res.status < 300) break;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before answering ${readyUrl}:\n${tail(log)}`);
    if (performance.now() - t0 > timeoutMs) throw new Error(`${name} did not answer ${readyUrl} within ${timeoutMs / 1000} s:\n${tail(log)}`);
    await sleep(5);
  }
  return { child, ms: performance.now() - t0, log };
}

export async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(force);
}

/** Clock ticks per second of /proc's CPU times. */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** CPU seconds a process has used, all its threads together (libuv's pool included): user + system, from /proc (Linux). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name, which may itself hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/**
 * `load` on two servers at the same time, the two on the same CPU (pinned), so a change in the
 * machine's speed or a neighbour's burst lands on both. `load(server, seconds)` resolves to
 * { ok, seconds }; each side gets its answers per CPU second it used (all its threads: /proc):
 * what it answers per second when it has a core to itself, unmoved by how the scheduler shares it.
 */
export async function sideBySide(load, mock, ref, seconds) {
  const before = [cpuSeconds(mock.child.pid), cpuSeconds(ref.child.pid)];
  const [m, b] = await Promise.all([load(mock, seconds), load(ref, seconds)]);
  const after = [cpuSeconds(mock.child.pid), cpuSeconds(ref.child.pid)];
  for (const [x, i] of [[m, 0], [b, 1]]) {
    x.cpuSeconds = after[i] - before[i];
    x.perSec = x.ok / x.seconds;
    x.perCpuSecond = x.cpuSeconds > 0 ? x.ok / x.cpuSeconds : Number.NaN;
  }
  return [m, b];
}

export const tail = (file, lines = 15) => readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
export const rssMb = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
export const logFile = (dir, name) => join(dir, `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.log`);

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median and range of a series (one value per round). */
export const spread = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values), values });

/**
 * Closed-loop load: `concurrency` workers each run `op()` again and again, until `seconds` have
 * passed or `until()` says stop. Returns completed ops per second, latency percentiles (ms), the
 * error count and the first few errors.
 */
export async function drive({ concurrency, seconds = Infinity, until = () => false, op }) {
  const deadline = performance.now() + seconds * 1000;
  const ms = [];
  const errors = [];
  let errorCount = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline && !until()) {
      const t = performance.now();
      try {
        await op();
        ms.push(performance.now() - t);
      } catch (err) {
        errorCount++;
        if (errors.length < 3) errors.push(err.message);
      }
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  return { perSec: ms.length / elapsed, done: ms.length, errors: errorCount, firstErrors: errors, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), seconds: elapsed };
}

/** The machine the figures come from. */
export function machine() {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    ramGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${type()} ${release()} ${arch()}`,
    date: new Date().toISOString(),
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
