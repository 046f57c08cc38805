/**
 * Property-based fuzzing of every route in the route table (server/routes.ts), the admin API and
 * unknown paths: whatever a client sends, the mock answers without a 5xx, without a stack trace or
 * a file path, and with an error shaped for the route's channel (properties.ts).
 *
 * Deterministic: a fixed seed (FUZZ_SEED overrides) and FUZZ_RUNS runs per property (default 25;
 * `npm run fuzz` sets 2000). A failure shrinks to a small counter-example and prints the request
 * (method, path, headers, body) and the answer (status, first 300 characters).
 *
 * Plain HTTP (tls: false): the fuzzer is about what the handlers do with input, not TLS, and raw
 * node:http requests carry invalid percent-encoding exactly as written. Every request has a 5 s
 * timeout (FUZZ_TIMEOUT_MS): a hang fails the property instead of stalling the suite.
 *
 * The server state stays the default scenario: no fault rules are installed, PUT /_mock/scenario
 * only ever gets invalid bodies, /_mock/rules only bodies that are not a rule, switches only names
 * the scenario does not have, and /_mock/keys/rotate is never sent. After each property the server
 * must still serve discovery and a client-credentials token, with the default scenario and no rules.
 *
 * Environment:
 *   FUZZ_RUNS=n         runs per property (default 25; `npm run fuzz`: 2000)
 *   FUZZ_SEED=n         another fixed seed
 *   FUZZ_SURVEY=1       keep going after a failure and list one example per distinct cause
 *   FUZZ_SURVEY_OUT=f   with FUZZ_SURVEY, also append every failure to f as JSON lines
 *   FUZZ_STATS=1        print how often each route answered each status / AADSTS code
 *   FUZZ_ADMIN_PATHS=1  also send file paths to PUT /_mock/scenario ({"path": …}): off by default.
 *   FUZZ_ADMIN_PATHS=all  the same and /dev/zero, which the current server may read until it hangs
 *                       or runs out of memory; FIFOs are never sent.
 */
import { appendFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario, parseScenarioText } from '../../src/index.js';
import { ROUTES, type RouteDef } from '../../src/server/routes.js';
import { ADA, API, CLI, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { adminRequest, type FuzzContext, routeRequest, SAML_APP, unknownPathRequest, wrongMethodRequest } from './arbitraries.js';
import { type Answer, describeAnswer, describeRequest, type FuzzRequest, send } from './http.js';
import { answerProblems, type CheckContext, type Expectation, normalizeRedirect, routeFor } from './properties.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_f022);
/** Per property: generous for the long run; a hang fails on the request's own 5 s timeout first. */
const PROPERTY_TIMEOUT = Math.max(30_000, RUNS * 400);

const idp = useMockEntra({ tls: false });

let fuzz: FuzzContext;
let check: CheckContext;
let port: number;
let defaultState: { source: string; rules: number };

/** FUZZ_STATS=1: print how often each route answered each status and AADSTS code (how deep the fuzzer gets). */
const STATS = process.env.FUZZ_STATS === '1';
const stats = new Map<string, number>();
afterAll(() => {
  if (STATS) console.log([...stats.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${String(n).padStart(5)} ${k}`).join('\n'));
});

class ProbeFailure extends Error {
  /** Route and problems with the request's own values left out: one key per cause. */
  declare readonly key: string;
  declare readonly detail: { req: FuzzRequest; status?: number; body?: string };
  constructor(message: string, key: string, detail: { req: FuzzRequest; status?: number; body?: string }) {
    super(message);
    // Not enumerable: vitest would print them again under "Serialized Error".
    Object.defineProperty(this, 'key', { value: key, enumerable: false });
    Object.defineProperty(this, 'detail', { value: detail, enumerable: false });
  }
}

/** Sends `req`, checks the answer against what the route that serves it promises, throws a replayable report if not. */
async function probe(req: FuzzRequest, expect?: Expectation): Promise<Answer> {
  const served = routeFor(req.method, req.path);
  const expectation: Expectation = expect ?? served?.channel ?? (req.source.endsWith('(wrong method)') ? 'wrong-method' : 'unknown');
  const where = `${served?.name ?? 'no route'} (checked as ${expectation})`;
  let answer: Answer;
  try {
    answer = await send(port, req);
  } catch (err) {
    throw new ProbeFailure(`no answer: ${(err as Error).message}\n  answered by: ${where}\n${describeRequest(req)}`, `${where}: no answer`, { req });
  }
  if (STATS) {
    const code = /AADSTS(\d+)/.exec(answer.body)?.[1] ?? (answer.headers.location ? `→${String(answer.headers.location).slice(0, 30)}` : '');
    const k = `${served?.name ?? req.source} ${answer.status} ${code}`;
    stats.set(k, (stats.get(k) ?? 0) + 1);
  }
  const problems = answerProblems(req, answer, expectation, check, served?.def);
  if (problems.length) {
    const key = `${where}: ${problems.map((p) => p.replace(/"[^"]*"/g, '"…"')).join('; ')}`;
    throw new ProbeFailure([`${problems.join('; ')}`, `  answered by: ${where}`, describeRequest(req), describeAnswer(answer)].join('\n'), key, { req, status: answer.status, body: answer.body.slice(0, 300) });
  }
  return answer;
}

/** The server still answers: discovery, a client-credentials token, and the default scenario with no rules. */
async function stillHealthy(): Promise<void> {
  const discovery = await send(port, { source: 'health', method: 'GET', path: `/${TENANT_ID}/v2.0/.well-known/openid-configuration`, headers: {} });
  expect(discovery.status, discovery.body.slice(0, 300)).toBe(200);
  expect(JSON.parse(discovery.body).issuer).toBe(idp.issuer);
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: `${API.uri}/.default` }).toString();
  const token = await send(port, { source: 'health', method: 'POST', path: `/${TENANT_ID}/oauth2/v2.0/token`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
  expect(token.status, token.body.slice(0, 300)).toBe(200);
  expect(typeof JSON.parse(token.body).access_token).toBe('string');
  const state = await send(port, { source: 'health', method: 'GET', path: '/_mock/scenario', headers: {} });
  const s = JSON.parse(state.body) as { source: string; rules: unknown[] };
  expect({ source: s.source, rules: s.rules.length }, 'the fuzzer must leave the default scenario in force, with no rules').toEqual(defaultState);
}

/**
 * FUZZ_SURVEY=1: instead of stopping at the first failure and shrinking it, keep going and fail at
 * the end with one example per distinct cause (route + problems), to list everything a run finds.
 */
const SURVEY = process.env.FUZZ_SURVEY === '1';

async function runProperty(arb: fc.Arbitrary<FuzzRequest>, seed: number): Promise<void> {
  const found = new Map<string, { count: number; example: string }>();
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (req) => {
        try {
          await probe(req);
        } catch (err) {
          if (!SURVEY || !(err instanceof ProbeFailure)) throw err;
          const seen = found.get(err.key);
          if (seen) seen.count++;
          else found.set(err.key, { count: 1, example: err.message });
          if (process.env.FUZZ_SURVEY_OUT) {
            const { req: r, status, body } = err.detail;
            const request = { method: r.method, path: r.path, headers: r.headers, body: typeof r.body === 'string' ? r.body.slice(0, 20000) : r.body && `<${r.body.length} bytes>` };
            appendFileSync(process.env.FUZZ_SURVEY_OUT, `${JSON.stringify({ key: err.key, status, body, request })}\n`);
          }
        }
      }),
      { seed, numRuns: RUNS, endOnFailure: false, verbose: 0 },
    );
  } finally {
    await stillHealthy();
  }
  if (found.size) {
    const list = [...found.entries()].map(([key, { count, example }]) => `● ${key} (${count}×)\n${example}`);
    throw new Error(`${found.size} distinct failure(s):\n\n${list.join('\n\n')}`);
  }
}

const seedOf = (name: string) => [...name].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) | 0, SEED);

/** Material only a running server has, so generated requests get past the first checks. */
async function collectMaterial(): Promise<FuzzContext> {
  const graph = await idp.signIn({ user: ADA.upn, app: 'sample-web', scopes: ['openid', 'profile', 'offline_access', 'User.Read'] });
  const api = await idp.signIn({ user: ADA.upn, app: 'sample-web', scopes: ['openid', `${API.uri}/access_as_user`] });
  const app = await idp.clientCredentials({ app: 'sample-web', scope: `${API.uri}/.default` });
  const tenant = idp.directory.tenants[0]!;
  const uids: string[] = [];
  const cookies: string[] = [];
  for (let i = 0; i < 3; i++) {
    // A sign-in waiting at the account picker: its uid and cookies (the login page and the resumed authorize need them).
    const q = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid', state: `s${i}`, nonce: `n${i}` });
    const a = await send(port, { source: 'setup', method: 'GET', path: `/${TENANT_ID}/oauth2/v2.0/authorize?${q}`, headers: {} });
    const uid = /\/login\/([^/?#]+)/.exec(String(a.headers.location ?? ''))?.[1];
    if (uid) uids.push(uid);
    const jar = (a.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).join('; ');
    if (jar) cookies.push(jar);
  }
  const samlIds: string[] = [];
  const saml = await send(port, { source: 'setup', method: 'GET', path: `/${TENANT_ID}/saml2?SAMLRequest=${SAML_REDIRECT_REQUEST()}&RelayState=r`, headers: {} });
  const samlId = /saml2\/login\/([\w-]+)/.exec(saml.body)?.[1];
  if (samlId) samlIds.push(samlId);
  const userCodes: string[] = [];
  const deviceCodes: string[] = [];
  for (let i = 0; i < 2; i++) {
    const d = await send(port, { source: 'setup', method: 'POST', path: `/${TENANT_ID}/oauth2/v2.0/devicecode`, headers: { 'Content-Type': FORM }, body: `client_id=${CLI.clientId}&scope=openid` });
    const j = JSON.parse(d.body) as { user_code?: string; device_code?: string };
    if (j.user_code) userCodes.push(j.user_code);
    if (j.device_code) deviceCodes.push(j.device_code);
  }
  const material = {
    origin: idp.url,
    tokens: [graph.access_token, graph.id_token, api.access_token, app.access_token].filter((t): t is string => typeof t === 'string'),
    refreshTokens: [graph.refresh_token].filter((t): t is string => typeof t === 'string'),
    objectIds: [...tenant.users.map((u) => u.id), ...tenant.groups.map((g) => g.id)],
    uids,
    cookies,
    samlIds,
    userCodes,
    deviceCodes,
    traceIds: idp.requests().slice(-5).map((r) => r.traceId),
  };
  // Every list feeds fc.constantFrom: none may be empty (a sign-in that changed shape shows here first).
  for (const [k, v] of Object.entries(material)) if (Array.isArray(v)) expect(v.length, `setup collected no ${k}`).toBeGreaterThan(0);
  return material;
}

beforeAll(async () => {
  port = idp.port;
  const tenant = idp.directory.tenants[0]!;
  const state = JSON.parse((await send(port, { source: 'health', method: 'GET', path: '/_mock/scenario', headers: {} })).body) as { source: string; rules: unknown[] };
  defaultState = { source: state.source, rules: state.rules.length };
  expect(defaultState.rules).toBe(0);
  check = {
    scenarioSource: state.source,
    redirectUris: new Set(tenant.apps.flatMap((a) => [...a.redirectUris, ...a.spaRedirectUris, ...a.postLogoutRedirectUris, ...(a.saml?.replyUrls ?? [])]).map(normalizeRedirect)),
    origin: idp.url,
    faultFired: (traceId) => idp.requests().some((r) => r.traceId === traceId && r.rule !== undefined),
  };
  fuzz = await collectMaterial();
  await stillHealthy();
});

describe('fuzz: every route answers bad input Entra-shaped, never with a 5xx or a stack trace', () => {
  it('the admin bodies the fuzzer sends are never a valid scenario or rule (so the state stays the default)', () => {
    for (const text of ['{bad', 'null', '[]', '42', '"str"', '', ' ', 'tenant: [', 'tenant:\n  id: 5', '- a\n- b']) {
      expect(() => parseScenarioText(text), `YAML body ${JSON.stringify(text)}`).toThrow();
    }
    for (const obj of [{ tenant: 5 }, { tenant: { id: 'not-a-guid' } }, { apps: 'x' }, { path: 5 }, { path: '', extra: 1 }, { path: 'x', extra: 1 }, JSON.parse('{"__proto__": {"polluted": 1}}')]) {
      expect(() => parseScenario(obj as never), `JSON body ${JSON.stringify(obj)}`).toThrow();
    }
  });

  describe.each(ROUTES.map((def) => [def.name, def] as [string, RouteDef]))('route %s', (name, def) => {
    it(`${def.methods.join('|')} ${def.path} (${def.channel})`, { timeout: PROPERTY_TIMEOUT }, async () => {
      await runProperty(routeRequest(fuzz, def), seedOf(name));
    });
  });

  it('methods the routes do not serve get an Entra-shaped 404/405', { timeout: PROPERTY_TIMEOUT }, async () => {
    const arbs = ROUTES.map((def) => wrongMethodRequest(fuzz, def)).filter((a): a is fc.Arbitrary<FuzzRequest> => a !== undefined);
    await runProperty(fc.oneof(...arbs), seedOf('wrong-method'));
  });

  it('unknown paths get an Entra-shaped JSON 404', { timeout: PROPERTY_TIMEOUT }, async () => {
    await runProperty(unknownPathRequest(fuzz), seedOf('unknown'));
  });

  it('the admin API (/_mock) refuses bad input Entra-shaped and keeps the default scenario', { timeout: PROPERTY_TIMEOUT }, async () => {
    await runProperty(adminRequest(fuzz), seedOf('admin'));
  });
});

// ---------------------------------------------------------------------------------------------
// Regressions: inputs known to have crashed the server (issue 10), checked on every run.

const form = (fields: Record<string, string>) => ({ body: new URLSearchParams(fields).toString() });
const FORM = 'application/x-www-form-urlencoded';

interface Regression {
  name: string;
  request: () => Omit<FuzzRequest, 'source'>;
  /** The channel the answer is checked in; default: the route that serves it. */
  expect?: Expectation;
  /** Extra assertions on the answer. */
  also?: (a: Answer) => void;
}

const SAML_REDIRECT_REQUEST = () => {
  // A well-formed Redirect-binding AuthnRequest for sample-saml, with a SigAlg that is not valid percent-encoding.
  const xml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_regression1" Version="2.0" IssueInstant="${new Date().toISOString()}" AssertionConsumerServiceURL="${SAML_APP.acs}"><saml:Issuer>${SAML_APP.identifier}</saml:Issuer></samlp:AuthnRequest>`;
  return encodeURIComponent(deflateRawSync(xml).toString('base64'));
};

const REGRESSIONS: Regression[] = [
  ...(['/oauth2/v2.0/token', '/oauth2/token'] as const).map(
    (p): Regression => ({
      name: `Authorization: Basic JUUwOng= at ${p} (client ID "%E0" is not valid percent-encoding)`,
      request: () => {
        const f = form({ grant_type: 'client_credentials', scope: `${API.uri}/.default` });
        return { method: 'POST', path: `/${TENANT_ID}${p}`, headers: { 'Content-Type': FORM, Authorization: 'Basic JUUwOng=' }, body: f.body };
      },
      also: (a) => expect(a.status).toBeGreaterThanOrEqual(400),
    }),
  ),
  {
    name: 'Authorization: Basic JUUwOng= at the device code endpoint',
    request: () => ({ method: 'POST', path: `/${TENANT_ID}/oauth2/v2.0/devicecode`, headers: { 'Content-Type': FORM, Authorization: 'Basic JUUwOng=' }, body: 'scope=openid' }),
  },
  ...['/v1.0/me', '/v1.0/me/memberOf', `/v1.0/users/${ADA.upn}`, '/oidc/userinfo', `/${TENANT_ID}/openid/userinfo`].map(
    (p): Regression => ({
      name: `Bearer bnVsbA.bnVsbA.eA (null.null.x) at ${p}`,
      request: () => ({ method: 'GET', path: p, headers: { Authorization: 'Bearer bnVsbA.bnVsbA.eA' } }),
      also: (a) => expect(a.status).toBe(401),
    }),
  ),
  {
    name: 'Bearer bnVsbA.bnVsbA.eA at POST /v1.0/me/getMemberObjects',
    request: () => ({ method: 'POST', path: '/v1.0/me/getMemberObjects', headers: { Authorization: 'Bearer bnVsbA.bnVsbA.eA', 'Content-Type': 'application/json' }, body: '{"securityEnabledOnly":false}' }),
    also: (a) => expect(a.status).toBe(401),
  },
  {
    name: 'On-behalf-of with assertion=bnVsbA.bnVsbA.eA',
    request: () => ({
      method: 'POST',
      path: `/${TENANT_ID}/oauth2/v2.0/token`,
      headers: { 'Content-Type': FORM },
      body: form({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', requested_token_use: 'on_behalf_of', client_id: WEB.clientId, client_secret: WEB.secret, assertion: 'bnVsbA.bnVsbA.eA', scope: `${API.uri}/.default` }).body,
    }),
    also: (a) => expect(a.status).toBe(400),
  },
  ...(['/oauth2/v2.0/token', '/oauth2/token'] as const).map(
    (p): Regression => ({
      name: `client_assertion=bnVsbA.bnVsbA.eA at ${p}`,
      request: () => ({
        method: 'POST',
        path: `/${TENANT_ID}${p}`,
        headers: { 'Content-Type': FORM },
        body: form({
          grant_type: 'client_credentials',
          client_id: WEB.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: 'bnVsbA.bnVsbA.eA',
          scope: `${API.uri}/.default`,
          resource: API.uri,
        }).body,
      }),
      also: (a) => expect(a.status).toBeGreaterThanOrEqual(400),
    }),
  ),
  {
    name: 'GET /common/userrealm/%25 (a user name that is not valid percent-encoding once decoded)',
    request: () => ({ method: 'GET', path: '/common/userrealm/%25?api-version=1.0', headers: {} }),
  },
  {
    name: 'GET /common/userrealm/%E0%A4%A',
    request: () => ({ method: 'GET', path: '/common/userrealm/%E0%A4%A', headers: {} }),
  },
  {
    name: 'GET /v1.0/users/%25 without a token',
    request: () => ({ method: 'GET', path: '/v1.0/users/%25', headers: {} }),
  },
  {
    name: 'GET /v1.0/users/%25 with a valid Graph token',
    request: () => ({ method: 'GET', path: '/v1.0/users/%25', headers: { Authorization: `Bearer ${fuzz.tokens[0]}` } }),
  },
  {
    name: 'GET /v1.0/users/%25/memberOf with a valid Graph token',
    request: () => ({ method: 'GET', path: '/v1.0/users/%25/memberOf', headers: { Authorization: `Bearer ${fuzz.tokens[0]}` } }),
  },
  {
    name: 'SAML Redirect binding with SigAlg=%E0%A4%A',
    request: () => ({ method: 'GET', path: `/${TENANT_ID}/saml2?SAMLRequest=${SAML_REDIRECT_REQUEST()}&SigAlg=%E0%A4%A&Signature=AAAA`, headers: {} }),
  },
  {
    name: 'SAML Redirect binding with Signature=%E0%A4%A',
    request: () => ({ method: 'GET', path: `/${TENANT_ID}/saml2?SAMLRequest=${SAML_REDIRECT_REQUEST()}&SigAlg=${encodeURIComponent('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256')}&Signature=%E0%A4%A`, headers: {} }),
  },
  ...(
    [
      ['{bad', 'application/json'],
      ['null', 'application/json'],
      ['{bad', 'application/yaml'],
      ['null', 'text/plain'],
      ['[]', 'application/json'],
    ] as const
  ).map(
    ([body, ct]): Regression => ({
      name: `PUT /_mock/scenario with ${body} (${ct})`,
      request: () => ({ method: 'PUT', path: '/_mock/scenario', headers: { 'Content-Type': ct }, body }),
      also: (a) => expect(a.status).toBe(400),
    }),
  ),
  ...['{bad', 'null'].map(
    (body): Regression => ({
      name: `POST /_mock/rules with ${body}`,
      request: () => ({ method: 'POST', path: '/_mock/rules', headers: { 'Content-Type': 'application/json' }, body }),
      also: (a) => expect(a.status).toBe(400),
    }),
  ),
  // Found by this suite (not in issue 10).
  {
    name: 'Basic credentials whose secret is not valid percent-encoding (client:%zz) at the token endpoint',
    request: () => ({ method: 'POST', path: `/${TENANT_ID}/oauth2/v2.0/token`, headers: { 'Content-Type': FORM, Authorization: `Basic ${Buffer.from(`${WEB.clientId}:%zz`).toString('base64')}` }, body: `grant_type=client_credentials&scope=${encodeURIComponent(`${API.uri}/.default`)}` }),
    also: (a) => expect(a.status).toBeGreaterThanOrEqual(400),
  },
  {
    name: 'GET /authorize/:uid for an unknown interaction, with a client_id',
    request: () => ({ method: 'GET', path: `/${TENANT_ID}/oauth2/v2.0/authorize/0?client_id=${CLI.clientId}`, headers: {} }),
  },
  {
    name: 'POST /authorize (the form_post request of a sign-in) is served, not answered as an unknown path',
    request: () => ({
      method: 'POST',
      path: `/${TENANT_ID}/oauth2/v2.0/authorize`,
      headers: { 'Content-Type': FORM },
      body: new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid', state: 's', nonce: 'n' }).toString(),
    }),
  },
  {
    name: 'POST /logout is served, not answered as an unknown path',
    request: () => ({ method: 'POST', path: `/${TENANT_ID}/oauth2/v2.0/logout`, headers: { 'Content-Type': FORM }, body: `post_logout_redirect_uri=${encodeURIComponent(WEB.postLogoutRedirectUri)}` }),
  },
  {
    name: 'POST /logout/confirm without a sign-out in progress answers Entra’s page, not the provider’s JSON',
    request: () => ({ method: 'POST', path: `/${TENANT_ID}/oauth2/v2.0/logout/confirm`, headers: { 'Content-Type': FORM }, body: 'xsrf=x&logout=yes' }),
  },
  ...(
    [
      ['/devicelogin', 'page'],
      [`/${TENANT_ID}/saml2`, 'page'],
      [`/${TENANT_ID}/oauth2/v2.0/authorize`, 'redirect'],
      ['/v1.0/me/getMemberObjects', 'graph'],
    ] as const
  ).map(
    ([p, channel]): Regression => ({
      name: `a form body over the 256 KiB limit at ${p} answers in the ${channel} channel`,
      request: () => ({ method: 'POST', path: p, headers: { 'Content-Type': FORM }, body: `otc=x&pad=${'a'.repeat(300 * 1024)}` }),
    }),
  ),
  {
    name: 'the dashboard’s page for a trace ID not in the log',
    request: () => ({ method: 'GET', path: '/requests/00000000-0000-0000-0000-000000000000', headers: {} }),
  },
  // Graph routes answer in Graph's envelope, not the token endpoint's.
  {
    name: 'GET /v1.0/me without a token answers in Graph’s envelope',
    request: () => ({ method: 'GET', path: '/v1.0/me', headers: {} }),
    also: (a) => expect(a.status).toBe(401),
  },
  {
    name: 'GET /v1.0/me with a token for another API answers in Graph’s envelope',
    request: () => ({ method: 'GET', path: '/v1.0/me', headers: { Authorization: `Bearer ${fuzz.tokens[2]}` } }),
    also: (a) => expect(a.status).toBe(401),
  },
  {
    name: 'GET /v1.0/users/nobody@contoso.onmicrosoft.com answers 404 in Graph’s envelope',
    request: () => ({ method: 'GET', path: '/v1.0/users/nobody@contoso.onmicrosoft.com', headers: { Authorization: `Bearer ${fuzz.tokens[0]}` } }),
  },
  {
    name: `POST /${TENANT_ID}/users/%25/getMemberObjects (the overage endpoint) answers in Graph’s envelope`,
    request: () => ({ method: 'POST', path: `/${TENANT_ID}/users/%25/getMemberObjects`, headers: { Authorization: `Bearer ${fuzz.tokens[0]}`, 'Content-Type': 'application/json' }, body: '{bad' }),
  },
];

describe('fuzz regressions: known crashing inputs (issue 10) answer Entra-shaped', () => {
  it.each(REGRESSIONS.map((r) => [r.name, r] as [string, Regression]))('%s', async (_name, r) => {
    const req: FuzzRequest = { source: 'regression', ...r.request() };
    const answer = await probe(req, r.expect);
    r.also?.(answer);
    await stillHealthy();
  });
});
