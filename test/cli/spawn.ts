/** Runs the built CLI (dist/cli/main.js, built by `npm test`) as a user would. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { type Ran, type RunOptions, runProcess } from '../helpers/process.js';

export const MAIN = resolve('dist/cli/main.js');

export type { Ran } from '../helpers/process.js';

/**
 * `mock-entra …` to completion. Asynchronous on purpose: a blocked event loop (spawnSync) keeps
 * fetch from noticing that a server closed an idle keep-alive connection, and the next request fails.
 */
export function run(args: string[], opts: Omit<RunOptions, 'timeoutMs' | 'input'> = {}): Promise<Ran> {
  return runProcess(process.execPath, [MAIN, ...args], { ...opts, timeoutMs: 30_000 });
}

export interface Served {
  url: string;
  child: ChildProcessWithoutNullStreams;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM (or the signal given), then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `mock-entra serve --port 0 --log-format json …`; resolves with the URL from its "listening" line. */
export async function serve(args: string[], opts: { env?: NodeJS.ProcessEnv; bin?: string[] } = {}): Promise<Served> {
  const cmd = opts.bin ?? [process.execPath, MAIN];
  const child = spawn(cmd[0]!, [...cmd.slice(1), 'serve', '--port', '0', '--log-format', 'json', ...args], { env: opts.env ?? process.env });
  let out = '';
  let err = '';
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no listening line after 20 s: ${out}${err}`)), 20_000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`serve exited with ${code}: ${err}`));
    });
  });
  return {
    url,
    child,
    output: () => out + err,
    stop: (signal = 'SIGTERM') =>
      new Promise((res) => {
        if (child.exitCode !== null) return res(child.exitCode);
        child.once('exit', (code) => res(code));
        child.kill(signal);
      }),
  };
}
