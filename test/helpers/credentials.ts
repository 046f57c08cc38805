import { createSigningCert, generateRsaKeyPair } from '../../src/keys/ca.js';

/** A client's (or SP's) key and self-signed certificate, PEM, made the way the mock makes its own. */
export async function keyAndCertificate(commonName: string): Promise<{ keyPem: string; certPem: string }> {
  const pair = await generateRsaKeyPair();
  return { keyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem: await createSigningCert(pair, { commonName }) };
}
