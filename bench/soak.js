// Soak (issue 11, figure 3): does the mock's memory come back once a long mixed load stops? The
// built CLI serves HTTPS with bench/gc-hook.mjs preloaded (node --expose-gc); clients run, in
// turn, discovery, JWKS, client credentials, a full auth code sign-in (fresh cookie jar, login_hint,
// code redemption: four requests) and an SP-initiated SAML sign-in with its own AuthnRequest ID.
// After a warm-up (stores and heap at their working size: the provider keeps at most 5,000
// sessions and codes per tenant, and a sign-in is one operation in six, so the warm-up is 40 % of
// the load, enough sign-ins to fill those caps), the RSS is read after an idle second
// and after a forced GC; then SOAK_REQUESTS more requests; then both again. The goal: within 10 %
// of before, idle against idle and GC against GC (GC tells garbage from memory still held).
// Run by `npm run bench` (figure 3), or alone with `npm run bench:soak`.
// SOAK_REQUESTS (default 100000), SOAK_CONCURRENCY (64), SOAK_WARMUP_REQUESTS (40 % of SOAK_REQUESTS, at least 1000).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { deflateRawSync } from 'node:zlib';
import { ADA, TENANT } from './ids.js';
import { CLIENT_CREDENTIALS, drive, FORM, freePort, httpClient, launch, logFile, percentile, plainSignIn, ROOT, rssMb, stop, tail } from './lib.js';
import { SAML_APP } from './saml.js';

let samlSeq = 0;
const authnRequest = () =>
  deflateRawSync(Buffer.from(
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_soak${process.pid}x${++samlSeq}" Version="2.0" IssueInstant="${new Date().toISOString()}"` +
    ` AssertionConsumerServiceURL="${SAML_APP.acs}"><saml:Issuer>${SAML_APP.identifier}</saml:Issuer></samlp:AuthnRequest>`,
  )).toString('base64');

const json = (res, what) => {
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body);
};

/** The operations, each checked as a client would (a document's key field, a token, the POST form). */
const operations = {
  discovery: async (c, base) => {
    if (!json(await c.send(`${base}/${TENANT}/v2.0/.well-known/openid-configuration`), 'discovery').jwks_uri) throw new Error('discovery without jwks_uri');
  },
  jwks: async (c, base) => {
    if (!json(await c.send(`${base}/${TENANT}/discovery/v2.0/keys`), 'JWKS').keys?.length) throw new Error('JWKS without keys');
  },
  clientCredentials: async (c, base) => {
    if (!json(await c.send(`${base}/${TENANT}/oauth2/v2.0/token`, { method: 'POST', headers: FORM, body: CLIENT_CREDENTIALS }), 'client credentials').access_token) throw new Error('no access token');
  },
  signIn: (c, base) => plainSignIn(c, base, `/${TENANT}`),
  saml: async (c, base) => {
    const res = await c.send(`${base}/${TENANT}/saml2?${new URLSearchParams({ SAMLRequest: authnRequest(), RelayState: 'soak', login_hint: ADA.upn })}`);
    if (res.status !== 200 || !res.body.includes('name="SAMLResponse"')) throw new Error(`SAML: ${res.status} ${res.body.slice(0, 200)}`);
  },
};

/**
 * Runs the soak against a fresh `serve` (keys in certsDir, made there if missing) and returns the
 * request count, time, per-operation counts and latencies, and the RSS readings (MB).
 */
export async function soak({ requests, concurrency, warmupRequests = Math.max(1000, Math.round(requests * 0.4)), idleMs = 1000, certsDir, tmp, ca, say = () => {} }) {
  const port = await freePort();
  const base = `https://localhost:${port}`;
  const gcFile = join(tmp, `gc-${port}.json`);
  const server = await launch({
    name: 'mock (soak)',
    nodeArgs: ['--expose-gc', '--import', join(ROOT, 'bench/gc-hook.mjs')],
    argv: [join(ROOT, 'dist/cli/main.js'), 'serve', '--port', String(port), '--certs-dir', certsDir, '--log-format', 'json'],
    env: { BENCH_GC_FILE: gcFile },
    readyUrl: `${base}/${TENANT}/v2.0/.well-known/openid-configuration`,
    ca,
    log: logFile(tmp, 'soak'),
  });
  const pid = server.child.pid;
  async function gcRss() {
    rmSync(gcFile, { force: true });
    server.child.kill('SIGUSR2');
    for (let i = 0; i < 500; i++) {
      if (existsSync(gcFile)) {
        const answer = JSON.parse(readFileSync(gcFile, 'utf8'));
        return answer.gc ? { rss: answer.gcRssMb, heap: answer.heapUsedMb } : null;
      }
      await sleep(10);
    }
    throw new Error('the soak server did not answer SIGUSR2 (bench/gc-hook.mjs) within 5 s');
  }

  const client = httpClient({ ca: ca(), pool: concurrency });
  const names = Object.keys(operations);
  const stats = Object.fromEntries(names.map((n) => [n, { done: 0, errors: 0, ms: [] }]));
  let turn = 0;
  let record = false;
  const op = async () => {
    const name = names[turn++ % names.length];
    const t = performance.now();
    try {
      await operations[name](client, base);
      if (record) {
        stats[name].done++;
        stats[name].ms.push(performance.now() - t);
      }
    } catch (err) {
      if (record) stats[name].errors++;
      throw new Error(`${name}: ${err.message}`);
    }
  };
  try {
    say(`soak: warm-up, ${warmupRequests} requests ...`);
    const warmEnd = client.count + warmupRequests;
    const warm = await drive({ concurrency, until: () => client.count >= warmEnd, op });
    if (warm.errors) throw new Error(`the soak's warm-up failed ${warm.errors} times: ${warm.firstErrors.join(' | ')}`);
    await sleep(idleMs);
    const beforeIdle = rssMb(pid);
    const beforeGc = await gcRss();
    say(`soak: RSS ${beforeIdle.toFixed(1)} MB idle, ${beforeGc?.rss.toFixed(1) ?? '-'} MB after GC; ${requests} requests ...`);
    let peak = beforeIdle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 250);
    record = true;
    const start = client.count;
    const load = await drive({ concurrency, until: () => client.count - start >= requests, op });
    record = false;
    clearInterval(sampler);
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`the soak server exited during the load (${server.child.exitCode ?? server.child.signalCode}):\n${tail(server.log)}`);
    const sent = client.count - start;
    peak = Math.max(peak, rssMb(pid));
    await sleep(idleMs);
    const afterIdle = rssMb(pid);
    const afterGc = await gcRss();
    return {
      requests: sent,
      seconds: load.seconds,
      concurrency,
      errors: load.errors,
      firstErrors: load.firstErrors,
      operations: Object.fromEntries(names.map((n) => [n, { done: stats[n].done, errors: stats[n].errors, p50Ms: percentile(stats[n].ms, 50), p99Ms: percentile(stats[n].ms, 99) }])),
      rss: { beforeIdle, beforeGc: beforeGc?.rss ?? null, peak, afterIdle, afterGc: afterGc?.rss ?? null },
      // The live heap after GC (MB): what the process still holds, whatever the allocator keeps.
      heapAfterGc: beforeGc && afterGc ? { before: beforeGc.heap, after: afterGc.heap } : null,
    };
  } finally {
    client.close();
    await stop(server.child);
  }
}

// Alone (`npm run bench:soak`): its own keys, the figures on stdout, exit 1 when any request failed.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const tmp = await mkdtemp(join(tmpdir(), 'mock-entra-soak-'));
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  const certsDir = join(tmp, 'certs');
  let caPem;
  const ca = () => (caPem ??= existsSync(join(certsDir, 'ca.pem')) ? readFileSync(join(certsDir, 'ca.pem')) : undefined);
  const requests = Number(process.env.SOAK_REQUESTS ?? 100_000);
  const concurrency = Number(process.env.SOAK_CONCURRENCY ?? 64);
  const warmupRequests = process.env.SOAK_WARMUP_REQUESTS ? Number(process.env.SOAK_WARMUP_REQUESTS) : undefined;
  const s = await soak({ requests, concurrency, ...(warmupRequests !== undefined ? { warmupRequests } : {}), certsDir, tmp, ca, say: (m) => process.stderr.write(`${m}\n`) });
  console.log(`\noperation             done  errors  p50 (ms)  p99 (ms)`);
  for (const [n, o] of Object.entries(s.operations)) console.log(`${n.padEnd(18)} ${String(o.done).padStart(7)} ${String(o.errors).padStart(7)} ${o.p50Ms.toFixed(1).padStart(9)} ${o.p99Ms.toFixed(1).padStart(9)}`);
  const pct = (a, b) => `${((a / b - 1) * 100).toFixed(1)} %`;
  const { rss } = s;
  console.log(`\n${s.requests} requests in ${s.seconds.toFixed(1)} s at ${concurrency} clients`);
  console.log(`RSS after idle: before ${rss.beforeIdle.toFixed(1)} MB, after ${rss.afterIdle.toFixed(1)} MB (${pct(rss.afterIdle, rss.beforeIdle)}; goal within 10 %: ${rss.afterIdle <= rss.beforeIdle * 1.1 ? 'ok' : 'MISSED'}); peak ${rss.peak.toFixed(1)} MB`);
  if (rss.afterGc !== null) console.log(`RSS after GC:   before ${rss.beforeGc.toFixed(1)} MB, after ${rss.afterGc.toFixed(1)} MB (${pct(rss.afterGc, rss.beforeGc)}; goal within 10 %: ${rss.afterGc <= rss.beforeGc * 1.1 ? 'ok' : 'MISSED'})`);
  if (s.heapAfterGc) console.log(`live heap after GC: before ${s.heapAfterGc.before.toFixed(1)} MB, after ${s.heapAfterGc.after.toFixed(1)} MB`);
  console.log(`errors: ${s.errors}${s.firstErrors.length ? `\n  ${s.firstErrors.join('\n  ')}` : ''}`);
  process.exitCode = s.errors === 0 ? 0 : 1;
}
