import { type MockEntra, type StartOptions, start } from '../../src/start.js';
import { TEST_CERTS_DIR } from './global-setup.js';

/** One mock per test file, on an ephemeral port, trusting the shared test CA. */
export function startMock(opts: StartOptions = {}): Promise<MockEntra> {
  return start({ certsDir: TEST_CERTS_DIR, ...opts });
}
