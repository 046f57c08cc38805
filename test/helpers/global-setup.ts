import { resolve } from 'node:path';
import { loadKeys } from '../../src/keys/store.js';

export const TEST_CERTS_DIR = resolve('certs');

export default async function setup(): Promise<void> {
  const keys = await loadKeys({ certsDir: TEST_CERTS_DIR });
  process.env.NODE_EXTRA_CA_CERTS = keys.caCertPath;
}
