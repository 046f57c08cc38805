// Where a certs directory's key files live: on disk (this module), or in the Redis store
// (store/redis.ts), behind one interface (store/types.ts KeyFiles), so keys/store.ts reads, checks
// and makes keys the same way for both.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { KeyFiles } from '../store/types.js';
import { KeyFileError, unwritable } from './errors.js';
import { withLock } from './lock.js';

const GITIGNORE = '*\n!README.md\n!.gitignore\n';

/** The key files of a directory on disk: 0700 directory, private keys 0600, atomic writes, a lock file. */
export function diskKeyFiles(certsDir: string): KeyFiles {
  const dir = resolve(certsDir);
  return {
    dir,
    where: (file) => join(dir, file),
    async prepare() {
      await ensureDir(dir);
      // Before any key exists, so private keys can't be committed even if certsDir is inside a repo.
      // A read-only directory is refused later, and only if a key must be made there (keys/store.ts).
      await writeFile(join(dir, '.gitignore'), GITIGNORE, { flag: 'wx', mode: 0o644 }).catch((e: unknown) => {
        if (errCode(e) !== 'EEXIST' && unwritable(dir, e) === e) throw e;
      });
    },
    read: (file, fix) => readText(join(dir, file), fix),
    async writePair(name, certPem, keyPem) {
      await chmod(dir, 0o700).catch(() => {}); // a private key goes here: 0700, whatever the directory was made with
      // Key first: a reader that sees a key without its certificate treats the pair as not made yet.
      await writeAtomic(join(dir, `${name}-key.pem`), keyPem, 0o600);
      await writeAtomic(join(dir, `${name}.pem`), certPem, 0o644);
    },
    lock: (fn) => withLock(dir, fn),
  };
}

/** One file's text; undefined if it does not exist. Anything else that stops the read is the user's to fix. */
export async function readText(path: string, fix: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = errCode(e);
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') throw new KeyFileError(path, 'not-a-file', 'is a directory, not a file', `Move it away. ${fix}`, { cause: e });
    throw new KeyFileError(path, 'unreadable', `cannot be read (${code ?? (e as Error).message})`, `Check its permissions. ${fix}`, { cause: e });
  }
}

export async function ensureDir(dir: string): Promise<void> {
  try {
    // Mode for every directory made (the umask only takes bits away); chmod in case it took too many.
    if (await mkdir(dir, { recursive: true, mode: 0o700 })) await chmod(dir, 0o700);
  } catch (e) {
    const code = errCode(e);
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new KeyFileError(dir, 'not-a-file', 'is not a directory (it is where the keys are kept)', 'Move the file away, or choose another certs directory', { cause: e });
    }
    throw e;
  }
}

// Temp file in the same directory + rename, so readers never see a half-written file.
export async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await chmod(tmp, mode); // the umask may have taken more than asked
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
