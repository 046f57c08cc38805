/**
 * What the store tests share: a throwaway redis-server (/usr/bin/redis-server) on a free loopback
 * port, no persistence, in a directory of its own; stopped and started again on the same port for
 * the outage tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockEntra } from '../../src/index.js';
import { ADA, TENANT_ID, WEB } from '../helpers/ids.js';

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

  /** Freezes it (SIGSTOP): connections stay open and nothing answers, as a hung Redis; `resume()` thaws it. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    this.resume();
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Where one instance listens itself (its `url` is the public one, shared by all). */
export const own = (idp: MockEntra): string => `https://localhost:${idp.port}`;

/** `url` (on the public origin) sent to `to` instead. */
export function on(to: MockEntra, url: string, publicUrl: string): string {
  return url.startsWith(publicUrl) ? `${own(to)}${url.slice(publicUrl.length)}` : url;
}

export const form = (o: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(o).toString(), signal: AbortSignal.timeout(10_000) });

/** A code for Ada from `idp`'s authorize endpoint (login_hint auto sign-in), with its PKCE verifier. */
export async function codeFrom(idp: MockEntra, redirectUri = WEB.redirectUri): Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const q = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'openid profile offline_access', login_hint: ADA.upn, state: 's', code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256' });
  const res = await fetch(`${own(idp)}/${TENANT_ID}/oauth2/v2.0/authorize?${q}`, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  const location = res.headers.get('location') ?? '';
  const code = new URL(location, own(idp)).searchParams.get('code');
  if (res.status !== 302 && res.status !== 303) throw new Error(`authorize answered ${res.status}: ${await res.text()}`);
  if (!code) throw new Error(`no code in ${location}`);
  return { code, verifier };
}

export function redeem(idp: MockEntra, c: { code: string; verifier: string }) {
  return fetch(`${own(idp)}/${TENANT_ID}/oauth2/v2.0/token`, form({ grant_type: 'authorization_code', client_id: WEB.clientId, client_secret: WEB.secret, code: c.code, redirect_uri: WEB.redirectUri, code_verifier: c.verifier }));
}

