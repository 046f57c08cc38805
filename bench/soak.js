// Soak: many concurrent sign-ins (authorization code with login_hint, through the redirects and the
// code redemption) mixed with client credentials and SAML sign-ins, for a while, against the built
// server over loopback. Reports errors (must be 0), latency p50/p99 per flow, and the server's RSS
// before, right after, and after a forced GC (must come back within 10 % of before).
// Run with `npm run bench:soak` (also the last step of `npm run bench`).
// SOAK_SECONDS (default 60) and SOAK_CONCURRENCY (default 1000) change the load.
import { spawn } from 'node:child_process';
import { deflateRawSync } from 'node:zlib';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'node:http';

const ROOT = resolve(import.meta.dirname, '..');
const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 1000);
const TENANT = '4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36';
const WEB = { clientId: '2f6c9e1a-8b3d-4c7e-a5f0-1d2e3f4a5b6c', secret: 'sample-web-secret', redirectUri: 'http://localhost:3000/auth/callback' };
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One request over the keep-alive pool: status, headers (set-cookie as a list) and text. */
function send(url, { method = 'GET', form, cookie } = {}) {
  return new Promise((ok, fail) => {
    const body = form ? new URLSearchParams(form).toString() : undefined;
    const headers = { ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...(cookie ? { cookie } : {}) };
    const req = request(url, { method, agent, headers, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => ok({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', fail).end(body);
  });
}

const port = await new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => ok(p));
  });
});
const tmp = await mkdtemp(join(tmpdir(), 'mock-entra-soak-'));
const child = spawn(process.execPath, ['--expose-gc', '--import', join(ROOT, 'bench/gc-hook.mjs'), join(ROOT, 'dist/cli/main.js'), 'serve', '--no-tls', '--host', '127.0.0.1', '--port', String(port), '--certs-dir', join(tmp, 'certs'), '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'inherit'] });
process.on('exit', () => child.kill('SIGKILL'));
let out = '';
child.stdout.on('data', (d) => {
  out += d;
  if (out.length > 1e6) out = out.slice(-1e5);
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  if (i > 1000) throw new Error('server did not start in 10 s');
  if (out.includes('"listening"')) break;
  await sleep(10);
}
const rssMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024;
async function gcRss() {
  const before = out.length;
  child.kill('SIGUSR2');
  for (let i = 0; i < 300; i++) {
    const m = /\{"gcRssMb":([\d.]+)\}/.exec(out.slice(before));
    if (m) return Number(m[1]);
    await sleep(10);
  }
  throw new Error('no answer to SIGUSR2');
}

const authnRequest = (id) =>
  deflateRawSync(Buffer.from(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_soak${id}" Version="2.0" IssueInstant="${new Date().toISOString()}" AssertionConsumerServiceURL="http://localhost:3000/saml/acs"><saml:Issuer>https://sp.example.test/saml/metadata</saml:Issuer></samlp:AuthnRequest>`)).toString('base64');

const flows = {
  async signIn() {
    const q = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile', login_hint: 'ada@contoso.onmicrosoft.com', state: 's' });
    let url = `${base}/${TENANT}/oauth2/v2.0/authorize?${q}`;
    const jar = new Map();
    for (let hop = 0; hop < 8; hop++) {
      const res = await send(url, { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') });
      for (const c of res.headers['set-cookie'] ?? []) {
        const [pair] = c.split(';');
        const i = pair.indexOf('=');
        jar.set(pair.slice(0, i), pair.slice(i + 1));
      }
      const next = new URL(res.headers.location ?? '', url);
      if (res.status < 300 || res.status >= 400) throw new Error(`sign-in stopped with ${res.status} at ${new URL(url).pathname}`);
      if (next.origin !== base) {
        const code = next.searchParams.get('code');
        if (!code) throw new Error(`no code: ${next.search.slice(0, 200)}`);
        const token = await send(`${base}/${TENANT}/oauth2/v2.0/token`, { method: 'POST', form: { grant_type: 'authorization_code', client_id: WEB.clientId, client_secret: WEB.secret, code, redirect_uri: WEB.redirectUri } });
        const body = JSON.parse(token.text);
        if (!body.id_token) throw new Error(`redemption: ${token.status} ${JSON.stringify(body).slice(0, 200)}`);
        return;
      }
      url = next.toString();
    }
    throw new Error('too many redirects');
  },
  async clientCredentials() {
    const res = await send(`${base}/${TENANT}/oauth2/v2.0/token`, { method: 'POST', form: { grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: 'api://sample-api/.default' } });
    const body = JSON.parse(res.text);
    if (!body.access_token) throw new Error(`client credentials: ${res.status}`);
  },
  async saml(i) {
    const res = await send(`${base}/${TENANT}/saml2?${new URLSearchParams({ SAMLRequest: authnRequest(i), login_hint: 'ada@contoso.onmicrosoft.com' })}`);
    const html = res.text;
    if (res.status !== 200 || !html.includes('name="SAMLResponse"')) throw new Error(`SAML: ${res.status}`);
  },
};

const names = Object.keys(flows);
const stats = Object.fromEntries(names.map((n) => [n, { ok: 0, errors: 0, ms: [] }]));
const firstErrors = [];
async function load(seconds, record) {
  const deadline = performance.now() + seconds * 1000;
  let seq = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      while (performance.now() < deadline) {
        const n = names[(w + seq++) % names.length];
        const t0 = performance.now();
        try {
          await flows[n](seq);
          if (record) {
            stats[n].ok++;
            stats[n].ms.push(performance.now() - t0);
          }
        } catch (err) {
          stats[n].errors++;
          if (firstErrors.length < 5) firstErrors.push(`${n}: ${err.message}`);
        }
      }
    }),
  );
}
// Warm up with the same load (provider loaded, SAML certificate made, stores and heap at their
// working size), then the baseline RSS: the soak measures growth, not the first minute's.
const warmUp = Math.max(3, Math.round(SECONDS / 6));
console.error(`soak: warm-up, ${CONCURRENCY} concurrent clients for ${warmUp} s ...`);
await load(warmUp, false);
await sleep(1000);
const before = await gcRss();
console.error(`soak: ${CONCURRENCY} concurrent clients for ${SECONDS} s (sign-in, client credentials, SAML) ...`);
await load(SECONDS, true);
const after = rssMb();
await sleep(1000);
const afterGc = await gcRss();
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const rows = names.map((n) => `${n.padEnd(20)} ${String(stats[n].ok).padStart(8)} ${String(stats[n].errors).padStart(7)} ${pct(stats[n].ms, 50).toFixed(0).padStart(9)} ${pct(stats[n].ms, 99).toFixed(0).padStart(9)}`);
const errors = names.reduce((a, n) => a + stats[n].errors, 0);
console.log(`\nflow                       done  errors  p50 (ms)  p99 (ms)\n${rows.join('\n')}`);
console.log(`\nserver RSS: before ${before.toFixed(1)} MB, after the load ${after.toFixed(1)} MB, after GC ${afterGc.toFixed(1)} MB (${((afterGc / before - 1) * 100).toFixed(1)} % of before; goal within 10 %)`);
console.log(`errors: ${errors} (goal 0)${firstErrors.length ? `\n  ${firstErrors.join('\n  ')}` : ''}`);
child.kill('SIGTERM');
await rm(tmp, { recursive: true, force: true });
process.exitCode = errors === 0 ? 0 : 1;
