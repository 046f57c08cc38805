#!/usr/bin/env node
/**
 * The mock-entra command line (run.ts). A plain `serve …` takes the fast path (fast.ts): the
 * server starts without loading yargs. serve keeps the process alive through its server until
 * SIGINT or SIGTERM.
 */
import * as nodeModule from 'node:module';
import { serve } from './commands/serve.js';
import { exitCodeFor, processIo } from './common.js';
import { fastServeArgs } from './fast.js';

// Node 22+: compiled code is kept on disk (Node's compile cache, in the OS temp directory), so later starts compile less.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const argv = process.argv.slice(2);
const args = fastServeArgs(argv, process.env);
if (args) {
  process.exitCode = await serve(args, processIo).then(
    () => 0,
    (err: unknown) => exitCodeFor(err, processIo),
  );
} else {
  const { runCli } = await import('./run.js');
  process.exitCode = await runCli(argv);
}
