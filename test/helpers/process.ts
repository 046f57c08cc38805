/**
 * One way to run a program to completion from a test: asynchronously (the mock in this process
 * answers it meanwhile; spawnSync would block the event loop), output collected, bounded in time.
 */
import { spawn } from 'node:child_process';

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed after this long (default 60 s); status is then null. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed (default: closed at once). */
  input?: string;
  /** Run as this user and group (a test running as root checks what another user meets). */
  uid?: number;
  gid?: number;
}

export function runProcess(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, uid: opts.uid, gid: opts.gid });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
