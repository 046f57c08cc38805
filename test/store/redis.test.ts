/**
 * Three instances on one Redis behave as one server: a sign-in begun on one is finished on
 * another (msal-node), device codes, codes redeemed once, a rule that fires once in total, a
 * scenario switch and a switch flipped on one seen on the others. Requests are sent to the
 * instance a test names: every instance answers for the same public URL (as behind a balancer),
 * and the test's HTTP layer sends each request to the instance it chooses.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ConfidentialClientApplication, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO, loadScenarioFile, type MockEntra, type ScenarioInput, start } from '../../src/index.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { ADA, CLI, TENANT_ID, WEB } from '../helpers/ids.js';
import { codeFrom, form, freePort, HAVE_REDIS, on, own, redeem, TestRedis } from './support.js';

/** msal-node's HTTP: every request goes to the instance `target()` names. */
class Routed implements INetworkModule {
  constructor(
    private readonly target: () => MockEntra,
    private readonly publicUrl: string,
  ) {}
  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>(url, 'GET', options);
  }
  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>(url, 'POST', options);
  }
  private async send<T>(url: string, method: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    const res = await fetch(on(this.target(), url, this.publicUrl), { method, headers: options?.headers, body: options?.body, signal: AbortSignal.timeout(10_000) });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    return { status: res.status, headers, body: (await res.json()) as T };
  }
}

/** Requests each instance answered itself (its own 'request' events; the logs are shared). */
function answered(idp: MockEntra): { path: string; status: number }[] {
  const seen: { path: string; status: number }[] = [];
  idp.events.on('request', (r) => seen.push({ path: r.path, status: r.status }));
  return seen;
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
const headerOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe.skipIf(!HAVE_REDIS)('three instances on one Redis', () => {
  let redis: TestRedis;
  let publicUrl: string;
  let a: MockEntra;
  let b: MockEntra;
  let c: MockEntra;

  beforeAll(async () => {
    redis = await TestRedis.start();
    publicUrl = `https://localhost:${await freePort()}`;
    const one = () => start({ store: redis.url, certsDir: TEST_CERTS_DIR, publicUrl });
    a = await one();
    [b, c] = await Promise.all([one(), one()]);
  });
  afterAll(async () => {
    await Promise.all([a, b, c].map((i) => i?.stop()));
    await redis?.stop();
  });

  it('an msal-node auth-code sign-in begun on A is redeemed on B and refreshed on C, all signed with the same key', async () => {
    let target = a;
    const app = new ConfidentialClientApplication({
      auth: { clientId: WEB.clientId, clientSecret: WEB.secret, authority: `${publicUrl}/${TENANT_ID}`, knownAuthorities: [new URL(publicUrl).host] },
      system: { networkClient: new Routed(() => target, publicUrl) },
    });
    const onB = answered(b);
    const onC = answered(c);
    const verifier = randomBytes(32).toString('base64url');
    const authUrl = await app.getAuthCodeUrl({ scopes: ['openid', 'profile', 'offline_access'], redirectUri: WEB.redirectUri, loginHint: ADA.upn, codeChallenge: createHash('sha256').update(verifier).digest('base64url'), codeChallengeMethod: 'S256' });
    const res = await fetch(on(a, authUrl, publicUrl), { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
    const code = new URL(res.headers.get('location')!).searchParams.get('code');
    expect(code).toBeTruthy();

    target = b;
    const tokens = await app.acquireTokenByCode({ code: code!, redirectUri: WEB.redirectUri, scopes: ['openid', 'profile'], codeVerifier: verifier });
    expect(tokens.idTokenClaims).toMatchObject({ iss: `${publicUrl}/${TENANT_ID}/v2.0`, preferred_username: ADA.upn, aud: WEB.clientId });
    expect(onB.some((r) => r.path.endsWith('/oauth2/v2.0/token') && r.status === 200)).toBe(true);

    target = c;
    const cache = JSON.parse(app.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
    const refreshToken = Object.values(cache.RefreshToken)[0]!.secret;
    const refreshed = await app.acquireTokenByRefreshToken({ refreshToken, scopes: ['openid', 'profile'] });
    expect(refreshed?.idTokenClaims).toMatchObject({ preferred_username: ADA.upn });
    expect(onC.some((r) => r.path.endsWith('/oauth2/v2.0/token') && r.status === 200)).toBe(true);
    // Every instance signs with the key the store holds, and publishes it.
    expect(headerOf(refreshed!.idToken).kid).toBe(headerOf(tokens.idToken).kid);
    const jwks = (await (await fetch(`${own(c)}/${TENANT_ID}/discovery/v2.0/keys`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(headerOf(tokens.idToken).kid);
    expect(a.caCert).toBe(c.caCert);
  });

  it('a code redeemed on B is refused on C as already redeemed (AADSTS54005)', async () => {
    const code = await codeFrom(a);
    const first = await redeem(b, code);
    expect(first.status).toBe(200);
    const replay = await redeem(c, code);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant', error_codes: [54005] });
  });

  it('two redemptions of one code at once, on two instances: one gets tokens, the other AADSTS54005', async () => {
    const code = await codeFrom(c);
    const answers = await Promise.all([redeem(a, code), redeem(b, code)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
    const refused = answers.find((r) => r.status === 400)!;
    expect(((await refused.json()) as { error_codes: number[] }).error_codes).toEqual([54005]);
  });

  it('a device code issued by A, polled on C while pending, approved on A, is redeemed by a poll on B, once', async () => {
    const issued = (await (await fetch(`${own(a)}/${TENANT_ID}/oauth2/v2.0/devicecode`, form({ client_id: CLI.clientId, scope: 'openid profile' }))).json()) as { device_code: string; user_code: string };
    const poll = (idp: MockEntra) => fetch(`${own(idp)}/${TENANT_ID}/oauth2/v2.0/token`, form({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: CLI.clientId, device_code: issued.device_code }));
    const pending = await poll(c);
    expect(await pending.json()).toMatchObject({ error: 'authorization_pending', error_codes: [70016] });
    await a.approveDeviceCode(issued.user_code, ADA.upn);
    const done = await poll(b);
    expect(done.status).toBe(200);
    expect(claimsOf(((await done.json()) as { id_token: string }).id_token)).toMatchObject({ preferred_username: ADA.upn });
    // Used up everywhere.
    expect(((await (await poll(c)).json()) as { error_codes: number[] }).error_codes).toEqual([9002313]);
  });

  it('a run-time rule with times: 1, added on A, fires once in total across the three instances', async () => {
    a.use({ when: { endpoint: 'token', header: { 'x-store-test': 'once' } }, then: { error: 50126 } }, { once: true });
    await a.settled();
    const ropc = (idp: MockEntra) =>
      fetch(`${own(idp)}/${TENANT_ID}/oauth2/v2.0/token`, { ...form({ grant_type: 'password', client_id: CLI.clientId, username: ADA.upn, password: ADA.password, scope: 'openid' }), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-store-test': 'once' } });
    const answers = await Promise.all([a, b, c, a, b, c, a, b, c].map(ropc));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 400)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(8);
    // The admin API of any instance counts every instance's requests.
    const state = (await (await fetch(`${own(b)}/_mock/scenario`)).json()) as { rules: { source: string; matched: number; fired: number }[] };
    expect(state.rules.find((r) => r.source === 'runtime')).toMatchObject({ matched: 9, fired: 1 });
    a.reset();
    await a.settled();
    expect(c.scenario.rules).toHaveLength(a.scenario.rules.length);
  });

  it('a scenario switch on A is in force on B and C once it resolves; a switch flipped on B fails requests on C', async () => {
    const before = a.scenario;
    await a.useScenario({
      ...(await loadScenarioFile(DEFAULT_SCENARIO)),
      description: 'switched on A',
      switches: { outage: false },
      rules: [{ name: 'outage', when: { endpoint: 'token' }, then: { status: 503, retryAfter: 7 }, times: { while: 'outage' } }],
    } as ScenarioInput);
    for (const idp of [b, c]) expect(idp.scenario.description).toBe('switched on A');
    const state = (await (await fetch(`${own(c)}/_mock/scenario`)).json()) as { description: string; switches: Record<string, boolean> };
    expect(state).toMatchObject({ description: 'switched on A', switches: { outage: false } });

    b.flip('outage', true);
    await b.settled();
    const res = await fetch(`${own(c)}/${TENANT_ID}/oauth2/v2.0/token`, form({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: 'api://sample-api/.default' }));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toMatchObject({ error_codes: [90033] });

    await c.useScenario(before);
    for (const idp of [a, b]) expect(idp.scenario.description).toBe(before.description);
  });

  it('the sign-in log and the request log of one instance show the others\' sign-ins', async () => {
    const code = await codeFrom(c);
    expect((await redeem(c, code)).status).toBe(200);
    const mine = c.signIns({ user: ADA.upn })[0]!;
    // The record reaches the others through the store (pub/sub): a bounded wait on loopback.
    let seen: string | undefined;
    for (let i = 0; i < 100 && seen !== mine.id; i++) {
      seen = a.signIns({ user: ADA.upn }).find((r) => r.id === mine.id)?.id;
      if (seen !== mine.id) await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toBe(mine.id);
    const graph = (await (await fetch(`${own(b)}/_mock/signins?user=${encodeURIComponent(ADA.upn)}`)).json()) as { signIns: { id: string }[] };
    expect(graph.signIns.map((r) => r.id)).toContain(mine.id);
  });
});
