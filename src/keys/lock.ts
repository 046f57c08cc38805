// Cross-process lock on a certs directory (exclusive create of <dir>/.lock). Renaming single files
// is atomic, but a cert/key pair is two files, so two processes generating at once could mix halves.
//
// A lock left behind by a crashed process must not hold up the next start: its holder touches it
// every HEARTBEAT ms, so a lock whose owner is gone (same host: the pid is dead, or is our own pid
// but not one of our locks, as after a container restart) or that nobody touched for STALE_AFTER ms
// (another host, where pids mean nothing) is taken over at once.
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KeyFileError } from './errors.js';

const HEARTBEAT = 2_000;
const STALE_AFTER = 10_000;
const WAIT_AT_MOST = 120_000;

/** Nonces of the locks this process holds right now (a lock naming our pid but none of these is stale). */
const held = new Set<string>();

export async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.lock');
  const nonce = randomBytes(8).toString('hex');
  const content = `${process.pid}@${hostname()}\n${nonce}\n`;
  const deadline = Date.now() + WAIT_AT_MOST;
  for (;;) {
    try {
      await writeFile(lock, content, { flag: 'wx' });
      break;
    } catch (e) {
      if (errCode(e) !== 'EEXIST') throw e;
    }
    const stale = await staleLock(lock);
    if (stale !== undefined) await takeOver(lock, stale);
    else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}; delete it if no mock-entra is running`);
    else await new Promise((r) => setTimeout(r, 50));
  }
  held.add(nonce);
  const beat = setInterval(() => {
    const now = new Date();
    utimes(lock, now, now).catch(() => {});
  }, HEARTBEAT);
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    held.delete(nonce);
    // Only our own lock: if it was taken over meanwhile (we stalled past STALE_AFTER), leave theirs.
    const now = await readFile(lock, 'utf8').catch(() => undefined);
    if (now === content) await rm(lock, { force: true });
  }
}

/** The content of the lock if it is stale, else undefined (held, or already released). */
async function staleLock(lock: string): Promise<string | undefined> {
  let content: string;
  let age: number;
  try {
    const [c, info] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
    content = c;
    age = Date.now() - info.mtimeMs;
  } catch (e) {
    const code = errCode(e);
    if (code === 'ENOENT') return undefined; // released meanwhile: just retry
    if (code === 'EISDIR') throw new KeyFileError(lock, 'not-a-file', 'is a directory, not mock-entra\'s lock file', 'Delete it and start again', { cause: e });
    throw e;
  }
  const m = /^(\d+)@([^\n]*)(?:\n([0-9a-f]+))?/.exec(content);
  // Created but not written yet (or garbage): give the writer a moment, then take it.
  if (!m) return age > 1_000 ? content : undefined;
  const [, pid, host, nonce] = m;
  if (Number(pid) === process.pid && host === hostname()) return nonce !== undefined && held.has(nonce) ? undefined : content;
  if (age > STALE_AFTER) return content;
  if (host !== hostname()) return undefined;
  try {
    process.kill(Number(pid), 0);
    return undefined;
  } catch (e) {
    return errCode(e) === 'ESRCH' ? content : undefined; // EPERM: alive, someone else's
  }
}

/**
 * Removes a stale lock, but not one another waiter took over (and wrote anew) since we read it:
 * move it aside, look at what was moved, and put it back if it is not the stale one.
 */
async function takeOver(lock: string, stale: string): Promise<void> {
  const aside = `${lock}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(lock, aside);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return;
    throw e;
  }
  const moved = await readFile(aside, 'utf8').catch(() => stale);
  if (moved !== stale) await link(aside, lock).catch(() => {}); // EEXIST: a third one holds it now
  await rm(aside, { force: true });
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
