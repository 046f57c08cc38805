import { describe, it, expect, vi } from 'vitest';
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadKeys } from '../../src/keys/store.js';
import { hostsTemplateCerts, templateCerts } from '../helpers/keys.js';
import { copyDir } from './fixtures.js';

// Tests of what loading makes start from an empty directory; the others from a copy of the run's
// template (made by the same loadKeys in global-setup.ts), or read the template itself.
const freshDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mock-entra-keys-'));
const mtime = (dir: string, file: string) => fs.statSync(path.join(dir, file)).mtimeMs;
const KEY_FILES = ['ca-key.pem', 'tls-key.pem', 'signing-1-key.pem', 'signing-2-key.pem'];
const ALL_FILES = ['ca.pem', 'tls.pem', 'signing-1.pem', 'signing-2.pem', ...KEY_FILES];

describe('loadKeys', () => {
  it('generates the CA, TLS cert, signing keys and a .gitignore on first load', async () => {
    const dir = path.join(freshDir(), 'nested', 'certs');
    const keys = await loadKeys({ certsDir: dir });
    for (const f of ALL_FILES) expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
    expect(fs.readFileSync(path.join(dir, '.gitignore'), 'utf8').split('\n')).toEqual(
      expect.arrayContaining(['*', '!README.md', '!.gitignore']),
    );
    expect(keys.caCertPath).toBe(path.join(dir, 'ca.pem'));
    expect(keys.caCertPem).toBe(fs.readFileSync(keys.caCertPath, 'utf8'));
    expect(keys.signing).toHaveLength(2);
    expect(new Set(keys.signing.map((s) => s.kid)).size).toBe(2);

    const ca = new X509Certificate(keys.caCertPem);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toMatch(/^CN=mock-entra local CA [0-9a-f]{8}$/);
    const signing = new X509Certificate(keys.signing[0]!.certPem);
    expect(signing.subject).toContain('CN=accounts.accesscontrol.windows.net');
    expect(signing.issuer).toBe(signing.subject);
  });

  it.skipIf(process.platform === 'win32')('makes the certs directory 0700 and private key files 0600, whatever the umask', async () => {
    const dir = path.join(freshDir(), 'nested', 'certs');
    const umask = process.umask(0);
    try {
      await loadKeys({ certsDir: dir });
    } finally {
      process.umask(umask);
    }
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.dirname(dir)).mode & 0o777).toBe(0o700);
    for (const f of KEY_FILES) expect(fs.statSync(path.join(dir, f)).mode & 0o777, f).toBe(0o600);
    for (const f of ALL_FILES.filter((f) => !KEY_FILES.includes(f))) expect(fs.statSync(path.join(dir, f)).mode & 0o777, f).toBe(0o644);
  });

  it.skipIf(process.platform === 'win32')('makes an existing, empty certs directory 0700 when it first writes keys there', async () => {
    const dir = freshDir();
    fs.chmodSync(dir, 0o755);
    await loadKeys({ certsDir: dir });
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('reuses the files on a second load', async () => {
    const dir = copyDir(templateCerts());
    const first = await loadKeys({ certsDir: dir });
    const before = ALL_FILES.map((f) => mtime(dir, f));
    await new Promise((r) => setTimeout(r, 20)); // so a rewrite would show in mtimes
    const second = await loadKeys({ certsDir: dir });
    expect(second.signing.map((s) => s.kid)).toEqual(first.signing.map((s) => s.kid));
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.tls).toEqual(first.tls);
    expect(ALL_FILES.map((f) => mtime(dir, f))).toEqual(before);
  });

  it('loads cached keys without importing node-forge', async () => {
    const dir = copyDir(templateCerts());
    await loadKeys({ certsDir: dir });
    // Only the TLS certificate to make: forge signs it.
    const partial = copyDir(templateCerts());
    fs.rmSync(path.join(partial, 'tls.pem'));
    vi.resetModules();
    let forgeLoaded = false;
    vi.doMock('node-forge', async (importOriginal) => {
      forgeLoaded = true;
      return importOriginal();
    });
    try {
      const { loadKeys: freshLoad } = await import('../../src/keys/store.js');
      await freshLoad({ certsDir: dir });
      expect(forgeLoaded).toBe(false);
      // Sanity check that the mock sees the import: generating does need forge.
      await freshLoad({ certsDir: partial });
      expect(forgeLoaded).toBe(true);
    } finally {
      vi.doUnmock('node-forge');
      vi.resetModules();
    }
  });

  it('regenerates only the TLS cert when a hostname the CA permits is added', async () => {
    const dir = copyDir(hostsTemplateCerts()); // a CA made for idp.test and 10.1.2.3
    const first = await loadKeys({ certsDir: dir, hostnames: ['idp.test', '10.1.2.3'] });
    const untouched = ALL_FILES.filter((f) => !f.startsWith('tls'));
    const before = untouched.map((f) => mtime(dir, f));
    await new Promise((r) => setTimeout(r, 20));

    // Only the names the CA was made for, below them, and loopback: see ca-constraints.test.ts.
    const second = await loadKeys({ certsDir: dir, hostnames: ['idp.test', '10.1.2.3', 'login.idp.test', 'app.localhost'] });
    expect(untouched.map((f) => mtime(dir, f))).toEqual(before);
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.signing.map((s) => s.kid)).toEqual(first.signing.map((s) => s.kid));
    expect(second.tls.keyPem).not.toBe(first.tls.keyPem);

    const san = new X509Certificate(second.tls.certPem).subjectAltName ?? '';
    expect(san).toContain('DNS:login.idp.test');
    expect(san).toContain('DNS:app.localhost');
    expect(san).toContain('IP Address:10.1.2.3');
    expect(san).toContain('DNS:localhost');
    expect(san).toContain('IP Address:127.0.0.1');
    // A subset of the names already covered does not regenerate.
    const third = await loadKeys({ certsDir: dir, hostnames: ['idp.test'] });
    expect(third.tls).toEqual(second.tls);
  });

  it('generates only the missing signing keys', async () => {
    const dir = copyDir(templateCerts());
    const two = await loadKeys({ certsDir: dir });
    const three = await loadKeys({ certsDir: dir, signingKeyCount: 3 });
    expect(three.signing.slice(0, 2).map((s) => s.kid)).toEqual(two.signing.map((s) => s.kid));
    expect(three.signing).toHaveLength(3);
    expect(fs.existsSync(path.join(dir, 'signing-3-key.pem'))).toBe(true);
  });

  it('issues a TLS cert that verifies against the CA and serves a chain', async () => {
    const keys = await loadKeys({ certsDir: templateCerts() });
    const ca = new X509Certificate(keys.caCertPem);
    const leaf = new X509Certificate(keys.tls.certPem); // first PEM of the chain
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('::1')).toBe('::1');
    expect(keys.tls.certPem.trim().endsWith(keys.caCertPem.trim())).toBe(true);
  });

  it('serves https that a client trusting only the CA accepts', async () => {
    const keys = await loadKeys({ certsDir: templateCerts() });
    const server = https.createServer({ key: keys.tls.keyPem, cert: keys.tls.certPem }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get({ host: '127.0.0.1', port, path: '/', ca: keys.caCertPem, servername: 'localhost', agent: false }, (res) => {
            let data = '';
            res.on('data', (c: Buffer) => (data += c.toString()));
            res.on('end', () => resolve(data));
          })
          .on('error', reject);
      });
      expect(body).toBe('ok');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('derives kid/x5t/x5c like Entra', async () => {
    const keys = await loadKeys({ certsDir: templateCerts() });
    for (const s of keys.signing) {
      const der = new X509Certificate(s.certPem).raw;
      expect(s.kid).toBe(createHash('sha1').update(der).digest('base64url'));
      expect(s.kid).toHaveLength(27);
      expect(s.x5t).toBe(s.kid);
      expect(s.x5tS256).toBe(createHash('sha256').update(der).digest('base64url'));
      expect(s.x5c).toBe(der.toString('base64'));
      expect(s.thumbprintSha1Hex).toMatch(/^[0-9A-F]{40}$/);
      expect(Object.keys(s.publicJwk).sort()).toEqual(['e', 'kty', 'n']);
      expect(s.privateJwk).toMatchObject({ kty: 'RSA', kid: s.kid, alg: 'RS256', use: 'sig' });
      expect(s.privateJwk.d).toBeTypeOf('string');
      expect(s.notAfter.getTime() - s.notBefore.getTime()).toBeGreaterThan(4.9 * 365 * 86_400_000);
    }
  });

  it('does not mix up files when two loads race on an empty dir', async () => {
    const dir = freshDir();
    const [a, b] = await Promise.all([loadKeys({ certsDir: dir }), loadKeys({ certsDir: dir })]);
    expect(a.caCertPem).toBe(b.caCertPem);
    expect(a.signing.map((s) => s.kid)).toEqual(b.signing.map((s) => s.kid));
    const again = await loadKeys({ certsDir: dir });
    expect(again.signing.map((s) => s.kid)).toEqual(a.signing.map((s) => s.kid));
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp') || f === '.lock')).toEqual([]);
  });
});
