import { type MockEntra, type StartOptions, start } from '../../src/index.js';
import { TEST_CERTS_DIR } from './global-setup.js';

/**
 * A mock on an ephemeral port, trusting the shared test CA, whose lifecycle the caller owns (files
 * with several servers, or a server per test). One server for a file or describe: useMockEntra().
 */
export function startMock(opts: StartOptions = {}): Promise<MockEntra> {
  return start({ certsDir: TEST_CERTS_DIR, ...opts });
}
