// Preloaded into the server by bench/soak.js (node --expose-gc --import): on SIGUSR2 it collects
// garbage and writes the resident set size and the live heap as one JSON object to $BENCH_GC_FILE
// (stdout when unset), so the soak can tell garbage (gone after GC) from memory that is still held.
import { readFileSync, writeFileSync } from 'node:fs';

process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
  const line = `${JSON.stringify({ gcRssMb: rss, heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20, gc: typeof globalThis.gc === 'function' })}\n`;
  if (process.env.BENCH_GC_FILE) writeFileSync(process.env.BENCH_GC_FILE, line);
  else process.stdout.write(line);
});
