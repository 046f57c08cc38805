import { createSigningCert } from '../../src/keys/ca.js';
import { anotherSpareKey } from './keys.js';

/**
 * A client's (or SP's) key and self-signed certificate, PEM, made the way the mock makes its own.
 * The key is one of the run's spare keys: two calls in a row get different keys.
 */
export async function keyAndCertificate(commonName: string): Promise<{ keyPem: string; certPem: string }> {
  const pair = anotherSpareKey();
  return { keyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem: await createSigningCert(pair, { commonName }) };
}
