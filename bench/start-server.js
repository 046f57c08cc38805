// Cold start of the programmatic front door, for bench/run.js: import the built package and
// start() with the default scenario on a port, the keys cached in certsDir, as a test suite's
// global setup does. bench/run.js times spawn -> first discovery answer.
// Usage: node bench/start-server.js <port> <certsDir>
import { start } from '../dist/index.js';

const idp = await start({ port: Number(process.argv[2]), certsDir: process.argv[3] });
process.once('SIGTERM', () => idp.stop().then(() => process.exit(0)));
