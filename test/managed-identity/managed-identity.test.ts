/**
 * Managed identity, as DefaultAzureCredential / ManagedIdentityCredential find it from the
 * environment alone: App Service's IDENTITY_ENDPOINT + IDENTITY_HEADER, and IMDS through
 * AZURE_POD_IDENTITY_AUTHORITY_HOST. The real clients (@azure/identity, msal-node) run unmodified in
 * a child process whose environment holds only those variables, PATH and NODE_EXTRA_CA_CERTS.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SCENARIO, loadScenarioFile, parseScenario, ScenarioError } from '../../src/index.js';
import { buildDirectory } from '../../src/directory/build.js';
import { explainScenario } from '../../src/scenario/explain.js';
import { serve } from '../cli/spawn.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { API, TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { type Ran, runProcess } from '../helpers/process.js';

/** The default scenario's managed identities (README, docs/managed-identity.md). */
const SYSTEM = {
  name: 'sample-webapp',
  clientId: '3e5f7a9b-2c4d-4e6f-8a1b-3c5d7e9f1a2b',
  objectId: '8d2e4f6a-1b3c-4d5e-9f7a-2b4c6d8e0f1a',
  resourceId: '/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/contoso-rg/providers/Microsoft.Web/sites/sample-webapp',
};
const USER = {
  name: 'sample-identity',
  clientId: '6f8a0b2c-4d6e-4f8a-9b0c-2d4e6f8a0b1c',
  objectId: '1a3b5c7d-9e0f-4a2b-8c4d-6e8f0a2b4c6d',
  resourceId: '/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourceGroups/contoso-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/sample-identity',
};
const ARM = 'https://management.azure.com/.default';
const V1_ISSUER = `https://sts.windows.net/${TENANT_ID}/`;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

const idp = useMockEntra();

interface Job {
  name: string;
  kind: 'mi' | 'dac' | 'msal';
  options?: Record<string, unknown>;
  scope: string;
}
type Result = { token: string; expiresOn: number; source?: string } | { error: { name: string; message: string } };

/** Runs the jobs in one child process with exactly `env` (plus PATH and the CA), in job order. */
async function runClients(env: Record<string, string>, jobs: Job[]): Promise<Record<string, Result>> {
  const ran = await runProcess(process.execPath, [resolve('test/managed-identity/client.mjs'), JSON.stringify(jobs)], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_EXTRA_CA_CERTS: idp.caCertPath, ...env } });
  return resultsOf(ran, 'client');
}

/** The client's JSON results, or what it printed when it printed none. */
function resultsOf(ran: Ran, what: string): Record<string, Result> {
  try {
    return JSON.parse(ran.stdout) as Record<string, Result>;
  } catch {
    throw new Error(`${what} exited with ${ran.status}: ${ran.stdout}${ran.stderr}`);
  }
}

function tokenOf(r: Result | undefined): string {
  if (!r || 'error' in r) throw new Error(`expected a token, got ${JSON.stringify(r)}`);
  return r.token;
}
function errorOf(r: Result | undefined): string {
  if (!r || !('error' in r)) throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.error.message;
}

/** Verifies the token's signature against the mock's JWKS, and its issuer and audience. */
async function verified(token: string, issuer: string, audience: string): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(`${idp.url}/${TENANT_ID}/discovery/v2.0/keys`));
  const { payload } = await jwtVerify(token, jwks, { issuer, audience });
  return payload;
}

/** What Entra puts in every managed identity token (reference §12.4): app-only, 24 hours, the identity's IDs. */
function expectManagedIdentityToken(c: JWTPayload, mi: typeof SYSTEM): void {
  expect(c).toMatchObject({ idtyp: 'app', oid: mi.objectId, sub: mi.objectId, tid: TENANT_ID, xms_mirid: mi.resourceId });
  expect((c.exp as number) - (c.iat as number)).toBe(86_700);
}

const raw = (path: string, headers: Record<string, string> = {}) => fetch(`${idp.url}${path}`, { headers });

describe('App Service (IDENTITY_ENDPOINT + IDENTITY_HEADER)', () => {
  let results: Record<string, Result>;
  beforeAll(async () => {
    results = await runClients(idp.managedIdentityEnv().appService, [
      { name: 'system', kind: 'mi', scope: `${API.uri}/.default` },
      { name: 'byClientId', kind: 'mi', options: { clientId: USER.clientId }, scope: ARM },
      { name: 'byResourceId', kind: 'mi', options: { resourceId: USER.resourceId }, scope: ARM },
      { name: 'byObjectId', kind: 'mi', options: { objectId: USER.objectId }, scope: 'https://graph.microsoft.com/.default' },
      { name: 'dac', kind: 'dac', scope: ARM },
      { name: 'msal', kind: 'msal', options: {}, scope: API.uri },
      { name: 'unknownIdentity', kind: 'mi', options: { clientId: UNKNOWN_ID }, scope: ARM },
    ]);
  }, 90_000);

  it('ManagedIdentityCredential gets the system-assigned identity a v2 token for the API, with the app role granted to it', async () => {
    const c = await verified(tokenOf(results.system), `${idp.url}/${TENANT_ID}/v2.0`, API.clientId);
    expectManagedIdentityToken(c, SYSTEM);
    expect(c).toMatchObject({ azp: SYSTEM.clientId, azpacr: '2', roles: [API.role], ver: '2.0' });
  });

  it('a user-assigned identity named by client ID gets a v1 ARM token: appid, appidacr 2, no roles', async () => {
    const token = tokenOf(results.byClientId);
    const c = await verified(token, V1_ISSUER, 'https://management.azure.com');
    expectManagedIdentityToken(c, USER);
    expect(c).toMatchObject({ appid: USER.clientId, appidacr: '2', idp: V1_ISSUER, ver: '1.0' });
    expect(c.roles).toBeUndefined();
    expect(decodeProtectedHeader(token).x5t).toBeDefined();
  });

  it('the same identity is found by its ARM resource ID (mi_res_id) and by its object ID (Graph token)', async () => {
    expect(decodeJwt(tokenOf(results.byResourceId))).toMatchObject({ appid: USER.clientId, xms_mirid: USER.resourceId });
    const graph = decodeJwt(tokenOf(results.byObjectId));
    expect(graph).toMatchObject({ aud: 'https://graph.microsoft.com', appid: USER.clientId, app_displayname: USER.name, oid: USER.objectId });
  });

  it('DefaultAzureCredential picks the App Service identity up from the environment', async () => {
    const c = await verified(tokenOf(results.dac), V1_ISSUER, 'https://management.azure.com');
    expectManagedIdentityToken(c, SYSTEM);
  });

  it("msal-node's own ManagedIdentityApplication uses the App Service source too", () => {
    const r = results.msal!;
    expect(r).toMatchObject({ source: 'AppService' });
    expect(decodeJwt(tokenOf(r))).toMatchObject({ aud: API.clientId, azp: SYSTEM.clientId });
  });

  it('an identity the resource does not have: App Service\'s 400 "Unable to load the proper Managed Identity."', async () => {
    expect(errorOf(results.unknownIdentity)).toContain('Unable to load the proper Managed Identity.');
    const { IDENTITY_ENDPOINT, IDENTITY_HEADER } = idp.managedIdentityEnv().appService;
    const res = await fetch(`${IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent(ARM)}&principal_id=${UNKNOWN_ID}`, { headers: { 'X-IDENTITY-HEADER': IDENTITY_HEADER } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ statusCode: 400, message: 'Unable to load the proper Managed Identity.', correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it("a resource the tenant does not have: App Service's generic 500, the cause (AADSTS50001) in the mock's request log", async () => {
    const { IDENTITY_ENDPOINT, IDENTITY_HEADER } = idp.managedIdentityEnv().appService;
    const res = await fetch(`${IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=https://unknown.example.test/`, { headers: { 'X-IDENTITY-HEADER': IDENTITY_HEADER } });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ statusCode: 500, message: 'An unexpected error occured while fetching the AAD Token.' });
    const record = idp.requests().find((r) => r.traceId === res.headers.get('x-ms-request-id'));
    expect(record).toMatchObject({ aadsts: 50001, status: 500 });
  });

  it('a missing or wrong X-IDENTITY-HEADER is refused with 401, saying where the value comes from', async () => {
    for (const headers of [{}, { 'X-IDENTITY-HEADER': 'not-the-secret' }] as Record<string, string>[]) {
      const res = await raw(`/MSI/token?api-version=2019-08-01&resource=${encodeURIComponent(API.uri)}`, headers);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { message: string }).message).toContain('IDENTITY_HEADER');
    }
  });
});

describe('IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST)', () => {
  let results: Record<string, Result>;
  beforeAll(async () => {
    results = await runClients(idp.managedIdentityEnv().imds, [
      { name: 'system', kind: 'mi', scope: ARM },
      { name: 'byClientId', kind: 'mi', options: { clientId: USER.clientId }, scope: `${API.uri}/.default` },
      { name: 'byResourceId', kind: 'mi', options: { resourceId: USER.resourceId }, scope: ARM },
      { name: 'byObjectId', kind: 'mi', options: { objectId: USER.objectId }, scope: ARM },
      { name: 'dac', kind: 'dac', scope: `${API.uri}/.default` },
      { name: 'msal', kind: 'msal', options: { managedIdentityIdParams: { userAssignedClientId: USER.clientId } }, scope: 'https://management.azure.com/' },
      { name: 'unknownIdentity', kind: 'mi', options: { objectId: UNKNOWN_ID }, scope: ARM },
      { name: 'unknownResource', kind: 'mi', scope: 'https://unknown.example.test/.default' },
    ]);
  }, 90_000);

  it('ManagedIdentityCredential gets the system-assigned identity an ARM token', async () => {
    const c = await verified(tokenOf(results.system), V1_ISSUER, 'https://management.azure.com');
    expectManagedIdentityToken(c, SYSTEM);
    expect(c).toMatchObject({ appid: SYSTEM.clientId, appidacr: '2' });
  });

  it('a user-assigned identity by client ID, resource ID (msi_res_id) and object ID', async () => {
    const api = await verified(tokenOf(results.byClientId), `${idp.url}/${TENANT_ID}/v2.0`, API.clientId);
    expectManagedIdentityToken(api, USER);
    expect(api.roles).toBeUndefined();
    for (const r of [results.byResourceId, results.byObjectId]) expect(decodeJwt(tokenOf(r))).toMatchObject({ appid: USER.clientId, xms_mirid: USER.resourceId });
  });

  it('DefaultAzureCredential gets the system-assigned identity through IMDS', async () => {
    const c = await verified(tokenOf(results.dac), `${idp.url}/${TENANT_ID}/v2.0`, API.clientId);
    expectManagedIdentityToken(c, SYSTEM);
    expect(c.roles).toEqual([API.role]);
  });

  it("msal-node's ManagedIdentityApplication uses the IMDS source", () => {
    // DefaultToImds: IMDS because no other source's variables are set (msal-node's name for it).
    expect(results.msal).toMatchObject({ source: expect.stringMatching(/^(DefaultToImds|Imds)$/) });
    expect(decodeJwt(tokenOf(results.msal))).toMatchObject({ aud: 'https://management.azure.com/', appid: USER.clientId });
  });

  it('an unknown identity: "Identity not found"; an unknown resource: invalid_resource with AADSTS50001', () => {
    expect(errorOf(results.unknownIdentity)).toContain('Identity not found');
    expect(errorOf(results.unknownResource)).toContain('AADSTS50001');
  });

  it('answers in IMDS\'s shape: every value a string, 24 hours from not_before + 5 minutes', async () => {
    const res = await raw(`/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent('https://management.azure.com/')}`, { Metadata: 'true' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string>;
    expect(Object.keys(body)).toEqual(['access_token', 'client_id', 'expires_in', 'expires_on', 'ext_expires_in', 'not_before', 'resource', 'token_type']);
    expect(body).toMatchObject({ client_id: SYSTEM.clientId, expires_in: '86400', resource: 'https://management.azure.com/', token_type: 'Bearer' });
    expect(Number(body.expires_on) - Number(body.not_before)).toBe(86_700);
    expect(decodeJwt(body.access_token!).aud).toBe('https://management.azure.com/');
  });

  it('the SDK probe (no query, no Metadata header) gets an answer: 400 bad_request_102', async () => {
    const res = await raw('/metadata/identity/oauth2/token');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'bad_request_102', error_description: 'Required metadata header not specified' });
  });

  it("IMDS's errors as JSON: no such identity, no such resource", async () => {
    const id = await raw(`/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(API.uri)}&client_id=${UNKNOWN_ID}`, { Metadata: 'true' });
    expect([id.status, await id.json()]).toEqual([400, { error: 'invalid_request', error_description: 'Identity not found' }]);
    const res = await raw('/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://unknown.example.test/', { Metadata: 'true' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_resource');
    expect(body.error_description).toMatch(new RegExp(`^AADSTS50001: The application named https://unknown.example.test/ wasn't found in the tenant named ${TENANT_ID}\\.`));
  });
});

describe('fault rules on the managed identity endpoints', () => {
  it('a rule scoped to the identity by name shapes the token a real client gets', async () => {
    idp.use({ when: { endpoint: 'managedIdentity', app: USER.name }, then: { setClaims: { xms_mirid: '/subscriptions/moved' } } });
    const results = await runClients(idp.managedIdentityEnv().imds, [
      { name: 'user', kind: 'mi', options: { clientId: USER.clientId }, scope: ARM },
      { name: 'system', kind: 'mi', scope: ARM },
    ]);
    expect(decodeJwt(tokenOf(results.user)).xms_mirid).toBe('/subscriptions/moved');
    expect(decodeJwt(tokenOf(results.system)).xms_mirid).toBe(SYSTEM.resourceId);
  }, 60_000);

  it('a one-time outage (503, Retry-After 1) on App Service: the credential retries and gets its token', async () => {
    const before = idp.requests().length;
    idp.use({ name: 'mi-outage', when: { endpoint: 'managedIdentity', app: USER.clientId }, then: { status: 503, retryAfter: 1 } }, { once: true });
    const results = await runClients(idp.managedIdentityEnv().appService, [{ name: 'user', kind: 'mi', options: { clientId: USER.clientId }, scope: ARM }]);
    expect(decodeJwt(tokenOf(results.user)).appid).toBe(USER.clientId);
    const tried = idp.requests().slice(before).filter((r) => r.app === USER.name);
    expect(tried.map((r) => [r.status, r.rule])).toEqual([
      [503, 'mi-outage'],
      [200, undefined],
    ]);
  }, 60_000);

  it('a rule scoped by client ID fails the request: AADSTS code through IMDS, the generic 500 through App Service', async () => {
    idp.use({ name: 'mi-secret-expired', when: { endpoint: 'managedIdentity', app: SYSTEM.clientId }, then: { error: 7000222 } });
    const results = await runClients(idp.managedIdentityEnv().imds, [{ name: 'system', kind: 'mi', scope: ARM }]);
    expect(errorOf(results.system)).toContain('AADSTS7000222');
    const { IDENTITY_ENDPOINT, IDENTITY_HEADER } = idp.managedIdentityEnv().appService;
    const res = await fetch(`${IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${encodeURIComponent(API.uri)}`, { headers: { 'X-IDENTITY-HEADER': IDENTITY_HEADER } });
    expect(res.status).toBe(500);
    expect(idp.requests().find((r) => r.traceId === res.headers.get('x-ms-request-id'))).toMatchObject({ aadsts: 7000222, rule: 'mi-secret-expired', app: SYSTEM.name });
  }, 60_000);
});

/** A private network namespace (root, unshare and ip): 169.254.169.254 can be bound there without touching the machine. */
const netns = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && ip addr add 169.254.169.254/32 dev lo'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();

/**
 * In a new network namespace: 169.254.169.254 on its loopback, `mock-entra serve --no-tls --host
 * 0.0.0.0 --port 80` (IMDS is plain HTTP; every address of the namespace, 169.254.169.254 among them),
 * then the clients with no Azure variable at all.
 */
async function runInNetns(jobs: Job[]): Promise<Record<string, Result>> {
  const script = [
    'set -e',
    'ip link set lo up',
    'ip addr add 169.254.169.254/32 dev lo',
    'out=$(mktemp)',
    `"$NODE" "$MAIN" serve --no-tls --host 0.0.0.0 --port 80 --certs-dir "$CERTS" --log-format json > "$out" 2>&1 &`,
    'pid=$!',
    'i=0',
    // Bounded: 20 s at most for the server to listen.
    'until grep -q listening "$out"; do i=$((i+1)); if [ $i -gt 200 ]; then cat "$out" >&2; kill $pid; exit 91; fi; sleep 0.1; done',
    'set +e',
    '"$NODE" "$CLIENT" "$JOBS"; code=$?',
    'kill $pid; wait $pid 2>/dev/null; rm -f "$out"',
    'exit $code',
  ].join('\n');
  const ran = await runProcess('unshare', ['-n', 'sh', '-c', script], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE: process.execPath, MAIN: resolve('dist/cli/main.js'), CERTS: TEST_CERTS_DIR, CLIENT: resolve('test/managed-identity/client.mjs'), JOBS: JSON.stringify(jobs) },
  });
  return resultsOf(ran, 'namespace run');
}

describe.skipIf(!netns)('IMDS at http://169.254.169.254 (in a private network namespace: needs root, unshare and ip)', () => {
  it('DefaultAzureCredential, ManagedIdentityCredential and msal-node find it with no Azure variable set', async () => {
    const results = await runInNetns([
      { name: 'dac', kind: 'dac', scope: ARM },
      { name: 'user', kind: 'mi', options: { clientId: USER.clientId }, scope: `${API.uri}/.default` },
      { name: 'msal', kind: 'msal', options: {}, scope: 'https://management.azure.com/' },
    ]);
    expect(decodeJwt(tokenOf(results.dac))).toMatchObject({ aud: 'https://management.azure.com', appid: SYSTEM.clientId, xms_mirid: SYSTEM.resourceId });
    expect(decodeJwt(tokenOf(results.user))).toMatchObject({ aud: API.clientId, azp: USER.clientId, iss: `http://localhost:80/${TENANT_ID}/v2.0` });
    expect(results.msal).toMatchObject({ source: 'DefaultToImds' });
    expect(decodeJwt(tokenOf(results.msal)).appid).toBe(SYSTEM.clientId);
  }, 90_000);
});

describe('where a user reads the environment from', () => {
  it('the admin API serves it with the identities, the dashboard shows it, mock-entra serve prints it (--identity-header fixes the header)', async () => {
    const res = await raw('/_mock/managed-identity');
    expect(await res.json()).toEqual({
      ...idp.managedIdentityEnv(),
      identities: [
        { name: SYSTEM.name, type: 'systemAssigned', clientId: SYSTEM.clientId, objectId: SYSTEM.objectId, resourceId: SYSTEM.resourceId },
        { name: USER.name, type: 'userAssigned', clientId: USER.clientId, objectId: USER.objectId, resourceId: USER.resourceId },
      ],
    });
    // Without the line-break hints (<wbr>) the dashboard puts in long IDs and URLs.
    const dashboard = (await (await raw('/')).text()).replace(/<wbr>/g, '');
    expect(dashboard).toContain('<h2 id="managed-identities">Managed identities</h2>');
    for (const value of [SYSTEM.clientId, USER.objectId, USER.resourceId, idp.managedIdentityEnv().appService.IDENTITY_HEADER]) expect(dashboard).toContain(value);
    const header = 'f0e1d2c3-b4a5-4697-8877-665544332211';
    const served = await serve(['--certs-dir', TEST_CERTS_DIR, '--identity-header', header]);
    try {
      const listening = JSON.parse(served.output().split('\n').find((l) => l.includes('"listening"'))!) as { managedIdentity: unknown };
      expect(listening.managedIdentity).toEqual({
        appService: { IDENTITY_ENDPOINT: `${served.url}/MSI/token`, IDENTITY_HEADER: header },
        imds: { AZURE_POD_IDENTITY_AUTHORITY_HOST: served.url },
      });
      const token = await fetch(`${served.url}/MSI/token?api-version=2019-08-01&resource=${encodeURIComponent(API.uri)}`, { headers: { 'X-IDENTITY-HEADER': header } });
      expect(token.status).toBe(200);
    } finally {
      await served.stop();
    }
  }, 30_000);
});

describe('managed identities in the scenario', () => {
  const base = {
    tenant: { id: TENANT_ID, domain: 'contoso.onmicrosoft.com' },
    apps: [{ name: 'api', api: { identifierUri: 'api://x', scopes: ['read'], roles: ['Data.Read'] } }],
  };
  const problems = (managedIdentities: unknown[]) => {
    try {
      parseScenario({ ...base, managedIdentities }, 'mi.yaml');
      return [];
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      return err.problems;
    }
  };

  it('scenario explain lists them, with what each is granted', async () => {
    const text = explainScenario(await loadScenarioFile(DEFAULT_SCENARIO), 'default');
    expect(text).toContain('  - sample-webapp: system-assigned (requests naming no identity get it), granted sample-api: Data.Read.\n  - sample-identity: user-assigned.');
  });

  it('derives stable IDs and the ARM resource ID from the name', () => {
    const build = () => buildDirectory(parseScenario({ ...base, managedIdentities: [{ name: 'app1', type: 'systemAssigned' }, { name: 'id1', type: 'userAssigned', resourceGroup: 'rg1' }] })).tenants[0]!.managedIdentities;
    const [system, user] = build();
    expect(system!.resourceId).toMatch(/^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/mock-entra\/providers\/Microsoft\.Web\/sites\/app1$/);
    expect(user!.resourceId).toMatch(/^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/rg1\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/id1$/);
    expect(new Set([system!.clientId, system!.objectId, user!.clientId, user!.objectId]).size).toBe(4);
    expect(build().map((m) => [m.clientId, m.objectId])).toEqual([system, user].map((m) => [m!.clientId, m!.objectId]));
  });

  it('allows one system-assigned identity, and application permissions (app roles) only', () => {
    const found = problems([
      { name: 'a', type: 'systemAssigned', permissions: { api: ['read'] } },
      { name: 'b', type: 'systemAssigned', permissions: { nope: ['Data.Read'] } },
    ]);
    expect(found).toEqual([
      expect.stringContaining("managedIdentities[0].permissions.api: 'read' is not an app role of api"),
      expect.stringContaining('managedIdentities[1].type: only one systemAssigned identity is allowed'),
      expect.stringContaining("managedIdentities[1].permissions.nope: no app named 'nope'"),
    ]);
  });
});
