/** Runs the CLI in the test's own process (runCli from src/cli/run.ts), the way main.ts runs it. */
import { runCli } from '../../src/cli/run.js';
import type { Ran } from './spawn.js';

/** `mock-entra …args` to completion, with what it wrote to stdout and stderr. Not for a serve that starts: it runs until a signal. */
export async function cli(args: string[]): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { status, stdout, stderr };
}
