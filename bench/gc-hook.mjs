// Preloaded into the server by bench/soak.js (node --expose-gc --import): on SIGUSR2 it collects
// garbage and prints the resident set size as one JSON line, so the soak can read RSS after GC.
import { readFileSync } from 'node:fs';

process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
  process.stdout.write(`${JSON.stringify({ gcRssMb: rss })}\n`);
});
