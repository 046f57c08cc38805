// Shared store (issue 15, figure 9): full sign-ins (login_hint -> code -> token, bench/lib.js
// plainSignIn) through 1, 2 and 3 instances on one Redis, against one instance keeping everything
// in memory, in one run. The Redis instances stand behind a round-robin TCP balancer (this
// process, beside the load generator) under one public URL, as replicas behind a load balancer
// are: a browser's keep-alive connections land on different instances, so a sign-in begun on one
// is often finished on another, and every code, session and interaction goes through Redis.
// The instances and redis-server share one CPU where the machine has two (the load generator and
// the balancer the other), so more instances do not add CPU: the figure that tells the store's
// cost is sign-ins per CPU second, all the instances' and Redis's CPU counted. Rounds take turns
// (memory, 1, 2, 3 instances, then again), each configuration measured for BENCH_SECONDS.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TENANT } from './ids.js';
import { cpuSeconds, drive, freePort, httpClient, launch, live, logFile, median, plainSignIn, redisPing, spread, stop } from './lib.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

/** A throwaway redis-server on a free loopback port, no persistence; resolves once it answers PING. */
async function startRedis(cpu) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mock-entra-bench-redis-'));
  const argv = [REDIS_SERVER, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const [file, ...args] = cpu === undefined ? argv : ['taskset', '-c', String(cpu), ...argv];
  const child = spawn(file, args, { stdio: 'ignore' });
  live.add(child);
  child.once('exit', () => {
    live.delete(child);
    rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; !(await redisPing(port)); i++) {
    if (child.exitCode !== null || i > 200) throw new Error(`redis-server did not answer PING on port ${port}`);
    await sleep(50);
  }
  return { child, port, url: `redis://127.0.0.1:${port}/0` };
}

/** A TCP round-robin balancer over `targets()` (ports), one instance per connection; TLS passes through. */
async function balancer(targets) {
  let next = 0;
  const sockets = new Set();
  const server = createServer((client) => {
    const ports = targets();
    const upstream = createConnection({ host: '127.0.0.1', port: ports[next++ % ports.length] });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const port = await freePort();
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  return {
    port,
    /** Drops every connection (a new configuration starts with fresh ones). */
    reset() {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise((ok) => server.close(ok)),
  };
}

/**
 * Figure 9's rows. `ctx`: { CFG, certsDir, ca, say, row, results, cpu (the servers' CPU or undefined) }.
 * Skipped, with a warning, when redis-server is not installed.
 */
export async function storeFigures({ CFG, certsDir, tmp, ca, say, row, results, cpu }) {
  const servers = [];
  let redis;
  let lb;
  try {
    redis = await startRedis(cpu);
    const instances = [];
    let active = 1;
    lb = await balancer(() => instances.slice(0, active).map((i) => i.port));
    const publicUrl = `https://localhost:${lb.port}`;
    const serve = async (name, extra) => {
      const port = await freePort();
      const s = await launch({
        name,
        argv: ['dist/cli/main.js', 'serve', '--port', String(port), '--certs-dir', certsDir, '--log-format', 'json', ...extra(port)],
        readyUrl: `https://localhost:${port}/${TENANT}/v2.0/.well-known/openid-configuration`,
        ca,
        log: logFile(tmp, name),
        cpu,
      });
      servers.push(s);
      return { ...s, port };
    };
    const memory = await serve('memory', () => []);
    for (let i = 0; i < 3; i++) instances.push(await serve(`redis-${i + 1}`, () => ['--store', redis.url, '--public-url', publicUrl]));
    say(`store: redis-server on ${redis.port}, 3 instances behind the balancer at ${publicUrl}`);

    const configs = [
      { id: 'memory', label: '1 instance, in memory', base: `https://localhost:${memory.port}`, pids: () => [memory.child.pid], n: 0 },
      ...[1, 2, 3].map((n) => ({
        id: `redis${n}`,
        label: `${n} instance${n > 1 ? 's' : ''} on one Redis, load spread by a round-robin balancer`,
        base: publicUrl,
        pids: () => [...instances.slice(0, n).map((i) => i.child.pid), redis.child.pid],
        n,
      })),
    ];
    // Probe: a sign-in through three instances, so codes begun on one are redeemed on another.
    active = 3;
    {
      const client = httpClient({ ca: ca(), pool: 4 });
      try {
        for (let i = 0; i < 6; i++) await plainSignIn(client, publicUrl, `/${TENANT}`);
      } catch (err) {
        throw new Error(`store: a sign-in through three instances on one Redis failed: ${err.message}`);
      } finally {
        client.close();
      }
    }
    const runs = Object.fromEntries(configs.map((c) => [c.id, []]));
    for (let r = 0; r < CFG.rounds; r++) {
      for (const c of configs) {
        active = Math.max(1, c.n);
        lb.reset();
        const client = httpClient({ ca: ca(), pool: CFG.flows });
        try {
          const op = () => plainSignIn(client, c.base, `/${TENANT}`);
          await drive({ concurrency: CFG.flows, seconds: r === 0 ? CFG.warmupS : Math.min(CFG.warmupS, 1), op });
          const before = c.pids().map(cpuSeconds);
          const x = await drive({ concurrency: CFG.flows, seconds: CFG.seconds, op });
          const used = c.pids().map(cpuSeconds).reduce((sum, v, i) => sum + v - before[i], 0);
          const m = { perSec: x.done / x.seconds, perCpuSecond: used > 0 ? x.done / used : Number.NaN, p50Ms: x.p50Ms, p99Ms: x.p99Ms, errors: x.errors };
          runs[c.id].push(m);
          if (x.errors) results.warnings.push(`store ${c.id} round ${r + 1}: ${x.errors} failed sign-ins: ${x.firstErrors.join(' | ')}`);
          say(`store round ${r + 1}/${CFG.rounds} ${c.id}: ${m.perSec.toFixed(0)} sign-ins/s, ${m.perCpuSecond.toFixed(0)}/CPU s, p50 ${m.p50Ms.toFixed(0)} ms p99 ${m.p99Ms.toFixed(0)} ms`);
        } finally {
          client.close();
        }
      }
    }
    const mem = runs.memory.map((m) => m.perCpuSecond);
    for (const c of configs) {
      const cpuS = runs[c.id].map((m) => m.perCpuSecond);
      const ratio = spread(cpuS.map((v, i) => v / mem[i]));
      row({
        figure: 9, id: `store.${c.id}`, label: `sign-ins, ${c.label} (${CFG.flows} parallel; CPU of the instances${c.n ? ' and Redis' : ''})`, unit: '/CPU s',
        measured: { ...spread(cpuS), perSec: median(runs[c.id].map((m) => m.perSec)), p50Ms: median(runs[c.id].map((m) => m.p50Ms)), p99Ms: median(runs[c.id].map((m) => m.p99Ms)) },
        reference: { name: '1 instance, in memory', ...spread(mem) }, ratio: c.n ? ratio : null, goal: null,
      });
    }
  } finally {
    lb?.reset();
    await lb?.close();
    await Promise.all(servers.map((s) => stop(s.child)));
    if (redis) await stop(redis.child);
  }
}
