/**
 * Runs once before the test workers start. RSA key generation is the slowest thing the tests do, so
 * every key a test only uses (and does not test the making of) is made here, once per run:
 *
 * - TEST_CERTS_DIR, the certs directory the tests' servers share: the CA (trusted through
 *   NODE_EXTRA_CA_CERTS, exactly as a user trusts mock-entra's CA), the TLS and token-signing keys,
 *   the SAML certificates of the tests' SAML apps, the untrusted-tls scenario's TLS pairs and the
 *   built-in external issuers' keys (workload identity federation), so no
 *   test makes them on first use (and no two workers wait on each other's lock to do so).
 * - A fixtures directory (inject('fixturesDir'), see keys.ts): two pristine certs directories that
 *   the key-store tests copy before damaging them, and spare RSA keys for clients and SPs.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { generateRsaKeyPair } from '../../src/keys/ca.js';
import { MICROSOFT_HOSTNAMES } from '../../src/entra/urls.js';
import { AS_MICROSOFT_DIR, loadAltTls, loadIssuerKey, loadKeys, loadSamlCert } from '../../src/keys/store.js';
import { SAML_APP, OTHER_SAML_APP } from '../saml/support.js';

export const TEST_CERTS_DIR = resolve('certs');

/** The fixtures directory's layout (keys.ts reads it). */
export const FIXTURES = {
  /** A certs directory as a first start makes it (CA for loopback only), with sample-saml's SAML certificate. */
  certs: 'certs',
  /** The same token-signing keys, with a CA (and TLS certificate) made for HOSTS_CA_NAMES. */
  hostsCerts: 'certs-hosts',
  /** Spare RSA keys, `N.pem` (PKCS#8), for clients, SPs and CAs of the tests' own. */
  keys: 'keys',
  spareKeys: 2,
};
export const HOSTS_CA_NAMES = ['idp.test', '10.1.2.3'];

/** docs/examples/jasper.yaml's SAML app. */
const JASPER_APP_ID = '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d';

declare module 'vitest' {
  export interface ProvidedContext {
    fixturesDir: string;
  }
}

async function sharedCerts(): Promise<string> {
  const keys = await loadKeys({ certsDir: TEST_CERTS_DIR });
  const saml = (appId: string, slot: string) => loadSamlCert({ certsDir: TEST_CERTS_DIR, appId, slot });
  await Promise.all([
    saml(SAML_APP.clientId, 'current'),
    saml(SAML_APP.clientId, 'next'),
    saml(OTHER_SAML_APP.clientId, 'current'),
    saml(JASPER_APP_ID, 'current'),
    loadAltTls(TEST_CERTS_DIR, 'untrusted'),
    loadAltTls(TEST_CERTS_DIR, 'wrong-host'),
    // The as-Microsoft mode's own CA and TLS certificate (start({ asMicrosoft: true }) reads them).
    loadKeys({ certsDir: join(TEST_CERTS_DIR, AS_MICROSOFT_DIR), hostnames: [...MICROSOFT_HOSTNAMES], signingKeyCount: 0, exactNames: true }),
    loadIssuerKey(TEST_CERTS_DIR, 'k8s'),
    loadIssuerKey(TEST_CERTS_DIR, 'github'),
  ]);
  return keys.caCertPath;
}

async function fixtures(dir: string): Promise<void> {
  const spare = join(dir, FIXTURES.keys);
  mkdirSync(spare);
  const certs = join(dir, FIXTURES.certs);
  await Promise.all([
    loadKeys({ certsDir: certs }).then(() => loadSamlCert({ certsDir: certs, appId: SAML_APP.clientId, slot: 'current' })),
    ...Array.from({ length: FIXTURES.spareKeys }, async (_, i) => {
      const pair = await generateRsaKeyPair();
      writeFileSync(join(spare, `${i}.pem`), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }),
  ]);
  const hosts = join(dir, FIXTURES.hostsCerts);
  cpSync(certs, hosts, { recursive: true, filter: (f) => !/[/\\](ca|tls|saml-.*)(-key)?\.pem$/.test(f) });
  await loadKeys({ certsDir: hosts, hostnames: HOSTS_CA_NAMES });
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'mock-entra-fixtures-'));
  const [caCertPath] = await Promise.all([sharedCerts(), fixtures(dir)]);
  process.env.NODE_EXTRA_CA_CERTS = caCertPath;
  project.provide('fixturesDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
