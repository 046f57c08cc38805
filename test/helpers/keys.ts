/**
 * Keys made once per run by global-setup.ts, for tests that use keys without testing how they are
 * made. The directories are shared by every test file: read them, or copy them (copyDir in
 * test/keys/fixtures.ts) to change anything.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { RsaKeyPair } from '../../src/keys/ca.js';
import { FIXTURES } from './global-setup.js';

export { HOSTS_CA_NAMES } from './global-setup.js';

/** A certs directory as a first start makes it (a CA for loopback only), with sample-saml's SAML certificate. */
export const templateCerts = (): string => join(inject('fixturesDir'), FIXTURES.certs);

/** A certs directory whose CA was made for HOSTS_CA_NAMES (idp.test, 10.1.2.3). */
export const hostsTemplateCerts = (): string => join(inject('fixturesDir'), FIXTURES.hostsCerts);

/** One of the spare RSA key pairs (0 to FIXTURES.spareKeys - 1); different numbers are different keys. */
export function spareKey(n: number): RsaKeyPair {
  if (!Number.isInteger(n) || n < 0 || n >= FIXTURES.spareKeys) throw new Error(`spare keys are 0 to ${FIXTURES.spareKeys - 1}, not ${n}`);
  const privateKey = createPrivateKey(readFileSync(join(inject('fixturesDir'), FIXTURES.keys, `${n}.pem`), 'utf8'));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

let next = 0;
/** The next spare key pair, round robin: a different one from the pair handed out just before. */
export function anotherSpareKey(): RsaKeyPair {
  return spareKey(next++ % FIXTURES.spareKeys);
}
