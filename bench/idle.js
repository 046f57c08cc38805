// `node bench/idle.js`: what an idle gap does to the client-credentials figure (not part of
// `npm run bench`; the reason bench/run.js runs each figure's rounds back to back). The mock and
// the node:https + jose reference, pinned side by side as in bench/run.js, are loaded until warm
// (IDLE_WARM 2 s windows), then left idle for each of IDLE_S (comma list of seconds, default 150),
// then measured again: one 1 s window, then four 5 s windows. Each window prints mock / reference
// in answers per CPU second. NODE_ARGS (space-separated) go to the mock's node, e.g.
// NODE_ARGS=--no-memory-reducer (V8's memory reducer is what makes the first seconds back read low).
import autocannon from 'autocannon';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TENANT } from './ids.js';
import { CLIENT_CREDENTIALS, FORM, freePort, launch, logFile, pinLoadGenerator, sideBySide, stop } from './lib.js';

const tmp = await mkdtemp(join(tmpdir(), 'mock-entra-idle-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const certsDir = join(tmp, 'certs');
const ca = () => (existsSync(join(certsDir, 'ca.pem')) ? readFileSync(join(certsDir, 'ca.pem')) : undefined);
const discovery = `/${TENANT}/v2.0/.well-known/openid-configuration`;
const cpu = pinLoadGenerator();

async function up(name, argv, nodeArgs = []) {
  const port = await freePort();
  const s = await launch({ name, argv: argv(String(port)), nodeArgs, readyUrl: `https://localhost:${port}${discovery}`, ca, log: logFile(tmp, name), cpu });
  return { ...s, base: `https://127.0.0.1:${port}` };
}

const mock = await up('mock', (p) => ['dist/cli/main.js', 'serve', '--port', p, '--certs-dir', certsDir, '--log-format', 'json'], (process.env.NODE_ARGS ?? '').split(' ').filter(Boolean));
const jose = await up('jose', (p) => ['bench/baseline-server.js', p, certsDir]);
const load = async (s, seconds) => {
  const r = await autocannon({ url: `${s.base}/${TENANT}/oauth2/v2.0/token`, method: 'POST', headers: FORM, body: CLIENT_CREDENTIALS, connections: 32, duration: seconds, tlsOptions: { ca: ca(), servername: 'localhost' } });
  return { ok: r['2xx'], seconds: r.duration };
};

async function windows(label, n, seconds) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const [m, j] = await sideBySide(load, mock, jose, seconds);
    out.push((m.perCpuSecond / j.perCpuSecond).toFixed(2));
  }
  console.log(`${label}: ${out.join(' ')}`);
}

try {
  await windows('warm-up, 2 s windows', Math.max(1, Number(process.env.IDLE_WARM ?? 12)), 2);
  await windows('steady, 5 s windows', 3, 5);
  for (const idle of (process.env.IDLE_S ?? '150').split(',').map(Number)) {
    await sleep(idle * 1000);
    await windows(`after ${idle} s idle, the first second`, 1, 1);
    await windows('  then 5 s windows', 4, 5);
  }
} finally {
  await stop(mock.child);
  await stop(jose.child);
}
