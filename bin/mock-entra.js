#!/usr/bin/env node
/**
 * The package's bin: runs the command line, dist/cli/main.js. In a checkout of the repository it
 * first builds dist/ when src/ is newer, saying so (checkout.js); an installed package runs at once.
 */
import { fileURLToPath } from 'node:url';
import { buildIfStale } from './checkout.js';

const failed = buildIfStale(fileURLToPath(new URL('..', import.meta.url)));
if (failed !== undefined) process.exitCode = failed;
else await import('../dist/cli/main.js');
