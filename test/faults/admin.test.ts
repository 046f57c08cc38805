/**
 * The admin API under /_mock/ (what a developer reaches with curl) and run-time rules from
 * start()'s handle (what a test reaches with idp.use): scoping, occurrence, issue-time effects.
 * One server for the file (plus one with an admin token in its describe); each test starts on the default scenario.
 */
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadScenarioFile, type MockEntra } from '../../src/index.js';
import { ADA, API, CLI, GRACE, TENANT_DOMAIN, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { authnRequest, browse, pageCode, redirectUrl } from '../saml/support.js';

const idp = useMockEntra();
// Tests switch scenarios, which reset() does not undo.
beforeEach(async () => {
  await idp.useScenario('scenarios/default.yaml');
});

interface Described {
  source: string;
  description: string | null;
  tenants: Array<{ id: string; domain: string }>;
  switches: Record<string, boolean>;
  rules: Array<{ id: string; name: string | null; source: 'scenario' | 'runtime'; matched: number; fired: number; explain: string }>;
}
interface Recorded {
  method: string;
  path: string;
  status: number;
  aadsts?: number;
  rule?: string;
}
interface TokenAnswer {
  access_token?: string;
  id_token?: string;
  error?: string;
  error_codes?: number[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const tokenUrl = () => `${idp.url}/${TENANT_ID}/oauth2/v2.0/token`;
const jwksUrl = () => new URL(`${idp.url}/${TENANT_ID}/discovery/v2.0/keys`);

function admin(path: string, init: RequestInit = {}, server: MockEntra = idp): Promise<Response> {
  return fetch(`${server.url}/_mock${path}`, init);
}
const json = (body: unknown): RequestInit => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const yaml = (body: string): RequestInit => ({ headers: { 'content-type': 'text/yaml' }, body });

async function state(): Promise<Described> {
  const res = await admin('/scenario');
  expect(res.status).toBe(200);
  return (await res.json()) as Described;
}

async function recorded(): Promise<Recorded[]> {
  const res = await admin('/requests');
  expect(res.status).toBe(200);
  return ((await res.json()) as { requests: Recorded[] }).requests;
}

/** sample-web asks for an app-only token for sample-api. */
function clientCredentials(opts: { headers?: Record<string, string>; clientId?: string; secret?: string } = {}): Promise<Response> {
  return fetch(tokenUrl(), {
    method: 'POST',
    headers: opts.headers,
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: opts.clientId ?? WEB.clientId, client_secret: opts.secret ?? WEB.secret, scope: `${API.uri}/.default` }),
  });
}

/** ROPC (grant_type=password) as sample-web, or as the public client sample-cli (no secret). */
function password(user: { upn: string; password: string }, opts: { scope?: string; headers?: Record<string, string>; app?: 'web' | 'cli' } = {}): Promise<Response> {
  const client: Record<string, string> = opts.app === 'cli' ? { client_id: CLI.clientId } : { client_id: WEB.clientId, client_secret: WEB.secret };
  return fetch(tokenUrl(), {
    method: 'POST',
    headers: opts.headers,
    body: new URLSearchParams({ grant_type: 'password', ...client, username: user.upn, password: user.password, scope: opts.scope ?? 'User.Read' }),
  });
}

async function answer(res: Response): Promise<{ status: number; body: TokenAnswer }> {
  return { status: res.status, body: (await res.json()) as TokenAnswer };
}

/** The status of each of `n` requests made one after the other. */
async function statuses(n: number, call: () => Promise<Response>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await call();
    await res.arrayBuffer();
    out.push(res.status);
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A complete scenario as YAML text: the admin API cannot follow `extends` without a file. */
function scenarioYaml(o: { tenantId?: string; rules?: string; description?: string } = {}): string {
  return `description: ${o.description ?? 'inline scenario from a test'}
tenant:
  id: ${o.tenantId ?? TENANT_ID}
  domain: ${TENANT_DOMAIN}
users:
  - upn: ${ADA.upn}
    name: ${ADA.name}
    password: ${ADA.password}
    mail: ${ADA.upn}
apps:
  - name: sample-web
    clientId: ${WEB.clientId}
    secrets: [${WEB.secret}]
    redirectUris: [${WEB.redirectUri}]
    permissions:
      sample-api: [Data.Read]
  - name: sample-api
    clientId: ${API.clientId}
    api:
      identifierUri: ${API.uri}
      scopes: [access_as_user]
      roles: [Data.Read]
${o.rules ?? ''}`;
}

describe('admin API: the scenario in force', () => {
  it('GET /_mock/scenario describes the running scenario: source, description, tenants, switches and rules in plain words', async () => {
    await idp.useScenario('scenarios/first-test-failure.yaml');
    const s = await state();
    expect(s.source).toBe('scenarios/first-test-failure.yaml');
    expect(s.description).toBe('SAML sign-in to sample-saml fails until the sso-enabled switch is turned on');
    expect(s.tenants).toEqual([{ id: TENANT_ID, domain: TENANT_DOMAIN }]);
    expect(s.switches).toEqual({ 'sso-enabled': false });
    expect(s.rules).toHaveLength(1);
    const rule = s.rules[0]!;
    expect(rule).toMatchObject({ name: 'sso-not-enabled-yet', source: 'scenario', matched: 0, fired: 0 });
    expect(rule.id).toMatch(UUID);
    expect(rule.explain).toContain('saml requests');
    expect(rule.explain).toContain('sample-saml');
    expect(rule.explain).toContain('fail with AADSTS7000112');
    expect(rule.explain).toContain("until switch 'sso-enabled' is turned on");
    expect(rule.explain).not.toMatch(/[{}[\]]/);
  });

  it('GET /_mock/scenario counts how often each rule matched and fired', async () => {
    await idp.useScenario('scenarios/first-test-failure.yaml');
    const page = await browse(redirectUrl(idp, authnRequest().xml, { login_hint: ADA.upn }));
    expect(pageCode(page.html)).toBe('7000112');
    expect((await state()).rules[0]).toMatchObject({ matched: 1, fired: 1 });
  });

  it('PUT /_mock/scenario with a YAML body switches to that scenario', async () => {
    const rules = `rules:
  - name: secret-expired
    when: { endpoint: token, app: sample-web }
    then: { error: 7000222 }
`;
    const res = await admin('/scenario', { method: 'PUT', ...yaml(scenarioYaml({ rules, description: 'secrets expired' })) });
    expect(res.status).toBe(200);
    const s = (await res.json()) as Described;
    expect(s).toMatchObject({ source: '<inline>', description: 'secrets expired', tenants: [{ id: TENANT_ID, domain: TENANT_DOMAIN }] });
    expect(s.rules.map((r) => r.name)).toEqual(['secret-expired']);
    const token = await answer(await clientCredentials());
    expect(token.status).toBe(401);
    expect(token.body).toMatchObject({ error: 'invalid_client', error_codes: [7000222] });
  });

  it('PUT /_mock/scenario with JSON { path } switches to a scenario file', async () => {
    const res = await admin('/scenario', { method: 'PUT', ...json({ path: 'scenarios/outage.yaml' }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Described).source).toBe('scenarios/outage.yaml');
    const token = await clientCredentials();
    expect(token.status).toBe(503);
    expect(token.headers.get('retry-after')).toBe('30');
    expect(await token.json()).toMatchObject({ error_codes: [90033] });
  });

  it('PUT /_mock/scenario refuses a bad tenant ID with 400 invalid_scenario naming tenant.id, and the running scenario stays in force', async () => {
    await admin('/scenario', { method: 'PUT', ...json({ path: 'scenarios/expired-client-secret.yaml' }) });
    const before = await answer(await clientCredentials());
    expect(before.body.error_codes).toEqual([7000222]);

    const res = await admin('/scenario', { method: 'PUT', ...yaml(scenarioYaml({ tenantId: 'not-a-guid' })) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; problems: string[] };
    expect(body.error).toBe('invalid_scenario');
    expect(body.problems.some((p) => p.startsWith('tenant.id:') && p.includes('GUID'))).toBe(true);

    expect((await state()).source).toBe('scenarios/expired-client-secret.yaml');
    const after = await answer(await clientCredentials());
    expect(after.status).toBe(401);
    expect(after.body.error_codes).toEqual([7000222]);
  });

  it('PUT /_mock/scenario refuses a rule with an unknown AADSTS code, naming rules[0].then.error, and the running scenario stays in force', async () => {
    const bad = `rules:
  - when: { endpoint: token }
    then: { error: 1234567 }
`;
    const res = await admin('/scenario', { method: 'PUT', ...yaml(scenarioYaml({ rules: bad })) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; problems: string[] };
    expect(body.error).toBe('invalid_scenario');
    expect(body.problems.some((p) => p.startsWith('rules[0].then.error:') && p.includes('1234567'))).toBe(true);

    expect((await state()).source).toBe('scenarios/default.yaml');
    const token = await answer(await clientCredentials());
    expect(token.status).toBe(200);
    expect(token.body.access_token).toBeTruthy();
  });

  it('PUT /_mock/scenario refuses JSON that is not JSON with 400 invalid_scenario', async () => {
    const res = await admin('/scenario', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{ not json' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_scenario' });
    expect((await state()).source).toBe('scenarios/default.yaml');
  });

  it('a request in flight when the scenario switches finishes in the old scenario; the next one meets the new', async () => {
    idp.use({ name: 'slow-token', when: { endpoint: 'token', app: 'sample-web' }, then: { delayMs: 400 } });
    let settled = false;
    const slow = clientCredentials().then((r) => {
      settled = true;
      return r;
    });
    // Wait until the slow request has reached the fault gate (its world is pinned by then).
    for (let i = 0; i < 50 && !(await state()).rules.some((r) => r.name === 'slow-token' && r.matched === 1); i++) await sleep(10);

    const put = await admin('/scenario', { method: 'PUT', ...json({ path: 'scenarios/outage.yaml' }) });
    expect(put.status).toBe(200);
    expect(settled, 'the switch should not wait for the slow request').toBe(false);

    const finished = await answer(await slow);
    expect(finished.status).toBe(200);
    expect(finished.body.access_token).toBeTruthy();
    expect((await clientCredentials()).status).toBe(503);
  });
});

describe('admin API: reset, requests, switches, rules', () => {
  it('POST /_mock/reset zeroes counters, restores switches, removes run-time rules and clears the request list', async () => {
    const base = await loadScenarioFile('scenarios/default.yaml');
    await idp.useScenario({
      ...base,
      switches: { fixed: false },
      rules: [{ name: 'until-fixed', when: { endpoint: 'token', header: { 'x-test-id': 'reset' } }, then: { error: 7000222 }, times: { until: 'fixed' } }],
    });
    expect((await clientCredentials({ headers: { 'x-test-id': 'reset' } })).status).toBe(401);
    expect((await admin('/switches/fixed', { method: 'POST' })).status).toBe(200);
    expect((await admin('/rules', { method: 'POST', ...json({ name: 'extra', then: { delayMs: 1 } }) })).status).toBe(201);
    const before = await state();
    expect((await recorded()).filter((r) => r.path.endsWith('/token')).at(-1)).toMatchObject({ status: 401, rule: 'until-fixed' });
    expect(before.switches).toEqual({ fixed: true });
    expect(before.rules.map((r) => r.name)).toEqual(['extra', 'until-fixed']);
    expect(before.rules[1]).toMatchObject({ matched: 1, fired: 1 });

    const res = await admin('/reset', { method: 'POST' });
    expect(res.status).toBe(200);
    const after = (await res.json()) as Described;
    expect(after.switches).toEqual({ fixed: false });
    expect(after.rules).toHaveLength(1);
    expect(after.rules[0]).toMatchObject({ name: 'until-fixed', source: 'scenario', matched: 0, fired: 0 });
    // Only the admin calls made since the reset are listed; the token request is gone.
    expect((await recorded()).filter((r) => !r.path.startsWith('/_mock'))).toEqual([]);
    // The switch is off again, so the rule is back in force.
    expect((await clientCredentials({ headers: { 'x-test-id': 'reset' } })).status).toBe(401);
  });

  it('GET /_mock/requests lists recent requests with method, path, status, AADSTS code and the rule that fired', async () => {
    idp.use({ name: 'expired-secret', when: { endpoint: 'token', header: { 'x-test-id': 'requests' } }, then: { error: 7000222 } });
    await (await clientCredentials({ headers: { 'x-test-id': 'requests' } })).arrayBuffer();
    await (await clientCredentials()).arrayBuffer();
    const tokenPath = `/${TENANT_ID}/oauth2/v2.0/token`;
    const list = (await recorded()).filter((r) => r.path === tokenPath).slice(-2);
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ method: 'POST', path: tokenPath, status: 401, aadsts: 7000222, rule: 'expired-secret' });
    expect(list[1]).toMatchObject({ method: 'POST', path: tokenPath, status: 200 });
    expect(list[1]!.aadsts).toBeUndefined();
    expect(list[1]!.rule).toBeUndefined();
    // The same list from the handle.
    expect(idp.requests().filter((r) => r.path === tokenPath).slice(-2).map((r) => r.rule)).toEqual(['expired-secret', undefined]);
  });

  it('GET /_mock/requests names an unnamed rule by its id', async () => {
    const id = idp.use({ when: { endpoint: 'token', header: { 'x-test-id': 'unnamed' } }, then: { error: 7000222 } });
    await (await clientCredentials({ headers: { 'x-test-id': 'unnamed' } })).arrayBuffer();
    expect((await recorded()).filter((r) => r.path.endsWith('/token')).at(-1)?.rule).toBe(id);
  });

  it('POST /_mock/switches/{name} turns a switch on without a body and off with {"on":false}; an unknown switch is 404', async () => {
    await idp.useScenario('scenarios/first-test-failure.yaml');
    const on = await admin('/switches/sso-enabled', { method: 'POST' });
    expect(on.status).toBe(200);
    expect(await on.json()).toEqual({ switches: { 'sso-enabled': true } });
    expect((await state()).switches).toEqual({ 'sso-enabled': true });

    const off = await admin('/switches/sso-enabled', { method: 'POST', ...json({ on: false }) });
    expect(off.status).toBe(200);
    expect(await off.json()).toEqual({ switches: { 'sso-enabled': false } });

    const unknown = await admin('/switches/no-such-switch', { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'unknown_switch' });
  });

  it('POST /_mock/rules adds a run-time rule (201 with id and explanation) that fires once; DELETE /_mock/rules/{id} removes it (204)', async () => {
    const created = await admin('/rules', { method: 'POST', ...json({ when: { endpoint: 'token', app: 'sample-web' }, then: { error: 7000222 }, once: true }) });
    expect(created.status).toBe(201);
    const { id, explain } = (await created.json()) as { id: string; explain: string };
    expect(id).toMatch(UUID);
    expect(explain).toContain('token requests for app sample-web');
    expect(explain).toContain('fail with AADSTS7000222');
    expect(explain).toContain('the first time only');
    expect((await state()).rules).toEqual([expect.objectContaining({ id, source: 'runtime', matched: 0, fired: 0 })]);

    expect((await answer(await clientCredentials())).body.error_codes).toEqual([7000222]);
    expect((await clientCredentials()).status).toBe(200);

    const removed = await admin(`/rules/${id}`, { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect((await state()).rules).toEqual([]);
    const again = await admin(`/rules/${id}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
  });

  it('DELETE /_mock/rules/{id} lifts a rule that is still firing', async () => {
    const created = await admin('/rules', { method: 'POST', ...json({ when: { endpoint: 'token', header: { 'x-test-id': 'delete' } }, then: { status: 503 } }) });
    const { id } = (await created.json()) as { id: string };
    expect(await statuses(2, () => clientCredentials({ headers: { 'x-test-id': 'delete' } }))).toEqual([503, 503]);
    expect((await admin(`/rules/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await clientCredentials({ headers: { 'x-test-id': 'delete' } })).status).toBe(200);
  });

  it('POST /_mock/rules refuses an invalid rule with 400 invalid_rule', async () => {
    for (const bad of [{ when: { endpoint: 'token' }, then: {} }, { when: { endpoint: 'nowhere' }, then: { error: 7000222 } }, { then: { error: 7000222 }, times: { sometimes: 2 } }]) {
      const res = await admin('/rules', { method: 'POST', ...json(bad) });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_rule' });
    }
    const notJson = await admin('/rules', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(notJson.status).toBe(400);
    expect((await state()).rules).toEqual([]);
  });

  it('POST /_mock/rules refuses an AADSTS code that is not in the catalogue, as a scenario file would', async () => {
    const res = await admin('/rules', { method: 'POST', ...json({ when: { endpoint: 'token', header: { 'x-test-id': 'unknown-code' } }, then: { error: 1234567 } }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_rule' });
    expect((await state()).rules).toEqual([]);
  });
});

describe('admin API and other sites', () => {
  it('refuses a request a page on another site sends from the browser (foreign Origin), even on loopback', async () => {
    const res = await admin('/reset', { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'forbidden' });
    expect((await admin('/scenario', { headers: { origin: idp.url } })).status).toBe(200);
  });
});

describe('admin API with an admin token', () => {
  const guarded = useMockEntra({ adminToken: 's3cret' });

  // Without a token the API answers loopback only (403 otherwise); every caller here is on
  // loopback, so that refusal cannot be exercised from this test.
  it('answers 401 without Authorization: Bearer s3cret, or with a wrong token, and 200 with it', async () => {
    const without = await admin('/scenario', {}, guarded);
    expect(without.status).toBe(401);
    expect(await without.json()).toMatchObject({ error: 'unauthorized' });
    expect((await admin('/scenario', { headers: { authorization: 'Bearer wrong' } }, guarded)).status).toBe(401);
    expect((await admin('/reset', { method: 'POST' }, guarded)).status).toBe(401);
    const withToken = await admin('/scenario', { headers: { authorization: 'Bearer s3cret' } }, guarded);
    expect(withToken.status).toBe(200);
    expect(((await withToken.json()) as Described).tenants[0]?.id).toBe(TENANT_ID);
  });
});

describe('run-time rules from the handle', () => {
  it('idp.use(…, { once: true }): the first token request fails with AADSTS7000222 (HTTP 401), the second succeeds', async () => {
    idp.use({ when: { endpoint: 'token', app: 'sample-web' }, then: { error: 7000222 } }, { once: true });
    const first = await answer(await clientCredentials());
    expect(first.status).toBe(401);
    expect(first.body).toMatchObject({ error: 'invalid_client', error_codes: [7000222] });
    const second = await answer(await clientCredentials());
    expect(second.status).toBe(200);
    expect(second.body.access_token).toBeTruthy();
  });

  it('a rule scoped by when.header hits only requests carrying that header value', async () => {
    idp.use({ when: { endpoint: 'token', header: { 'x-test-id': 'A' } }, then: { error: 7000222 } });
    expect((await clientCredentials({ headers: { 'x-test-id': 'A' } })).status).toBe(401);
    expect((await clientCredentials({ headers: { 'x-test-id': 'B' } })).status).toBe(200);
    expect((await clientCredentials()).status).toBe(200);
  });

  it('a rule scoped by when.user hits only ROPC for that user', async () => {
    idp.use({ when: { endpoint: 'token', user: ADA.upn }, then: { error: 50076 } });
    const ada = await answer(await password(ADA));
    expect(ada.status).toBe(400);
    expect(ada.body).toMatchObject({ error: 'invalid_grant', error_codes: [50076] });
    const grace = await answer(await password(GRACE));
    expect(grace.status).toBe(200);
    expect(grace.body.access_token).toBeTruthy();
    // Client credentials carry no user: not hit either.
    expect((await clientCredentials()).status).toBe(200);
  });

  it('a rule scoped by when.app hits only that client, by client ID or by name', async () => {
    for (const app of [WEB.clientId, 'sample-web']) {
      idp.reset();
      idp.use({ when: { endpoint: 'token', app }, then: { error: 7000222 } });
      expect((await clientCredentials()).status, app).toBe(401);
      expect((await password(ADA)).status, app).toBe(401);
      const cli = await answer(await password(ADA, { app: 'cli' }));
      expect(cli.status, `${app}: sample-cli is not hit`).toBe(200);
      expect(cli.body.access_token).toBeTruthy();
    }
  });

  it('a later run-time rule goes ahead of earlier ones and of the scenario rules (first match wins)', async () => {
    const base = await loadScenarioFile('scenarios/default.yaml');
    await idp.useScenario({ ...base, rules: [{ name: 'scenario-rule', when: { endpoint: 'token' }, then: { error: 7000222 } }] });
    expect((await answer(await clientCredentials())).body.error_codes).toEqual([7000222]);
    idp.use({ name: 'earlier', when: { endpoint: 'token', header: { 'x-test-id': 'order' } }, then: { error: 7000215 } });
    idp.use({ name: 'later', when: { endpoint: 'token', header: { 'x-test-id': 'order' } }, then: { status: 429, retryAfter: 5 } });
    const res = await clientCredentials({ headers: { 'x-test-id': 'order' } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('5');
    expect((await state()).rules.map((r) => [r.name, r.source])).toEqual([
      ['later', 'runtime'],
      ['earlier', 'runtime'],
      ['scenario-rule', 'scenario'],
    ]);
    // Requests the run-time rules do not match still meet the scenario's rule.
    expect((await answer(await clientCredentials())).body.error_codes).toEqual([7000222]);
  });

  it('idp.reset() removes run-time rules', async () => {
    idp.use({ when: { endpoint: 'token', app: 'sample-web' }, then: { error: 7000222 } });
    expect((await clientCredentials()).status).toBe(401);
    idp.reset();
    expect((await clientCredentials()).status).toBe(200);
    expect((await state()).rules).toEqual([]);
  });
});

describe('issue-time effects', () => {
  const idToken = async (headers: Record<string, string> = {}) => {
    const res = await answer(await password(ADA, { scope: 'openid profile email', headers }));
    expect(res.status).toBe(200);
    expect(res.body.id_token).toBeTruthy();
    return res.body.id_token!;
  };
  const verify = (jwt: string) => jwtVerify(jwt, createRemoteJWKSet(jwksUrl()), { issuer: idp.issuer, audience: WEB.clientId });

  it('removeClaims: [email] leaves email out of the ID token of a password grant', async () => {
    expect(decodeJwt(await idToken()).email).toBe(ADA.upn);
    idp.use({ when: { endpoint: 'token' }, then: { removeClaims: ['email'] } });
    const claims = decodeJwt(await idToken());
    expect(claims.email).toBeUndefined();
    expect(claims.name).toBe(ADA.name);
  });

  it('setClaims: { name: Mallory } overrides the name claim, and the token still verifies', async () => {
    idp.use({ when: { endpoint: 'token' }, then: { setClaims: { name: 'Mallory' } } });
    const token = await idToken();
    expect(decodeJwt(token).name).toBe('Mallory');
    expect((await verify(token)).payload.name).toBe('Mallory');
  });

  it('breakSignature: jose rejects the token against the JWKS, while an unaffected token verifies', async () => {
    idp.use({ when: { endpoint: 'token', header: { 'x-test-id': 'broken' } }, then: { breakSignature: true } });
    const broken = await idToken({ 'x-test-id': 'broken' });
    await expect(verify(broken)).rejects.toThrow(/signature verification failed/);
    await expect(verify(await idToken())).resolves.toMatchObject({ payload: { name: ADA.name, aud: WEB.clientId } });
  });

  it('swapKey: the token is signed with a key whose kid is not in the JWKS', async () => {
    idp.use({ when: { endpoint: 'token' }, then: { swapKey: true } });
    const token = await idToken();
    const published = (await (await fetch(jwksUrl())).json()) as { keys: Array<{ kid: string }> };
    const kid = decodeProtectedHeader(token).kid;
    expect(kid).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(published.keys.map((k) => k.kid)).not.toContain(kid);
    await expect(verify(token)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('clockSkewSeconds: -7200 issues a token that has already expired', async () => {
    idp.use({ when: { endpoint: 'token' }, then: { clockSkewSeconds: -7200 } });
    const token = await idToken();
    const { exp } = decodeJwt(token);
    expect(exp).toBeLessThan(Date.now() / 1000);
    await expect(verify(token)).rejects.toThrow(/"exp" claim timestamp check failed/);
  });
});

describe('occurrence (times) and delay', () => {
  const tagged = (id: string) => () => clientCredentials({ headers: { 'x-test-id': id } });

  it('times: { every: 3 } fires on the 3rd and 6th matching requests only', async () => {
    idp.use({ when: { endpoint: 'token', header: { 'x-test-id': 'every' } }, then: { status: 429 }, times: { every: 3 } });
    expect(await statuses(7, tagged('every'))).toEqual([200, 200, 429, 200, 200, 429, 200]);
  });

  it('times: { after: 2 } fires from the 3rd matching request on', async () => {
    idp.use({ when: { endpoint: 'token', header: { 'x-test-id': 'after' } }, then: { status: 503 }, times: { after: 2 } });
    expect(await statuses(4, tagged('after'))).toEqual([200, 200, 503, 503]);
  });

  it('times: { first: 2 } fires on the first two matching requests only', async () => {
    idp.use({ when: { endpoint: 'token', header: { 'x-test-id': 'first' } }, then: { status: 503 }, times: { first: 2 } });
    expect(await statuses(4, tagged('first'))).toEqual([503, 503, 200, 200]);
  });

  it("times: { until: 'x' } fires until idp.flip('x')", async () => {
    const base = await loadScenarioFile('scenarios/default.yaml');
    await idp.useScenario({ ...base, switches: { x: false } });
    idp.use({ when: { endpoint: 'token', header: { 'x-test-id': 'until' } }, then: { error: 7000222 }, times: { until: 'x' } });
    expect(await statuses(2, tagged('until'))).toEqual([401, 401]);
    idp.flip('x');
    expect(await statuses(2, tagged('until'))).toEqual([200, 200]);
    expect(() => idp.flip('no-such-switch')).toThrow(/no switch named 'no-such-switch'/);
  });

  it('delayMs holds the answer back: a request sent after the delayed one is answered first, then the delayed one succeeds', async () => {
    idp.use({ name: 'slow', when: { endpoint: 'token', header: { 'x-test-id': 'delay' } }, then: { delayMs: 1500 } });
    let settled = false;
    const delayed = tagged('delay')().then((r) => {
      settled = true;
      return r;
    });
    // Wait until the delayed request has reached the fault gate, then send another one.
    for (let i = 0; i < 100 && !(await state()).rules.some((r) => r.name === 'slow' && r.matched === 1); i++) await sleep(10);
    expect((await clientCredentials()).status).toBe(200);
    expect(settled, 'the delayed request was answered before the one sent after it').toBe(false);
    const res = await answer(await delayed);
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.access_token!)).toMatchObject({ aud: API.clientId, roles: [API.role] });
    expect(idp.requests().findLast((r) => r.rule === 'slow')).toMatchObject({ status: 200 });
  });
});
