import { describe, it, expect, beforeAll } from 'vitest';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readPermittedNames, type RsaKeyPair } from '../../src/keys/ca.js';
import { KeyFileError, loadKeys, type KeyMaterial } from '../../src/keys/store.js';
import { hostsTemplateCerts, spareKey, templateCerts } from '../helpers/keys.js';
import { copyDir, handshake, hasOpenssl, leafFromCaKey, opensslVerify, withSigningKeysOnly } from './fixtures.js';
import { legacyCaPem } from './legacy-ca.js';

// The run's CA made for idp.test and 10.1.2.3 (global-setup.ts makes it with loadKeys), read only.
// Tests of what a CA is made for make their own CA (with the run's token-signing keys beside it).
let dir: string;
let keys: KeyMaterial;
let leafKeys: RsaKeyPair;
let leafKeyPem: string;
beforeAll(async () => {
  dir = hostsTemplateCerts();
  keys = await loadKeys({ certsDir: dir, hostnames: ['idp.test', '10.1.2.3'] });
  leafKeys = spareKey(0);
  leafKeyPem = leafKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
});

describe('the local CA', () => {
  it('is name-constrained (critical) to loopback, .localhost and the host names it was made for', async () => {
    expect(await readPermittedNames(keys.caCertPem)).toEqual(['localhost', '.localhost', 'wrong-host.invalid', '127.0.0.0/8', '::1/128', 'idp.test', '10.1.2.3/32']);
    if (hasOpenssl) {
      const text = (await import('node:child_process')).spawnSync('openssl', ['x509', '-noout', '-text', '-in', keys.caCertPath], { encoding: 'utf8' }).stdout;
      expect(text).toMatch(/X509v3 Name Constraints: critical\s+Permitted:\s+DNS:localhost\s+DNS:\.localhost/);
    }
  });

  it('is valid for two years and has a name of its own', async () => {
    const ca = new X509Certificate(keys.caCertPem);
    const days = (new Date(ca.validTo).getTime() - new Date(ca.validFrom).getTime()) / 86_400_000;
    expect(days).toBeGreaterThan(729);
    expect(days).toBeLessThan(732);
    expect(ca.subject).toMatch(/^CN=mock-entra local CA [0-9a-f]{8}$/);
    // Another install's CA (the run's other template, made by another loadKeys).
    const other = await loadKeys({ certsDir: templateCerts() });
    expect(new X509Certificate(other.caCertPem).subject).not.toBe(ca.subject);
  });

  it('issues a TLS certificate that does not outlive it', () => {
    const ca = new X509Certificate(keys.caCertPem);
    const leaf = new X509Certificate(keys.tls.certPem);
    expect(new Date(leaf.validTo).getTime()).toBeLessThanOrEqual(new Date(ca.validTo).getTime());
  });

  it.skipIf(!hasOpenssl)('signs leaves for *.google.com, example.com or 8.8.8.8 that openssl verify rejects, and loopback ones it accepts', async () => {
    for (const hosts of [['*.google.com'], ['example.com'], ['localhost', '8.8.8.8'], ['evil-idp.test']]) {
      const r = opensslVerify(keys.caCertPem, await leafFromCaKey(dir, leafKeys, hosts));
      expect(r.ok, `${hosts}: ${r.output}`).toBe(false);
      expect(r.output).toContain('permitted subtree violation');
    }
    for (const hosts of [['localhost', '127.0.0.1', '::1'], ['app.localhost'], ['idp.test', 'login.idp.test', '10.1.2.3'], ['127.0.0.2']]) {
      const r = opensslVerify(keys.caCertPem, await leafFromCaKey(dir, leafKeys, hosts));
      expect(r.ok, `${hosts}: ${r.output}`).toBe(true);
    }
  });

  it("signs a leaf for example.com that checkIssued accepts (the CA's key did sign it) but a TLS handshake refuses", async () => {
    const leafPem = await leafFromCaKey(dir, leafKeys, ['example.com']);
    const ca = new X509Certificate(keys.caCertPem);
    const leaf = new X509Certificate(leafPem);
    // checkIssued and verify only compare names and the signature; the chain check is what refuses.
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    await expect(handshake({ keyPem: leafKeyPem, certPem: leafPem, caPem: keys.caCertPem, servername: 'example.com' })).rejects.toThrow(
      'permitted subtree violation',
    );
    // The same CA's own localhost certificate goes through.
    await handshake({ keyPem: keys.tls.keyPem, certPem: keys.tls.certPem, caPem: keys.caCertPem, servername: 'localhost' });
  });

  it('keeps its names: a later start asking for a host name it does not permit is refused, naming the fix', async () => {
    const copy = copyDir(dir);
    const before = fs.readFileSync(path.join(copy, 'tls.pem'), 'utf8');
    const err = await loadKeys({ certsDir: copy, hostnames: ['login.microsoftonline.com'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyFileError);
    expect(err).toMatchObject({ problem: 'not-permitted', file: path.join(copy, 'ca.pem') });
    expect((err as Error).message).toContain('login.microsoftonline.com');
    expect((err as Error).message).toContain(`mock-entra certs regenerate --yes --certs-dir ${copy} --hostname login.microsoftonline.com`);
    expect(fs.readFileSync(path.join(copy, 'tls.pem'), 'utf8')).toBe(before);
    // Names below a permitted one, and loopback addresses, are fine: only the TLS certificate is made anew.
    const more = await loadKeys({ certsDir: copy, hostnames: ['auth.idp.test', 'me.localhost', '127.0.0.53'] });
    expect(more.caCertPem).toBe(keys.caCertPem);
    expect(new X509Certificate(more.tls.certPem).subjectAltName).toContain('DNS:auth.idp.test');
  });

  it('permits Microsoft host names only when they are asked for, never everything', async () => {
    const ms = await loadKeys({ certsDir: withSigningKeysOnly(), hostnames: ['login.microsoftonline.com', 'graph.microsoft.com'] });
    expect(await readPermittedNames(ms.caCertPem)).toEqual([
      'localhost', '.localhost', 'wrong-host.invalid', '127.0.0.0/8', '::1/128', 'login.microsoftonline.com', 'graph.microsoft.com',
    ]);
  });

  it('made by an earlier mock-entra (not name-constrained, 10 years) keeps working and is not replaced', async () => {
    const legacy = withSigningKeysOnly();
    const caKeys = spareKey(1);
    fs.writeFileSync(path.join(legacy, 'ca.pem'), await legacyCaPem(caKeys));
    fs.writeFileSync(path.join(legacy, 'ca-key.pem'), caKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const before = fs.readFileSync(path.join(legacy, 'ca.pem'), 'utf8');
    const loaded = await loadKeys({ certsDir: legacy, hostnames: ['idp.test'] });
    expect(loaded.caCertPem).toBe(before);
    expect(await readPermittedNames(loaded.caCertPem)).toBeUndefined();
    expect(new X509Certificate(loaded.tls.certPem).checkIssued(new X509Certificate(before))).toBe(true);
    // Unconstrained, it still issues for a name asked for later.
    const later = await loadKeys({ certsDir: legacy, hostnames: ['other.example'] });
    expect(later.caCertPem).toBe(before);
    expect(new X509Certificate(later.tls.certPem).subjectAltName).toContain('DNS:other.example');
  });

  it('takes IPv6 host names with or without brackets, as new URL().hostname gives them', async () => {
    const v6 = await loadKeys({ certsDir: withSigningKeysOnly(), hostnames: ['[fd00::5]'] });
    expect(await readPermittedNames(v6.caCertPem)).toContain('fd00::5/128');
    expect(new X509Certificate(v6.tls.certPem).checkIP('fd00::5')).toBe('fd00::5');
  });
});

