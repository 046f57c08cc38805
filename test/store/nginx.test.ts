/**
 * The topology of docs/examples/redis without Docker: redis-server, three instances on it, and
 * Debian's nginx in front with a config derived from docs/examples/redis/nginx.conf (the same
 * stream, upstream and proxy directives; its upstream, listen port, pid and log paths rewritten for
 * a throwaway prefix). Sign-ins through the balancer (bench/lib.js's, a new connection per
 * request) succeed while the requests land on different instances.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpClient, plainSignIn } from '../../bench/lib.js';
import { type MockEntra, start } from '../../src/index.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { TENANT_ID } from '../helpers/ids.js';
import { freePort, HAVE_REDIS, TestRedis } from './support.js';

const NGINX = '/usr/sbin/nginx';
const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';
const EXAMPLE = resolve('docs/examples/redis/nginx.conf');

/** The example's config for this run: its upstream's servers are the instances, it listens on `port`, everything else is as written. */
export function derivedConfig(example: string, o: { port: number; upstreams: number[]; dir: string }): string {
  const servers = /^(\s*)server mock:8443;.*$/m;
  const listen = /^(\s*)listen 8443;$/m;
  if (!servers.test(example) || !listen.test(example)) throw new Error(`${EXAMPLE} no longer has 'server mock:8443;' and 'listen 8443;': update this test with it`);
  const body = example.replace(servers, (_m, indent: string) => o.upstreams.map((p) => `${indent}server 127.0.0.1:${p};`).join('\n')).replace(listen, (_m, indent: string) => `${indent}listen 127.0.0.1:${o.port};`);
  return [`load_module ${STREAM_MODULE};`, 'daemon off;', `pid ${join(o.dir, 'nginx.pid')};`, `error_log ${join(o.dir, 'error.log')} notice;`, body].join('\n');
}

describe.skipIf(!HAVE_REDIS || !existsSync(NGINX) || !existsSync(STREAM_MODULE))('three instances on one Redis behind nginx (docs/examples/redis)', () => {
  let redis: TestRedis;
  let nginx: ChildProcess | undefined;
  let dir: string;
  let port: number;
  const instances: MockEntra[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start();
    port = await freePort();
    const publicUrl = `https://localhost:${port}`;
    for (let i = 0; i < 3; i++) instances.push(await start({ store: redis.url, certsDir: TEST_CERTS_DIR, publicUrl }));
    dir = mkdtempSync(join(tmpdir(), 'mock-entra-nginx-'));
    const conf = join(dir, 'nginx.conf');
    writeFileSync(conf, derivedConfig(readFileSync(EXAMPLE, 'utf8'), { port, upstreams: instances.map((i) => i.port), dir }));
    let output = '';
    nginx = spawn(NGINX, ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    // Bounded: nginx listens within a few seconds or the test fails with what it said.
    const client = httpClient();
    for (let i = 0; ; i++) {
      const up = await client.send(`${publicUrl}/${TENANT_ID}/v2.0/.well-known/openid-configuration`, { timeout: 2000 }).then((r) => r.status === 200, () => false);
      if (up) break;
      if (nginx.exitCode !== null || i > 100) throw new Error(`nginx did not start: ${output || readFileSync(join(dir, 'error.log'), 'utf8')}`);
      await sleep(50);
    }
  });
  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const n = nginx;
      await new Promise<void>((done) => {
        n.once('exit', () => done());
        n.kill('SIGTERM');
      });
    }
    await Promise.all(instances.map((i) => i.stop()));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sign-ins through the balancer succeed while their requests land on different instances', async () => {
    const seen = instances.map(() => [] as string[]);
    instances.forEach((idp, i) => idp.events.on('request', (r) => seen[i]!.push(`${r.method} ${r.path}`)));
    const client = httpClient(); // a new connection per request: nginx sends each to the next instance
    try {
      for (let i = 0; i < 6; i++) {
        const tokens = await plainSignIn(client, `https://localhost:${port}`, `/${TENANT_ID}`);
        const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
        expect(claims).toMatchObject({ iss: `https://localhost:${port}/${TENANT_ID}/v2.0`, preferred_username: 'ada@contoso.onmicrosoft.com' });
      }
    } finally {
      client.close();
    }
    // Every instance answered part of it: codes made on one were redeemed on another.
    const tokenRequests = seen.map((s) => s.filter((r) => r.endsWith('/oauth2/v2.0/token')).length);
    expect(tokenRequests.reduce((a, b) => a + b)).toBe(6);
    expect(seen.every((s) => s.length > 0)).toBe(true);
  });
});
