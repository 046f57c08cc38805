/**
 * Real, unmodified clients through `HTTPS_PROXY` against the mock answering as
 * login.microsoftonline.com: the only changes are environment variables (the proxy, the CA), the
 * authorities are Entra's own (https://login.microsoftonline.com/{tid}, the SDKs' defaults).
 *
 * Python: Debian's python3-requests and python3-msal with /usr/bin/python3; @azure/identity in a
 * child Node process (NODE_EXTRA_CA_CERTS is read at start-up); the Azure CLI (Debian's azure-cli).
 * .ci/run installs the Debian packages; on a machine without them these tests are skipped, in CI
 * they fail.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEntra, start } from '../../src/index.js';
import { ADA, API, CLI, TENANT_ID, WEB } from '../helpers/ids.js';
import { asMicrosoftBehindProxy, MS_LOGIN, proxyEnv, runClient } from './support.js';

const PYTHON = '/usr/bin/python3';
// Synchronous on purpose: these run while the file is collected, before any server starts.
const spawnOk = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const pythonHas = (mod: string) => existsSync(PYTHON) && spawnOk(PYTHON, ['-c', `import ${mod}`]);
/** In CI (.ci/run installs them) a missing client is a failure, not a skip. */
const missing = (has: boolean) => !has && !process.env.CI;

const AUTHORITY = `https://${MS_LOGIN}/${TENANT_ID}`;
const V2_ISSUER = `https://${MS_LOGIN}/${TENANT_ID}/v2.0`;

let idp: MockEntra;
let cleanup: () => void;

beforeAll(async () => {
  // The default scenario plus an app with federated credentials (sample-workload), for the workload identity case.
  const made = asMicrosoftBehindProxy({ scenario: resolve('docs/examples/workload-identity.yaml') });
  cleanup = made.cleanup;
  idp = await start(made.opts);
});

afterAll(async () => {
  await idp?.stop();
  cleanup?.();
});

/** Paths the mock answered since `since` (an index into its request list). */
const pathsSince = (since: number) => idp.requests().slice(since).map((r) => r.path);

/** Runs a Python program with Debian's interpreter; its last stdout line is JSON. */
async function python(program: string, args: string[]): Promise<Record<string, unknown>> {
  const ran = await runClient(PYTHON, ['-c', program, ...args], proxyEnv(idp));
  expect(ran.status, ran.stderr).toBe(0);
  return JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe.skipIf(missing(pythonHas('requests')))('Python requests through HTTPS_PROXY', () => {
  it('reads the tenant\'s discovery document and the user realm at https://login.microsoftonline.com', async () => {
    const out = await python(
      `
import json, sys, requests
tid, upn = sys.argv[1:]
d = requests.get(f"https://login.microsoftonline.com/{tid}/v2.0/.well-known/openid-configuration", timeout=20)
r = requests.get(f"https://login.microsoftonline.com/common/userrealm/{upn}?api-version=1.0", timeout=20)
print(json.dumps({"status": d.status_code, "issuer": d.json()["issuer"], "token_endpoint": d.json()["token_endpoint"], "realm": r.json()}))
`,
      [TENANT_ID, ADA.upn],
    );
    expect(out).toMatchObject({ status: 200, issuer: V2_ISSUER, token_endpoint: `${AUTHORITY}/oauth2/v2.0/token` });
    expect(out.realm).toMatchObject({ account_type: 'Managed', domain_name: 'contoso.onmicrosoft.com' });
  });
});

describe.skipIf(missing(pythonHas('msal')))('MSAL Python (Debian python3-msal) through HTTPS_PROXY, authority https://login.microsoftonline.com/{tid}', () => {
  it('gets an app-only token with client credentials (instance discovery left on)', async () => {
    const since = idp.requests().length;
    const out = await python(
      `
import json, sys, msal
authority, client_id, secret, scope = sys.argv[1:]
app = msal.ConfidentialClientApplication(client_id, client_credential=secret, authority=authority)
print(json.dumps(app.acquire_token_for_client(scopes=[scope])))
`,
      [AUTHORITY, WEB.clientId, WEB.secret, `${API.uri}/.default`],
    );
    expect(out.error, String(out.error_description)).toBeUndefined();
    expect(decodeJwt(out.access_token as string)).toMatchObject({ iss: V2_ISSUER, aud: API.clientId, azp: WEB.clientId, roles: [API.role], tid: TENANT_ID });
    // MSAL found the token endpoint in the mock's discovery document, through the proxy on 443.
    expect(pathsSince(since)).toEqual(expect.arrayContaining([`/${TENANT_ID}/v2.0/.well-known/openid-configuration`, `/${TENANT_ID}/oauth2/v2.0/token`]));
  });

  it('signs ada in with username and password, after its user-realm probe on port 443', async () => {
    const since = idp.requests().length;
    const out = await python(
      `
import json, sys, msal
authority, client_id, upn, password, scope = sys.argv[1:]
app = msal.PublicClientApplication(client_id, authority=authority)
print(json.dumps(app.acquire_token_by_username_password(upn, password, scopes=[scope])))
`,
      [AUTHORITY, CLI.clientId, ADA.upn, ADA.password, `${API.uri}/${API.scope}`],
    );
    expect(out.error, String(out.error_description)).toBeUndefined();
    expect(decodeJwt(out.access_token as string)).toMatchObject({ aud: API.clientId, scp: API.scope, preferred_username: ADA.upn });
    expect(pathsSince(since)).toContain(`/common/userrealm/${ADA.upn}`);
  });
});

/** Runs an ES module with @azure/identity in a child Node (from the project, so it resolves the package). */
async function node(program: string, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const ran = await runClient(process.execPath, ['--input-type=module', '-e', program], proxyEnv(idp, env), { cwd: resolve('.') });
  expect(ran.status, ran.stderr).toBe(0);
  return JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('@azure/identity through HTTPS_PROXY (its pipeline honours it), default authority host', () => {
  it('ClientSecretCredential gets an app-only token', async () => {
    const out = await node(
      `
import { ClientSecretCredential } from '@azure/identity';
const t = await new ClientSecretCredential(process.env.T, process.env.C, process.env.S).getToken(process.env.SCOPE);
console.log(JSON.stringify({ token: t.token }));
`,
      { T: TENANT_ID, C: WEB.clientId, S: WEB.secret, SCOPE: `${API.uri}/.default` },
    );
    expect(decodeJwt(out.token as string)).toMatchObject({ iss: V2_ISSUER, aud: API.clientId, azp: WEB.clientId, roles: [API.role] });
  });

  it('DefaultAzureCredential finds AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (the Environment credential)', async () => {
    const out = await node(
      `
import { DefaultAzureCredential } from '@azure/identity';
const t = await new DefaultAzureCredential().getToken(process.env.SCOPE);
console.log(JSON.stringify({ token: t.token }));
`,
      { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: WEB.clientId, AZURE_CLIENT_SECRET: WEB.secret, SCOPE: `${API.uri}/.default` },
    );
    expect(decodeJwt(out.token as string)).toMatchObject({ iss: V2_ISSUER, aud: API.clientId, azp: WEB.clientId, roles: [API.role] });
  });
});

describe('@azure/identity workload identity through HTTPS_PROXY: only the environment, no AZURE_AUTHORITY_HOST', () => {
  const WORKLOAD = '3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98';

  it('DefaultAzureCredential exchanges a Kubernetes-style service account token for an app-only token, as on AKS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-entra-wi-'));
    try {
      const file = join(dir, 'token');
      writeFileSync(file, await idp.federatedToken({ subject: 'system:serviceaccount:default:workload' }), { mode: 0o600 });
      // The same program an AKS pod runs: the credential reads AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE.
      const out = await node(
        `
import { DefaultAzureCredential } from '@azure/identity';
const t = await new DefaultAzureCredential().getToken(process.env.SCOPE);
console.log(JSON.stringify({ token: t.token }));
`,
        { AZURE_TENANT_ID: TENANT_ID, AZURE_CLIENT_ID: WORKLOAD, AZURE_FEDERATED_TOKEN_FILE: file, SCOPE: `${API.uri}/.default` },
      );
      expect(decodeJwt(out.token as string)).toMatchObject({ iss: V2_ISSUER, aud: API.clientId, azp: WORKLOAD, azpacr: '2', idtyp: 'app', roles: [API.role] });
      // The assertion came from the mock's own issuer, under Microsoft's login host in this mode.
      expect(idp.issuerUrl()).toBe(`https://${MS_LOGIN}/_issuers/k8s`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const hasAz = spawnOk('az', ['version', '--only-show-errors']);

describe.skipIf(missing(hasAz))('the Azure CLI (Debian azure-cli) through HTTPS_PROXY', () => {
  let configDir: string;
  beforeAll(() => {
    configDir = mkdtempSync(join(tmpdir(), 'mock-entra-az-'));
  });
  afterAll(() => rmSync(configDir, { recursive: true, force: true }));

  const azEnv = () => proxyEnv(idp, { AZURE_CONFIG_DIR: configDir, AZURE_CORE_COLLECT_TELEMETRY: 'false', AZURE_CORE_NO_COLOR: 'true' });
  const azLogin = () =>
    runClient('az', ['login', '--service-principal', '-u', WEB.clientId, '-p', WEB.secret, '--tenant', TENANT_ID, '--allow-no-subscriptions', '--output', 'json'], azEnv(), { timeoutMs: 90_000 });

  it('az login --service-principal gets its Azure Resource Manager token from the mock at login.microsoftonline.com', { timeout: 120_000 }, async () => {
    const since = idp.requests().length;
    await azLogin();
    const seen = idp.requests().slice(since);
    expect(seen.map((r) => r.path)).toContain(`/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
    expect(seen.find((r) => r.path === `/${TENANT_ID}/oauth2/v2.0/token`)).toMatchObject({ method: 'POST', status: 200, clientId: WEB.clientId });
  });

  // az login lists subscriptions at https://management.azure.com even with --allow-no-subscriptions
  // (azure-cli-core's _profile.py: find_using_specific_tenant): the as-Microsoft mode serves it.
  it('az login --service-principal --allow-no-subscriptions, then az account get-access-token --resource api://sample-api', { timeout: 120_000 }, async () => {
    const login = await azLogin();
    expect(login.status, login.stderr).toBe(0);
    const accounts = JSON.parse(login.stdout) as Array<Record<string, unknown>>;
    expect(accounts[0]).toMatchObject({ id: TENANT_ID, tenantId: TENANT_ID, name: 'N/A(tenant level account)', user: { name: WEB.clientId, type: 'servicePrincipal' } });

    const got = await runClient('az', ['account', 'get-access-token', '--resource', API.uri, '--output', 'json'], azEnv(), { timeoutMs: 90_000 });
    expect(got.status, got.stderr).toBe(0);
    const token = JSON.parse(got.stdout) as { accessToken: string; tenant: string; tokenType: string };
    expect(token).toMatchObject({ tenant: TENANT_ID, tokenType: 'Bearer' });
    expect(decodeJwt(token.accessToken)).toMatchObject({ aud: API.clientId, azp: WEB.clientId, roles: [API.role], tid: TENANT_ID });
  });
});
