// The one error the key store throws for anything the user must fix on disk. It is never "fixed"
// silently: a replaced CA or SAML certificate breaks trust that clients and SPs were given.

/** What is wrong with a file in the certs directory. */
export type KeyFileProblem =
  /** It exists but cannot be read (permissions, I/O). */
  | 'unreadable'
  /** A directory (or other non-file) where a key or certificate file belongs. */
  | 'not-a-file'
  /** Not a PEM certificate or private key that parses, or not the kind expected (a CA that is not a CA). */
  | 'damaged'
  /** The private key does not belong to the certificate beside it. */
  | 'mismatch'
  /** The certificate is there but its private key file is missing. */
  | 'incomplete'
  /** The local CA has expired (or is not valid yet). */
  | 'expired'
  /** A host name was asked for that the (name-constrained) local CA does not permit. */
  | 'not-permitted'
  /** The certs directory (or a file in it) cannot be made or written by this user (EACCES, EPERM, EROFS…), and something must be made there. */
  | 'unwritable';

/**
 * A key or certificate file in the certs directory that mock-entra will not use and will not
 * replace on its own. `message` names the file, what is wrong and the fix; the CLI prints it as
 * one line and exits 2, and start() rejects with it.
 */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  /** Absolute path of the file (or directory) at fault. */
  readonly file: string;
  readonly problem: KeyFileProblem;
  /** What to do about it, e.g. `mock-entra certs regenerate --yes --certs-dir …`. */
  readonly fix: string;

  constructor(file: string, problem: KeyFileProblem, detail: string, fix: string, options?: { cause?: unknown }) {
    super(`${file}: ${detail}. ${fix}`, options);
    this.file = file;
    this.problem = problem;
    this.fix = fix;
  }
}

/** `mock-entra certs regenerate --yes --certs-dir DIR [--hostname H …]`, quoted for a POSIX shell where needed. */
export function regenerateCommand(certsDir: string, hostnames: string[] = []): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return ['mock-entra certs regenerate --yes --certs-dir', q(certsDir), ...hostnames.map((h) => `--hostname ${q(h)}`)].join(' ');
}

/** The errors of a write the file system refused: permissions, a read-only mount, a full disk. */
const REFUSED_WRITE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT']);

/**
 * A refused write in the certs directory as KeyFileError ('unwritable'), naming the directory and
 * what to do; anything else as it is. Where a key must be made and cannot be, a user reads which
 * folder and why, not a stack trace (nor a port that cannot be listened on).
 */
export function unwritable(dir: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !REFUSED_WRITE.has(code) || e instanceof KeyFileError) return e;
  const who = typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
  const path = (e as NodeJS.ErrnoException).path;
  return new KeyFileError(
    dir,
    'unwritable',
    `cannot write the certs directory (${code}${path && path !== dir ? ` on ${path}` : ''}): the local CA, TLS and signing keys are made and kept there`,
    `Give a certs directory this user${who} can write: --certs-dir DIR (or MOCK_ENTRA_CERTS_DIR; certsDir in start()), or make this one writable${code === 'ENOSPC' || code === 'EDQUOT' ? ' (the disk is full)' : ''}`,
    { cause: e },
  );
}
