import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeyFileError, loadKeys } from '../../src/keys/store.js';
import { templateCerts } from '../helpers/keys.js';
import { copyDir, freshDir } from './fixtures.js';

/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid;

/** What loading must make in oneKeyMissing(): loadKeys takes the lock to make it. */
const MISSING = 'signing-2.pem';

/** A certs directory with one key to make (token-signing key 2, the cheapest thing to make under the lock). */
function oneKeyMissing(): string {
  const dir = copyDir(templateCerts());
  fs.rmSync(path.join(dir, MISSING));
  fs.rmSync(path.join(dir, 'signing-2-key.pem'));
  return dir;
}

async function withStaleLock(content: string, ageMs = 0): Promise<string> {
  const dir = oneKeyMissing();
  const lock = path.join(dir, '.lock');
  fs.writeFileSync(lock, content);
  if (ageMs) fs.utimesSync(lock, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
  await loadKeys({ certsDir: dir });
  return dir;
}

// The test timeout (20 s) is the bound: before, each of these waited a minute.
describe('a .lock left behind', () => {
  it('by a process that is gone is taken over at once', async () => {
    const dir = await withStaleLock(`${deadPid()}@${os.hostname()}\n0123456789abcdef\n`);
    expect(fs.readdirSync(dir)).not.toContain('.lock');
    expect(fs.existsSync(path.join(dir, MISSING))).toBe(true);
  });

  it('in the old format (pid@host) by a process that is gone is taken over at once', async () => {
    await withStaleLock(`${deadPid()}@${os.hostname()}`);
  });

  it('naming our own pid but not held by us (a restarted container reuses pids) is taken over at once', async () => {
    await withStaleLock(`${process.pid}@${os.hostname()}\nfedcba9876543210\n`);
  });

  it('from another host, untouched for a while, is taken over at once', async () => {
    await withStaleLock(`1@some-other-container\n0011223344556677\n`, 30_000);
  });

  it('empty (its writer died before writing it) is taken over', async () => {
    await withStaleLock('', 5_000);
  });

  it('held by a live process is waited for, and taken once released', async () => {
    const dir = oneKeyMissing();
    const lock = path.join(dir, '.lock');
    fs.writeFileSync(lock, `${process.ppid}@${os.hostname()}\n00000000aaaaaaaa\n`);
    let done = false;
    const loading = loadKeys({ certsDir: dir }).then((k) => ((done = true), k));
    await new Promise((r) => setTimeout(r, 500));
    expect(done).toBe(false);
    expect(fs.existsSync(path.join(dir, MISSING))).toBe(false);
    fs.rmSync(lock);
    await loading;
    expect(fs.existsSync(path.join(dir, MISSING))).toBe(true);
  });

  it('that is a directory is a KeyFileError, not a hang', async () => {
    const dir = freshDir();
    fs.mkdirSync(path.join(dir, '.lock'));
    await expect(loadKeys({ certsDir: dir })).rejects.toBeInstanceOf(KeyFileError);
  });
});
