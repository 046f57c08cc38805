/**
 * The test helper useMockEntra(): a started server behind a handle, reset after every test and
 * stopped after the file (or its describe). Two tests here depend on running in order on purpose:
 * the second one sees what the afterEach between them did.
 */
import { describe, expect, it } from 'vitest';
import type { MockEntra } from '../../src/index.js';
import { API, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra({ scenario: 'scenarios/first-test-failure.yaml' });

// Touched while the file is being collected, before any beforeAll ran.
const early = (() => {
  try {
    return { value: idp.url };
  } catch (err) {
    return { error: err as Error };
  }
})();

const clientCredentials = () =>
  fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: `${API.uri}/.default` }),
  });
const switches = async () => ((await (await fetch(`${idp.url}/_mock/scenario`)).json()) as { switches: Record<string, boolean> }).switches;

describe('useMockEntra()', () => {
  it('throws a clear error when the handle is used before the server started', () => {
    expect(early.value).toBeUndefined();
    expect(early.error?.message).toBe('useMockEntra(): the server is not started yet — use it inside a test or hook');
  });

  it('forwards properties and methods to the started server, methods bound to it', async () => {
    expect(idp.url).toMatch(/^https:\/\/localhost:\d+$/);
    expect(idp.issuer).toBe(`${idp.url}/${TENANT_ID}/v2.0`);
    expect(idp.scenario.description).toBe('SAML sign-in to sample-saml fails until the sso-enabled switch is turned on');
    expect('signIn' in idp).toBe(true);
    const { clientCredentials: appToken } = idp;
    const { access_token } = await appToken({ app: 'sample-web', scope: `${API.uri}/.default` });
    expect(access_token.split('.')).toHaveLength(3);
  });

  it('is not mistaken for a promise (no then)', async () => {
    const resolved = await Promise.resolve(idp);
    expect(resolved.tenantId).toBe(TENANT_ID);
  });

  it('lets a test add a run-time rule and flip a switch …', async () => {
    idp.use({ when: { endpoint: 'token', app: 'sample-web' }, then: { error: 7000222 } });
    idp.flip('sso-enabled');
    expect((await clientCredentials()).status).toBe(401);
    expect(await switches()).toEqual({ 'sso-enabled': true });
  });

  it('… and resets after it: the next test finds the rule gone and the switch off again', async () => {
    expect((await clientCredentials()).status).toBe(200);
    expect(await switches()).toEqual({ 'sso-enabled': false });
  });
});

let inner: MockEntra;
let innerUrl = '';
describe('useMockEntra() inside a describe', () => {
  inner = useMockEntra();

  it('starts a server of its own, on another port, with the scenario it names', () => {
    innerUrl = inner.url;
    expect(inner.port).not.toBe(idp.port);
    expect(inner.scenario.description).toBe('Contoso, a tenant where every sign-in works');
  });
});

describe('useMockEntra() after its describe finished', () => {
  it('has stopped that server, and says so when the handle is used', async () => {
    expect(innerUrl).toMatch(/^https:\/\/localhost:\d+$/);
    expect(() => inner.url).toThrow('useMockEntra(): the server has been stopped (afterAll ran) — use it inside a test or hook');
    await expect(fetch(`${innerUrl}/${TENANT_ID}/v2.0/.well-known/openid-configuration`)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });
});
