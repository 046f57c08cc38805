/**
 * useMockEntra(): one mock Entra ID for the enclosing file or describe block, shaped like navikt's
 * withMockOAuth2Server and msw's setupServer: the server starts in beforeAll, every test ends with
 * idp.reset() (run-time rules gone, counters zeroed, switches back), and afterAll stops it.
 *
 * reset() does not switch the scenario back: a test that calls idp.useScenario() leaves that
 * scenario in force for the tests after it, so such a test restores it or the file sets its
 * scenario in a beforeEach.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type MockEntra, type StartOptions, start } from '../../src/index.js';
import { TEST_CERTS_DIR } from './global-setup.js';

const NOT_STARTED = 'useMockEntra(): the server is not started yet — use it inside a test or hook';
const STOPPED = 'useMockEntra(): the server has been stopped (afterAll ran) — use it inside a test or hook';

/**
 * @example
 * const idp = useMockEntra();                                  // default scenario, HTTPS, port 0
 * const saml = useMockEntra({ scenario: 'scenarios/first-test-failure.yaml' });
 * it('signs ada in', async () => {
 *   const { id_token } = await idp.signIn({ user: 'ada@contoso.onmicrosoft.com', app: 'sample-web' });
 * });
 */
export function useMockEntra(opts: StartOptions = {}): MockEntra {
  let server: MockEntra | undefined;
  let stopped = false;

  beforeAll(async () => {
    server = await start({ certsDir: TEST_CERTS_DIR, ...opts });
  });
  afterEach(() => {
    server?.reset();
  });
  afterAll(async () => {
    const s = server;
    server = undefined;
    stopped = true;
    await s?.stop();
  });

  const current = (): MockEntra => {
    if (!server) throw new Error(stopped ? STOPPED : NOT_STARTED);
    return server;
  };

  return new Proxy({} as MockEntra, {
    get(_target, prop) {
      // Being checked for a `then` (returned from an async function, awaited) is not a use: the
      // handle is not a promise, started or not.
      if (prop === 'then') return undefined;
      const s = current();
      const value: unknown = Reflect.get(s, prop, s);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(s) : value;
    },
    set(_target, prop, value) {
      return Reflect.set(current(), prop, value);
    },
    has(_target, prop) {
      return Reflect.has(current(), prop);
    },
    ownKeys() {
      return Reflect.ownKeys(current());
    },
    getOwnPropertyDescriptor(_target, prop) {
      const descriptor = Reflect.getOwnPropertyDescriptor(current(), prop);
      // The proxy's target is an empty object: a property it reports must be configurable.
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}
