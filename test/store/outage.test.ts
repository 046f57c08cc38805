/**
 * The store's own faults: Redis unreachable at start (start() rejects with StoreError, `serve`
 * exits 2 saying what to do), Redis lost while serving (requests that need it get Entra's 503,
 * AADSTS90033 with Retry-After, within a bounded time; discovery, JWKS and metadata are still
 * served; nothing crashes), and Redis back (empty, as a restarted Redis without persistence is):
 * sign-ins work again across instances, without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { type MockEntra, start, StoreError } from '../../src/index.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { TENANT_ID, WEB } from '../helpers/ids.js';
import { codeFrom, freePort, HAVE_REDIS, own, redeem, TestRedis } from './support.js';

/** Bounded: a request that hangs fails the test (no timing is asserted). */
const get = (url: string, init: RequestInit = {}) => fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(10_000) });

/** A code from `from` redeemed on `on`, tried every 100 ms (at most 100 times) until it works; the last status. */
async function recoveredSignIn(from: MockEntra, on: MockEntra): Promise<number> {
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    status = await codeFrom(from)
      .then((c) => redeem(on, c))
      .then((r) => r.status)
      .catch(() => 0);
    if (status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  return status;
}

describe.skipIf(!HAVE_REDIS)('the store unreachable', () => {
  it('at start: start() rejects with StoreError naming the store and what to do; serve exits 2 with that message', async () => {
    const port = await freePort();
    const store = `redis://127.0.0.1:${port}/0`;
    const err = await start({ store, certsDir: TEST_CERTS_DIR }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(`cannot reach Redis at ${store}`);
    expect((err as Error).message).toMatch(/start Redis there/);

    let stderr = '';
    const code = await runCli(['serve', '--port', '0', '--certs-dir', TEST_CERTS_DIR, '--store', store], { stdout: () => true, stderr: (s) => ((stderr += s), true) });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^mock-entra: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/0 \(ECONNREFUSED\): start Redis there/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack
  });

  it('an URL that is no store: StoreError that shows the form to use', async () => {
    await expect(start({ store: 'mysql://localhost/0', certsDir: TEST_CERTS_DIR })).rejects.toThrow(/give redis:\/\/host:port\/db/);
    await expect(start({ store: 'redis://localhost:6379/x', certsDir: TEST_CERTS_DIR })).rejects.toThrow(/the path is the database number/);
  });
});

describe.skipIf(!HAVE_REDIS)('Redis lost while serving, then back (empty)', () => {
  let redis: TestRedis;
  let a: MockEntra;
  let b: MockEntra;

  beforeAll(async () => {
    redis = await TestRedis.start();
    const publicUrl = `https://localhost:${await freePort()}`;
    a = await start({ store: redis.url, certsDir: TEST_CERTS_DIR, publicUrl });
    b = await start({ store: redis.url, certsDir: TEST_CERTS_DIR, publicUrl });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('answers what needs the store with AADSTS90033 503 and Retry-After, still serves the documents, and recovers when Redis is back', async () => {
    expect((await redeem(b, await codeFrom(a))).status).toBe(200);
    await redis.down();

    // Tokens: the code cannot be looked up.
    const token = await get(`${own(b)}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: WEB.clientId, client_secret: WEB.secret, code: 'x', redirect_uri: WEB.redirectUri }).toString(),
    });
    expect(token.status).toBe(503);
    expect(token.headers.get('retry-after')).toBe('5');
    const body = (await token.json()) as { error: string; error_codes: number[]; error_description: string };
    expect(body).toMatchObject({ error: 'temporarily_unavailable', error_codes: [90033] });
    expect(body.error_description).toMatch(/^AADSTS90033:/);

    // A sign-in: the provider's session cannot be kept. Entra's answer, never a 500 or a stack.
    const authorize = await get(`${own(a)}/${TENANT_ID}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid', login_hint: 'ada@contoso.onmicrosoft.com' })}`);
    expect(authorize.status).not.toBe(500);
    const where = `${authorize.headers.get('location') ?? ''} ${await authorize.text()}`;
    expect(where).toMatch(/90033|temporarily_unavailable/);
    expect(where).not.toMatch(/\n\s+at /);

    // Device codes and the admin API's device approval need the store too.
    const device = await get(`${own(a)}/${TENANT_ID}/oauth2/v2.0/devicecode`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d&scope=openid' });
    expect(device.status).toBe(503);

    // Static documents need no store.
    for (const path of [`/${TENANT_ID}/v2.0/.well-known/openid-configuration`, `/${TENANT_ID}/discovery/v2.0/keys`, `/${TENANT_ID}/federationmetadata/2007-06/federationmetadata.xml`]) {
      expect((await get(`${own(b)}${path}`)).status, path).toBe(200);
    }

    await redis.up();
    // Back, empty: the instances put the keys, secrets and scenario back; a sign-in across them works again.
    expect(await recoveredSignIn(a, b)).toBe(200);
    // The scenario is back in the store: a switch on one still reaches the other.
    a.use({ when: { endpoint: 'token', header: { 'x-outage-test': '1' } }, then: { error: 50126 } }, { once: true });
    await a.settled();
    const ropc = await get(`${own(b)}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-outage-test': '1' },
      body: new URLSearchParams({ grant_type: 'password', client_id: '9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d', username: 'ada@contoso.onmicrosoft.com', password: 'Passw0rd!', scope: 'openid' }).toString(),
    });
    expect(((await ropc.json()) as { error_codes?: number[] }).error_codes).toEqual([50126]);
  });

  it('a Redis that hangs (answers nothing, closes nothing): requests that need it get the 503 after the store\'s timeout, not never', async () => {
    redis.pause();
    try {
      // Bounded by the fetch's own abort (10 s): the store gives up after 2 s per command.
      const res = await get(`${own(a)}/${TENANT_ID}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', client_id: WEB.clientId, client_secret: WEB.secret, code: 'x', redirect_uri: WEB.redirectUri }).toString(),
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error_codes: number[] }).error_codes).toEqual([90033]);
      expect((await get(`${own(a)}/${TENANT_ID}/discovery/v2.0/keys`)).status).toBe(200);
    } finally {
      redis.resume();
    }
    expect(await recoveredSignIn(a, b)).toBe(200);
  });
});
