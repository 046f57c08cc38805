/**
 * What the store tests share: a throwaway redis-server (/usr/bin/redis-server) on a free loopback
 * port, no persistence, in a directory of its own; stopped and started again on the same port for
 * the outage tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const HAVE_REDIS = existsSync(REDIS_SERVER);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Whether something answers PING on the port (one try, half a second at most). */
export function ping(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = createConnection({ host: '127.0.0.1', port });
    const end = (ok: boolean) => {
      s.destroy();
      done(ok);
    };
    s.setTimeout(500, () => end(false));
    s.once('error', () => end(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => end(d.toString().startsWith('+PONG')));
  });
}

export class TestRedis {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'mock-entra-test-redis-'));
  private constructor(readonly port: number) {}

  static async start(): Promise<TestRedis> {
    const r = new TestRedis(await freePort());
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** Starts redis-server (again, empty) on its port; resolves once it answers PING (bounded). */
  async up(): Promise<void> {
    this.child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], { stdio: 'ignore' });
    for (let i = 0; !(await ping(this.port)); i++) {
      if (this.child.exitCode !== null || i > 100) throw new Error(`redis-server did not answer PING on port ${this.port}`);
      await sleep(50);
    }
  }

  /** Stops it (SIGKILL, as a lost Redis goes); resolves once it exited. */
  async down(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((done) => {
      c.once('exit', () => done());
      c.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `check` until it holds, at most `tries` times `everyMs` apart (loopback only); returns the last value. */
export async function eventually<T>(check: () => Promise<T>, ok: (v: T) => boolean, tries = 100, everyMs = 50): Promise<T> {
  let v = await check();
  for (let i = 0; i < tries && !ok(v); i++) {
    await sleep(everyMs);
    v = await check();
  }
  return v;
}
