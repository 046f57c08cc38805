/**
 * Issue 14, the first hour of a new user: every message says what to do, nothing crashes. Each
 * test is a command from the issue. In process (runCli) where the process adds nothing; spawned
 * where the item is about the process (its user, its pipes, its exit code).
 */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { start } from '../../src/index.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { cli } from './in-process.js';
import type { RunOptions } from '../helpers/process.js';
import { MAIN, run } from './spawn.js';

const scratch = mkdtempSync(join(tmpdir(), 'mock-entra-first-hour-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
});

/** No stack trace: no "    at " frame and no Node error class name at the start of a line. */
const noStack = (s: string) => expect(s).not.toMatch(/^\s+at |^(RangeError|TypeError|Error)\b|node:internal/m);

describe('item 1: a port that is not one', () => {
  it.each([
    [['--port', 'abc'], /--port is not a number: give a whole number from 1 to 65535, e\.g\. --port 8443 \(0: any free port\)/],
    [['--port', '99999'], /--port 99999 is not a port: give a whole number from 1 to 65535/],
    [['--port', '-1'], /--port -1 is not a port/],
    [['--port', '80.5'], /--port 80.5 is not a port/],
  ])('serve %j exits 2 with a message that says what to give, no stack trace', async (args, message) => {
    const r = await cli(['serve', '--certs-dir', TEST_CERTS_DIR, ...args]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });

  it('MOCK_ENTRA_PORT=abc exits 2 and names the variable', async () => {
    vi.stubEnv('MOCK_ENTRA_PORT', 'abc');
    const r = await cli(['serve', '--certs-dir', TEST_CERTS_DIR]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain("--port is not a number (MOCK_ENTRA_PORT is 'abc'): give a whole number from 1 to 65535");
    noStack(r.stderr);
  });

  it('start({ port: 99999 }) rejects with what to give, not ERR_SOCKET_BAD_PORT', async () => {
    await expect(start({ port: 99999, certsDir: TEST_CERTS_DIR })).rejects.toThrow(/start\(\{ port \}\): 99999 is not a port; give a whole number from 1 to 65535, or 0/);
  });
});

/** Whether another user may use `file` with `bits` (0o001 run, 0o004 read): the file allows it, and every folder above it lets others in (o+x). */
function othersMay(file: string, bits: number): boolean {
  const real = realpathSync(file);
  if ((statSync(real).mode & bits) !== bits) return false;
  for (let p = dirname(real); ; p = dirname(p)) {
    if ((statSync(p).mode & 0o001) === 0) return false;
    if (dirname(p) === p) return true;
  }
}
// As root the CLI runs as nobody, who needs to reach node and the checkout (a node under root's home, as `npx node@22` puts it, is out of reach).
const asNobodyPossible = process.getuid?.() !== 0 || (othersMay(process.execPath, 0o001) && othersMay(MAIN, 0o004));

describe.skipIf(!asNobodyPossible)('item 2: a certs directory this user cannot write', () => {
  /** A folder the CLI's user may not write in: as root (which writes anywhere), the CLI runs as nobody. */
  function unwritable(): { dir: string; as: Pick<RunOptions, 'uid' | 'gid' | 'env'> } {
    chmodSync(scratch, 0o755);
    const dir = mkdtempSync(join(scratch, 'read-only-'));
    chmodSync(dir, 0o555);
    // nobody cannot read the test run's CA (NODE_EXTRA_CA_CERTS, in a 0700 certs directory), nor needs it.
    const { NODE_EXTRA_CA_CERTS: _ca, ...env } = process.env;
    return { dir: join(dir, 'certs'), as: process.getuid?.() === 0 ? { uid: 65534, gid: 65534, env } : {} };
  }

  it('serve exits 2 naming the directory and --certs-dir, not "cannot listen on … (EACCES)"', async () => {
    const { dir, as } = unwritable();
    const r = await run(['serve', '--port', '0', '--certs-dir', dir], as);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`mock-entra: ${dir}: cannot write the certs directory (EACCES`);
    expect(r.stderr).toMatch(/can write: --certs-dir DIR \(or MOCK_ENTRA_CERTS_DIR/);
    expect(r.stderr).not.toContain('cannot listen');
    noStack(r.stderr);
  });

  it('certs path exits 2 with the same message, no stack trace', async () => {
    const { dir, as } = unwritable();
    const r = await run(['certs', 'path', '--certs-dir', dir], as);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${dir}: cannot write the certs directory (EACCES`);
    noStack(r.stderr);
  });

  it('a read-only certs directory that already holds the keys serves: only making a key needs to write', async () => {
    const { dir, as } = unwritable();
    const parent = join(dir, '..');
    chmodSync(parent, 0o755);
    mkdirSync(dir);
    for (const f of readdirSync(TEST_CERTS_DIR).filter((f) => /^(ca|tls|signing-\d)(-key)?\.pem$/.test(f))) {
      copyFileSync(join(TEST_CERTS_DIR, f), join(dir, f));
      if (as.uid !== undefined) chownSync(join(dir, f), as.uid, as.gid!);
    }
    chmodSync(dir, 0o555);
    const r = await run(['certs', 'path', '--certs-dir', dir], as);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(join(dir, 'ca.pem'));
  });
});

describe('item 5: output into a pipe whose reader has gone', () => {
  it('`mock-entra scenario list | head -0` exits 0 with nothing on stderr, not "Error: write EPIPE" and exit 1', async () => {
    const child = spawn(process.execPath, [MAIN, 'scenario', 'list'], { timeout: 30_000 });
    // The reading end closes before the command writes its first line, as head does once it has enough.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});

describe('item 8: what is typed wrong, said in one line, with paths as the loader prints them', () => {
  it.each([
    ['localhost:8443', "--public-url 'localhost:8443' has no scheme: write https://localhost:8443"],
    ['idp.test', "--public-url 'idp.test' has no scheme: write https://idp.test"],
    ['ftp://idp.test', "--public-url 'ftp://idp.test' must be an http or https URL"],
    ['https://idp.test/?x=1#y', "--public-url 'https://idp.test/?x=1#y' must be an origin without query, fragment or user name: write https://idp.test"],
  ])('serve --public-url %s exits 2: %s', async (value, message) => {
    const r = await cli(['serve', '--certs-dir', TEST_CERTS_DIR, '--port', '0', '--public-url', value]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`mock-entra: ${message}`);
  });

  it("start({ publicUrl: 'localhost:8443' }) rejects, as serve does", async () => {
    await expect(start({ publicUrl: 'localhost:8443', certsDir: TEST_CERTS_DIR })).rejects.toThrow("start({ publicUrl }): 'localhost:8443' has no scheme: write https://localhost:8443");
  });

  it.each([
    [['serve', '--scenaro', 'first-test-failure'], 'mock-entra: unknown option --scenaro; did you mean --scenario?\n  mock-entra serve --help lists its options.\n'],
    [['serve', '--no-tsl'], 'mock-entra: unknown option --no-tsl; did you mean --no-tls?\n  mock-entra serve --help lists its options.\n'],
    [['token', '-a', 'sample-web', '--scop', 'openid'], 'mock-entra: unknown option --scop; did you mean --scope?\n  mock-entra token --help lists its options.\n'],
    [['scenario', 'validate', 'default', '--zzzz'], 'mock-entra: unknown option --zzzz\n  mock-entra scenario validate --help lists its options.\n'],
  ])('%j names the option and its nearest, without printing the whole help first', async (args, stderr) => {
    const r = await cli(args);
    expect(r).toEqual({ status: 2, stdout: '', stderr });
  });

  it('an unknown command still shows the commands (the help is what answers it)', async () => {
    const r = await cli(['sevre']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('mock-entra <command> [options]');
    expect(r.stderr).toMatch(/Did you mean serve\?/);
  });

  it('scenario validate names the file by its absolute path when valid too, as when invalid', async () => {
    const r = await cli(['scenario', 'validate', 'scenarios/first-test-failure.yaml']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${join(process.cwd(), 'scenarios/first-test-failure.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: valid \\(`));
    const bad = join(scratch, 'bad.yaml');
    writeFileSync(bad, 'extends: default\nrules:\n  - when: { endpoint: tokens }\n    then: { error: 50126 }\n');
    const rel = relative(process.cwd(), bad);
    const invalid = await cli(['scenario', 'validate', rel]);
    expect(invalid.stderr).toContain(`${bad}: invalid scenario`);
    expect(invalid.stderr).toMatch(/'tokens' is not allowed: expected authorize, token, .*; did you mean 'token'\?/);
  });

  it('serve names an unreadable --admin-token-file by its absolute path', async () => {
    const r = await cli(['serve', '--certs-dir', TEST_CERTS_DIR, '--port', '0', '--admin-token-file', 'no-such-token-file']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`cannot read --admin-token-file ${join(process.cwd(), 'no-such-token-file')} (ENOENT)`);
  });
});

describe('item 10: token without --scope', () => {
  it("token --help shows the scope default it uses, not '[default: []]'", async () => {
    const r = await cli(['token', '--help']);
    expect(r.status).toBe(0);
    const scope = r.stdout.slice(r.stdout.indexOf('--scope'), r.stdout.indexOf('--type'));
    expect(scope).not.toContain('[default: []]');
    expect(scope.replace(/\s+/g, ' ')).toContain('[default: openid profile email with --user (a Graph token, as Entra gives)]');
  });

  it('token --user without --scope says on stderr that it minted a Graph token only Graph verifies, and what to ask for instead', async () => {
    const r = await cli(['token', '--certs-dir', TEST_CERTS_DIR, '--user', 'ada@contoso.onmicrosoft.com', '--app', 'sample-web']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('.')).toHaveLength(3);
    expect(r.stderr).toContain('without --scope (openid profile email), this is a Microsoft Graph access token, as Entra gives: aud https://graph.microsoft.com and a nonce in its header');
    expect(r.stderr).toContain('JWT libraries (jose, jsonwebtoken, Microsoft.Identity.Web) cannot verify its signature');
    expect(r.stderr).toContain('For a token an API verifies: --scope api://sample-api/access_as_user; for an ID token: --type id.');
  });

  it('says nothing when the token is for an API, or an ID token', async () => {
    for (const args of [['--scope', 'api://sample-api/access_as_user'], ['--type', 'id']]) {
      const r = await cli(['token', '--certs-dir', TEST_CERTS_DIR, '--user', 'ada@contoso.onmicrosoft.com', '--app', 'sample-web', ...args]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    }
  });
});

describe('item 11: the untrusted-tls certificate', () => {
  const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
  const trusted = () => fingerprint(readFileSync(join(TEST_CERTS_DIR, 'tls.pem'), 'utf8'));

  /** The certificate a TLS handshake with 127.0.0.1:port presents (its SHA-256 fingerprint), or undefined when nothing listens. */
  function handshake(port: number): Promise<string | undefined> {
    return new Promise((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' }, () => {
        const cert = s.getPeerX509Certificate();
        s.destroy();
        resolve(cert?.fingerprint256);
      });
      s.once('error', () => resolve(undefined));
    });
  }

  it('a server started on untrusted-tls presents the untrusted certificate from its first connection on, never the trusted one', async () => {
    // A certs directory with the shared keys but no untrusted certificate yet: start makes it, which takes a while.
    const certsDir = mkdtempSync(join(scratch, 'certs-'));
    for (const f of readdirSync(TEST_CERTS_DIR).filter((f) => /^(ca|tls|signing-\d)(-key)?\.pem$/.test(f))) copyFileSync(join(TEST_CERTS_DIR, f), join(certsDir, f));
    const port = await new Promise<number>((resolve) => {
      const probe = createNetServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const progress: string[] = [];
    let started = false;
    const starting = start({ scenario: 'scenarios/untrusted-tls.yaml', port, certsDir, onKeyProgress: (m) => progress.push(m) }).finally(() => {
      started = true;
    });
    // Handshakes while start() runs (bounded: loopback, a few ms apart), as a client retrying would.
    const seen: string[] = [];
    for (let i = 0; i < 2000 && !started; i++) {
      const fp = await handshake(port);
      if (fp) seen.push(fp);
      await new Promise((r) => setTimeout(r, 5));
    }
    const idp = await starting;
    try {
      expect(seen.filter((fp) => fp === trusted())).toEqual([]);
      const after = await handshake(idp.port);
      expect(after).toBe(fingerprint(readFileSync(join(certsDir, 'tls-untrusted.pem'), 'utf8')));
      expect(progress.some((m) => m.startsWith('making the untrusted TLS certificate'))).toBe(true);
    } finally {
      await idp.stop();
    }
  });

  it('switching to untrusted-tls through the admin API says the certificate changes for new connections only', async () => {
    const idp = await start({ certsDir: TEST_CERTS_DIR });
    try {
      const res = await fetch(`${idp.url}/_mock/scenario`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: join(process.cwd(), 'scenarios/untrusted-tls.yaml') }) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { notes?: string[] };
      expect(body.notes).toEqual([expect.stringMatching(/^TLS: new connections get a certificate from a CA nobody trusts \(tls.certificate: untrusted, was trusted\)\. Connections already open keep the certificate they were made with/)]);
      // And it is so: a new connection gets the untrusted one.
      expect(await handshake(idp.port)).not.toBe(trusted());
      const back = await fetch(`${idp.url}/_mock/scenario`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: join(process.cwd(), 'scenarios/default.yaml') }) });
      // fetch's pooled connection still has the untrusted certificate's session: that is the point of the note.
      expect(((await back.json()) as { notes?: string[] }).notes?.[0]).toMatch(/^TLS: new connections get the local CA's certificate/);
    } finally {
      await idp.stop();
    }
  });
});
