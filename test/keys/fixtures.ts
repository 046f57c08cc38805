/** Shared by the key-store tests: fresh and copied certs directories, leaves signed by a CA's key, TLS handshakes. */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createServerCert, type RsaKeyPair } from '../../src/keys/ca.js';
import { templateCerts } from '../helpers/keys.js';

export const freshDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'mock-entra-keys-'));

/**
 * A new certs directory holding only the run's token-signing keys (the template's), for tests of
 * the CA and TLS certificate: loading it makes those two and no token-signing key.
 */
export function withSigningKeysOnly(): string {
  const dir = freshDir();
  for (const f of ['signing-1.pem', 'signing-1-key.pem', 'signing-2.pem', 'signing-2-key.pem']) fs.copyFileSync(path.join(templateCerts(), f), path.join(dir, f));
  return dir;
}

/** A copy of a certs directory (modes kept), so each test can damage its own. */
export function copyDir(from: string): string {
  const to = path.join(freshDir(), 'certs');
  fs.cpSync(from, to, { recursive: true, preserveTimestamps: true });
  return to;
}

/** A leaf for `hosts`, signed with the CA key in `dir` (as anyone holding that key could). */
export function leafFromCaKey(dir: string, leafKeys: RsaKeyPair, hosts: string[]): Promise<string> {
  const certPem = fs.readFileSync(path.join(dir, 'ca.pem'), 'utf8');
  const privateKey: KeyObject = createPrivateKey(fs.readFileSync(path.join(dir, 'ca-key.pem'), 'utf8'));
  return createServerCert({ certPem, privateKey }, leafKeys, hosts);
}

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** `openssl verify -CAfile ca leaf` (which honours name constraints): exit status and what it printed. */
export function opensslVerify(caPem: string, leafPem: string): { ok: boolean; output: string } {
  const dir = freshDir();
  fs.writeFileSync(path.join(dir, 'ca.pem'), caPem);
  fs.writeFileSync(path.join(dir, 'leaf.pem'), leafPem);
  const r = spawnSync('openssl', ['verify', '-CAfile', path.join(dir, 'ca.pem'), path.join(dir, 'leaf.pem')], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** A TLS handshake with a server presenting `certPem`, from a client that trusts only `caPem`. */
export async function handshake(o: { keyPem: string; certPem: string; caPem: string; servername: string }): Promise<void> {
  const server = tls.createServer({ key: o.keyPem, cert: o.certPem }, (s) => s.end());
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: o.caPem, servername: o.servername }, () => {
        socket.end();
        resolve();
      });
      socket.once('error', reject);
    });
  } finally {
    await new Promise((r) => server.close(r));
  }
}
