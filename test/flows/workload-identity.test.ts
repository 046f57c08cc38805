/**
 * Workload identity federation (reference §13): an app with federated credentials gets tokens with
 * an external issuer's token as client_assertion. The issuers are the mock's own (builtin:k8s,
 * builtin:github) and, for the HTTPS discovery/JWKS path, a second mock's; the clients are the real
 * @azure/identity (in a child process configured by the environment) and msal-node.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ConfidentialClientApplication, ServerError } from '@azure/msal-node';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FederatedTokenOptions, parseScenarioText, ScenarioError } from '../../src/index.js';
import { cli } from '../cli/in-process.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { ADA, API, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const exec = promisify(execFile);
const WORKLOAD = '3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98';
const SUBJECT = 'system:serviceaccount:default:workload';
/** Apps the tests add: trusting the second mock's issuer over HTTPS, an unreachable issuer, one issuer with two records. */
const EXTERNAL = 'd1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6';
const COMBO = 'e2f3a4b5-c6d7-4e8f-9a01-b2c3d4e5f6a7';
const DEAD_ISSUER = 'https://localhost:1/_issuers/k8s';

const idp = useMockEntra({ scenario: 'docs/examples/workload-identity.yaml' });
/** Another mock, standing in for an external issuer reached over HTTPS (a cluster's OIDC issuer URL). */
const ext = useMockEntra();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mock-entra-wif-'));
  const base = idp.scenario;
  await idp.useScenario({
    ...base,
    apps: [
      ...base.apps,
      {
        name: 'external-workload',
        clientId: EXTERNAL,
        permissions: { 'sample-api': ['Data.Read'] },
        federatedCredentials: [
          { name: 'other-cluster', issuer: ext.issuerUrl('k8s'), subject: SUBJECT },
          { name: 'gone-cluster', issuer: DEAD_ISSUER, subject: SUBJECT },
          { name: 'no-such-issuer', issuer: `${ext.url}/_issuers/nope`, subject: SUBJECT },
        ],
      },
      {
        name: 'combo-workload',
        clientId: COMBO,
        permissions: { 'sample-api': ['Data.Read'] },
        federatedCredentials: [
          { name: 'frontend', issuer: 'builtin:k8s', subject: 'system:serviceaccount:web:frontend' },
          { name: 'backend', issuer: 'builtin:k8s', subject: 'system:serviceaccount:web:backend', audiences: ['api://backend-exchange'] },
        ],
      },
    ],
  } as never);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const token = (o: Partial<FederatedTokenOptions> = {}) => idp.federatedToken({ subject: SUBJECT, ...o });

/** The raw token endpoint: client credentials with a federated client_assertion. */
async function exchange(assertion: string, clientId = WORKLOAD, extra: Record<string, string> = {}) {
  const res = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      scope: `${API.uri}/.default`,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      ...extra,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const refused = async (assertion: string, clientId?: string) => {
  const { status, body } = await exchange(assertion, clientId);
  return { status, error: body.error, code: (body.error_codes as number[] | undefined)?.[0], description: String(body.error_description ?? '').split('\r\n')[0] };
};

describe('the built-in issuers', () => {
  it('serve a Kubernetes-shaped discovery document and a JWKS that verifies their tokens', async () => {
    const discovery = (await (await fetch(`${idp.url}/_issuers/k8s/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toEqual({
      issuer: `${idp.url}/_issuers/k8s`,
      jwks_uri: `${idp.url}/_issuers/k8s/openid/v1/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const { payload } = await jwtVerify(await token(), createRemoteJWKSet(new URL(String(discovery.jwks_uri))), { issuer: idp.issuerUrl('k8s'), audience: 'api://AzureADTokenExchange' });
    expect(payload).toMatchObject({ sub: SUBJECT, aud: ['api://AzureADTokenExchange'], 'kubernetes.io': { namespace: 'default', serviceaccount: { name: 'workload' } } });
  });

  it('GitHub-shaped: the JWKS at /.well-known/jwks, a string aud and the repository claims', async () => {
    const discovery = (await (await fetch(`${idp.url}/_issuers/github/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.jwks_uri).toBe(`${idp.url}/_issuers/github/.well-known/jwks`);
    const t = await idp.federatedToken({ issuer: 'github', subject: 'repo:contoso/app:ref:refs/heads/main' });
    const { payload } = await jwtVerify(t, createRemoteJWKSet(new URL(String(discovery.jwks_uri))), { issuer: idp.issuerUrl('github') });
    expect(payload).toMatchObject({ aud: 'api://AzureADTokenExchange', repository: 'contoso/app', repository_owner: 'contoso', ref: 'refs/heads/main' });
  });

  it('an unknown issuer name is a 404 that names the ones there are', async () => {
    const res = await fetch(`${idp.url}/_issuers/gitlab/.well-known/openid-configuration`);
    expect(res.status).toBe(404);
    expect(String(((await res.json()) as Record<string, unknown>).error_description)).toContain('k8s and github');
  });

  it('the admin API mints one: POST /_mock/issuers/k8s/token', async () => {
    const res = await fetch(`${idp.url}/_mock/issuers/k8s/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ subject: SUBJECT }) });
    expect(res.status).toBe(200);
    const { token: minted } = (await res.json()) as { token: string };
    expect((await exchange(minted)).status).toBe(200);
    const bad = await fetch(`${idp.url}/_mock/issuers/k8s/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(bad.status).toBe(400);
    expect(String(((await bad.json()) as Record<string, unknown>).error_description)).toContain('"subject" is required');
  });
});

describe('the token endpoint with a federated client_assertion', () => {
  it('gives an app-only token for the app: azp, azpacr 2, idtyp app, its roles, verifiable with the JWKS', async () => {
    const { status, body } = await exchange(await token());
    expect(status).toBe(200);
    const jwks = createRemoteJWKSet(new URL(`${idp.url}/${TENANT_ID}/discovery/v2.0/keys`));
    // sample-api takes v2 tokens (accessTokenVersion 2).
    const { payload } = await jwtVerify(String(body.access_token), jwks, { issuer: idp.issuer, audience: API.clientId });
    const sp = idp.directory.tenants[0]!.apps.find((a) => a.clientId === WORKLOAD)!.servicePrincipalId;
    expect(payload).toMatchObject({ azp: WORKLOAD, azpacr: '2', idtyp: 'app', roles: [API.role], oid: sp, sub: sp, tid: TENANT_ID, ver: '2.0' });
  });

  it('other grants take it in place of a secret too: ROPC signs Ada in to the workload app', async () => {
    const { status, body } = await exchange(await token(), WORKLOAD, { grant_type: 'password', username: ADA.upn, password: ADA.password, scope: `${API.uri}/${API.scope}` });
    expect(status).toBe(200);
    expect(decodeJwt(String(body.access_token))).toMatchObject({ azp: WORKLOAD, azpacr: '2', scp: API.scope, preferred_username: ADA.upn });
  });

  it('a GitHub Actions-like token works for the credential that names builtin:github', async () => {
    const { status } = await exchange(await idp.federatedToken({ issuer: 'github', subject: 'repo:contoso/app:ref:refs/heads/main' }));
    expect(status).toBe(200);
  });

  it("an external issuer's keys are fetched over HTTPS from its discovery document and JWKS", async () => {
    const { status, body } = await exchange(await ext.federatedToken({ subject: SUBJECT }), EXTERNAL);
    expect(status).toBe(200);
    expect(decodeJwt(String(body.access_token)).azp).toBe(EXTERNAL);
    expect(ext.requests().map((r) => r.path)).toEqual(expect.arrayContaining(['/_issuers/k8s/.well-known/openid-configuration', '/_issuers/k8s/openid/v1/jwks']));
  });

  it('an app without federated credentials: invalid_client AADSTS70025', async () => {
    expect(await refused(await token(), WEB.clientId)).toMatchObject({ status: 401, error: 'invalid_client', code: 70025, description: `AADSTS70025: The client '${WEB.clientId}'(sample-web) has no configured federated identity credentials.` });
  });

  it('an issuer no credential names: invalid_client AADSTS700211 naming the issuer', async () => {
    expect(await refused(await token(), EXTERNAL)).toMatchObject({ status: 401, error: 'invalid_client', code: 700211 });
    expect((await refused(await token(), EXTERNAL)).description).toContain(`presented assertion issuer '${idp.issuerUrl('k8s')}'`);
  });

  it('another subject: AADSTS700213 naming the subject', async () => {
    const r = await refused(await token({ subject: 'system:serviceaccount:default:other' }));
    expect(r).toMatchObject({ status: 401, error: 'invalid_client', code: 700213 });
    expect(r.description).toContain("presented assertion subject 'system:serviceaccount:default:other'");
  });

  it('a subject that differs only in case: AADSTS7002138 (subjects compare case-sensitively)', async () => {
    const r = await refused(await token({ subject: 'system:serviceaccount:default:Workload' }));
    expect(r).toMatchObject({ status: 401, code: 7002138 });
    expect(r.description).toContain('matches with case-insensitive comparison, but not with case-sensitive comparison');
  });

  it('another audience: AADSTS700212 naming the audience', async () => {
    const r = await refused(await token({ audience: 'api://something-else' }));
    expect(r).toMatchObject({ status: 401, error: 'invalid_client', code: 700212 });
    expect(r.description).toContain("presented assertion audience 'api://something-else'");
  });

  it("issuer, subject and audience each match a record, but not the same one: invalid_request AADSTS70021 listing all three", async () => {
    const r = await refused(await token({ subject: 'system:serviceaccount:web:frontend', audience: 'api://backend-exchange' }), COMBO);
    expect(r).toMatchObject({ status: 400, error: 'invalid_request', code: 70021 });
    expect(r.description).toBe(`AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '${idp.issuerUrl('k8s')}'. Assertion Subject: 'system:serviceaccount:web:frontend'. Assertion Audience: 'api://backend-exchange'. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation`);
  });

  it('an expired token: invalid_client AADSTS700024', async () => {
    expect(await refused(await token({ lifetimeSeconds: -900 }))).toMatchObject({ status: 401, error: 'invalid_client', code: 700024 });
  });

  it('a token whose signature does not verify: AADSTS700027', async () => {
    const t = await token();
    const [h, p, s] = t.split('.');
    const tampered = `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`;
    expect(await refused(tampered)).toMatchObject({ status: 401, error: 'invalid_client', code: 700027 });
  });

  it('not a JWT: invalid_request AADSTS50027', async () => {
    expect(await refused('not-a-jwt')).toMatchObject({ status: 400, error: 'invalid_request', code: 50027 });
  });

  it("an issuer whose discovery document cannot be fetched: AADSTS501661, saying what failed", async () => {
    const unreachable = await refused(await token({ claims: { iss: DEAD_ISSUER } }), EXTERNAL);
    expect(unreachable).toMatchObject({ code: 501661 });
    expect(unreachable.description).toContain('AADSTS501661: Request to External OIDC endpoint failed. GET https://localhost:1/_issuers/k8s/.well-known/openid-configuration failed');
    const missing = await refused(await token({ claims: { iss: `${ext.url}/_issuers/nope` } }), EXTERNAL);
    expect(missing).toMatchObject({ code: 501661 });
    expect(missing.description).toContain('HTTP 404');
  });

  it('a token Entra (the mock) issued itself: AADSTS700222', async () => {
    const { access_token } = await idp.clientCredentials({ app: 'sample-web', scope: `${API.uri}/.default` });
    expect(await refused(access_token)).toMatchObject({ code: 700222, description: 'AADSTS700222: AAD-issued tokens may not be used for federated identity flows.' });
  });

  it('fault rules apply to these requests like any token request', async () => {
    idp.use({ when: { endpoint: 'token', app: 'sample-workload' }, then: { error: 7000112 } }, { once: true });
    expect(await refused(await token())).toMatchObject({ code: 7000112 });
    expect((await exchange(await token())).status).toBe(200);
  });
});

describe('msal-node with clientAssertion', () => {
  const authority = () => ({ authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] });

  it('acquireTokenByClientCredential with the federated token (a callback that reads it fresh) gets an app token', async () => {
    const app = new ConfidentialClientApplication({ auth: { clientId: WORKLOAD, clientAssertion: () => token(), ...authority() } });
    const result = await app.acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] });
    expect(decodeJwt(result!.accessToken)).toMatchObject({ azp: WORKLOAD, azpacr: '2', roles: [API.role] });
  });

  it("a wrong subject surfaces as msal-node's ServerError with AADSTS700213", async () => {
    const app = new ConfidentialClientApplication({ auth: { clientId: WORKLOAD, clientAssertion: await token({ subject: 'system:serviceaccount:default:intruder' }), ...authority() } });
    const err = (await app.acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }).catch((e: unknown) => e)) as ServerError;
    expect(err).toBeInstanceOf(ServerError);
    expect(String(err.errorNo)).toBe('700213');
  });
});

describe('@azure/identity, configured by the environment', () => {
  /** Runs the client script with only the workload identity variables (and the CA) in its environment. */
  async function credential(kind: 'workload' | 'default', tokenText: string): Promise<{ token?: string; error?: string }> {
    const file = join(dir, `token-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, tokenText, { mode: 0o600 });
    const env = {
      AZURE_TENANT_ID: TENANT_ID,
      AZURE_CLIENT_ID: WORKLOAD,
      AZURE_FEDERATED_TOKEN_FILE: file,
      AZURE_AUTHORITY_HOST: idp.url,
      NODE_EXTRA_CA_CERTS: idp.caCertPath,
    };
    const { stdout } = await exec(process.execPath, ['test/flows/azure-identity-client.mjs', kind, `${API.uri}/.default`], { env, timeout: 30_000 });
    return JSON.parse(stdout.trim().split('\n').pop()!) as { token?: string; error?: string };
  }

  it('WorkloadIdentityCredential gets a token for sample-api from the token file', async () => {
    const r = await credential('workload', await token());
    expect(r.error).toBeUndefined();
    expect(decodeJwt(r.token!)).toMatchObject({ aud: API.clientId, iss: idp.issuer, azp: WORKLOAD, azpacr: '2', idtyp: 'app', roles: [API.role] });
  }, 40_000);

  it('DefaultAzureCredential finds the workload identity in the environment and gets the same token', async () => {
    const r = await credential('default', await token());
    expect(r.error).toBeUndefined();
    expect(decodeJwt(r.token!)).toMatchObject({ aud: API.clientId, azp: WORKLOAD, idtyp: 'app' });
  }, 40_000);

  it("a token file with another subject: the credential's error shows AADSTS700213", async () => {
    const r = await credential('workload', await token({ subject: 'system:serviceaccount:default:intruder' }));
    expect(r.token).toBeUndefined();
    expect(r.error).toContain('AADSTS700213');
  }, 40_000);

  it("an expired token file: the credential's error shows AADSTS700024", async () => {
    const r = await credential('workload', await token({ lifetimeSeconds: -900 }));
    expect(r.error).toContain('AADSTS700024');
  }, 40_000);
});

describe('federatedCredentials in a scenario file', () => {
  const problems = (credentials: string): string[] => {
    try {
      parseScenarioText(`tenant: { id: ${TENANT_ID}, domain: contoso.onmicrosoft.com }\napps:\n  - name: w\n    federatedCredentials:\n${credentials}`, 'wif.yaml');
      return [];
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      return err.problems;
    }
  };

  it('takes a credential with the default audience api://AzureADTokenExchange', () => {
    expect(problems('      - { name: ci-main, issuer: "https://token.actions.githubusercontent.com", subject: "repo:o/r:ref:refs/heads/main" }\n')).toEqual([]);
  });

  it('names the entry and what is wrong: a non-https issuer, a missing subject, two audiences', () => {
    const p = problems(
      [
        '      - { name: cred-a1, issuer: "http://issuer.example", subject: s }',
        '      - { name: cred-a2, issuer: "builtin:k8s" }',
        '      - { name: cred-a3, issuer: "builtin:k8s", subject: t, audiences: [x, y] }',
        '',
      ].join('\n'),
    ).join('\n');
    expect(p).toMatch(/federatedCredentials\[0\]\.issuer.*https URL/);
    expect(p).toMatch(/federatedCredentials\[1\]\.subject/);
    expect(p).toMatch(/federatedCredentials\[2\]\.audiences.*exactly one audience/);
  });

  it('a name used twice on one app, and one issuer and subject twice, are refused naming the entry', () => {
    const p = problems(['      - { name: cred-one, issuer: "builtin:k8s", subject: s }', '      - { name: Cred-One, issuer: "builtin:github", subject: u }', '      - { name: cred-two, issuer: "builtin:k8s", subject: s }', ''].join('\n')).join('\n');
    expect(p).toMatch(/federatedCredentials\[1\]\.name: .*already used by entry 0/);
    expect(p).toMatch(/federatedCredentials\[2\]\.subject: .*one credential per issuer and subject/);
  });

  it('refuses more than 20 on one app, as Entra does', () => {
    const many = Array.from({ length: 21 }, (_, i) => `      - { name: c${i}x, issuer: "builtin:k8s", subject: s${i} }`).join('\n');
    expect(problems(`${many}\n`).join('\n')).toMatch(/at most 20 federated identity credentials/);
  });
});

describe('mock-entra token federated', () => {
  it('writes a token (mode 0600) that the server on the same certs dir accepts, and prints no token', async () => {
    const out = join(dir, 'cli-token');
    const r = await cli(['token', 'federated', '--subject', SUBJECT, '--out', out, '--certs-dir', TEST_CERTS_DIR, '--issuer-origin', idp.url]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote a token of ${idp.issuerUrl('k8s')} for ${SUBJECT}`);
    const written = readFileSync(out, 'utf8');
    expect(r.stdout).not.toContain(written);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect((await exchange(written)).status).toBe(200);
  });

  it('without --subject exits 2 saying how to name the workload', async () => {
    const r = await cli(['token', 'federated', '--certs-dir', TEST_CERTS_DIR]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--subject system:serviceaccount:NAMESPACE:NAME');
  });
});
