#!/usr/bin/env node
/** The mock-entra command line (run.ts). serve keeps the process alive through its server until SIGINT or SIGTERM. */
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2));
