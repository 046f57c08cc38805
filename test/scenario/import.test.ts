/**
 * `mock-entra scenario import`: app registration manifests as the portal exports them (Microsoft
 * Graph format and the older Azure AD Graph format) become a scenario that loads, serves, and signs
 * a real client in with the generated secret and the manifest's redirect URI.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type MockEntra, start } from '../../src/index.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { cli } from '../cli/in-process.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { follow } from '../helpers/browserless.js';
import { ADA, TENANT_ID } from '../helpers/ids.js';

const FIXTURES = join(import.meta.dirname, 'import');
const WEB_MANIFEST = join(FIXTURES, 'web-graph-manifest.json');
const API_MANIFEST = join(FIXTURES, 'api-aad-manifest.json');
const WEB_ID = 'c0ffee11-2b3c-4d5e-8f90-a1b2c3d4e5f6';
const API_ID = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

const dir = mkdtempSync(join(tmpdir(), 'mock-entra-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ImportedYaml {
  apps: { name: string; clientId: string; secrets: { value: string; expires?: string }[]; redirectUris?: string[] }[];
}
const secretOf = (file: string, clientId: string) => (parse(readFileSync(file, 'utf8')) as ImportedYaml).apps.find((a) => a.clientId === clientId)!.secrets[0]!.value;

describe('scenario import of app registration manifests', () => {
  let idp: MockEntra | undefined;
  afterAll(async () => idp?.stop());
  const out = join(dir, 'expenses.yaml');

  it('writes a scenario from a Graph-format and an AAD Graph-format manifest that extends the default and validates', async () => {
    const r = await cli(['scenario', 'import', WEB_MANIFEST, API_MANIFEST, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const s = await loadScenarioFile(out);
    const web = s.apps.find((a) => a.clientId === WEB_ID)!;
    const api = s.apps.find((a) => a.clientId === API_ID)!;
    expect(s.apps.some((a) => a.name === 'sample-web')).toBe(true); // the default is extended, not replaced
    expect(web).toMatchObject({
      name: 'contoso-expenses-web',
      redirectUris: ['http://localhost:3000/auth/callback', 'https://expenses.contoso.com/signin-oidc'],
      spaRedirectUris: ['http://localhost:5173/'],
      implicitGrant: { idTokens: true, accessTokens: false },
      frontchannelLogoutUrl: 'https://expenses.contoso.com/signout-oidc', // web.logoutUrl
      groupMembershipClaims: 'SecurityGroup',
      groupClaimNames: true,
      optionalClaims: { idToken: ['email', 'upn'] },
      permissions: { 'Microsoft Graph': ['User.Read'], 'expenses-api': ['Expenses.ReadWrite', 'Expenses.Read.All'] },
    });
    // The secret is generated (never in a manifest), with production's expiry and a comment saying so.
    const secret = web.secrets[0];
    expect(typeof secret === 'object' && secret.expires?.toISOString()).toBe('2028-09-10T09:25:41.352Z');
    expect(readFileSync(out, 'utf8')).toMatch(/GENERATED: a manifest never holds secret values/);
    expect(readFileSync(out, 'utf8')).toMatch(/# .*CN=expenses-web, AsymmetricX509Cert, Verify, thumbprint 3F2A9C1B/);
    expect(api).toMatchObject({
      name: 'expenses-api',
      publicClient: true,
      redirectUris: ['https://expenses-api.contoso.com/.auth/login/aad/callback', 'https://login.microsoftonline.com/common/oauth2/nativeclient', 'http://localhost'],
      api: { identifierUri: 'api://expenses-api', scopes: ['Expenses.ReadWrite'], roles: ['Expenses.Read.All'], accessTokenVersion: 2 },
      optionalClaims: { accessToken: ['idtyp'] },
    });
    expect(s.users.find((u) => u.upn === ADA.upn)?.appRoles).toMatchObject({ 'contoso-expenses-web': ['Expenses.Approve', 'Expenses.Submit'] });
  });

  it('reports on stderr each field it could not map, and why', async () => {
    const r = await cli(['scenario', 'import', WEB_MANIFEST, API_MANIFEST]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^# imported/);
    expect(r.stderr).not.toContain('web.logoutUrl'); // mapped to frontchannelLogoutUrl
    expect(r.stderr).toContain('not mapped: web-graph-manifest.json: optionalClaims.idToken xms_pdl: not an optional claim the mock emits');
    expect(r.stderr).toContain('not mapped: api-aad-manifest.json: identifierUris "https://contoso.onmicrosoft.com/expenses-api": a scenario app has one Application ID URI');
    expect(r.stderr).toMatch(/requiredResourceAccess Microsoft Graph Role 5b567255-7703-4780-807c-7be8301ae99b: not a Graph permission/);
  });

  it('names the API manifest to import when a permission is for an API not in the import', async () => {
    const r = await cli(['scenario', 'import', WEB_MANIFEST]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`requiredResourceAccess ${API_ID} (Scope 2f4e6a8c-0b1d-4c3e-9f5a-7b9d1e3f5a7c): that API is not in this import; import its manifest with this one`);
  });

  it('serves the imported scenario: openid-client signs Ada in to the imported app with the generated secret, getting the roles and claims the manifest implies', async () => {
    idp = await start({ certsDir: TEST_CERTS_DIR, scenario: out });
    const config = await client.discovery(new URL(`${idp.url}/${TENANT_ID}/v2.0`), WEB_ID, secretOf(out, WEB_ID), client.ClientSecretPost(secretOf(out, WEB_ID)));
    const pkceCodeVerifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://localhost:3000/auth/callback', // from the manifest's web.redirectUris
      scope: 'openid profile email api://expenses-api/Expenses.ReadWrite',
      code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
      code_challenge_method: 'S256',
      login_hint: ADA.upn,
    });
    const done = await follow(url.href);
    const tokens = await client.authorizationCodeGrant(config, new URL(done.url), { pkceCodeVerifier });
    const id = decodeJwt(tokens.id_token!);
    expect(id).toMatchObject({ aud: WEB_ID, preferred_username: ADA.upn, email: ADA.upn, upn: ADA.upn, roles: ['Expenses.Approve', 'Expenses.Submit'], groups: ['Engineering'] });
    // The custom API (AAD Graph manifest): v2 access token for its scope, with its optional claim.
    const at = decodeJwt(tokens.access_token);
    expect(at).toMatchObject({ aud: API_ID, scp: 'Expenses.ReadWrite', ver: '2.0', idtyp: 'user' });
  });

  it('refuses to overwrite --out without --force', async () => {
    const r = await cli(['scenario', 'import', WEB_MANIFEST, '--out', out]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/exists: choose another --out file, or add --force/);
    expect((await cli(['scenario', 'import', WEB_MANIFEST, '--out', out, '--force'])).status).toBe(0);
  });

  it('writes a standalone scenario with --standalone that loads on its own', async () => {
    const file = join(dir, 'standalone.yaml');
    const r = await cli(['scenario', 'import', API_MANIFEST, '--standalone', '--out', file]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toMatch(/^extends:/m);
    const s = await loadScenarioFile(file);
    expect(s.apps.map((a) => a.name)).toEqual(['expenses-api']);
    expect(s.users.map((u) => u.upn)).toEqual([ADA.upn]);
  });

  it('keeps an imported app apart from a default app of the same name, and reads az ad app show output', async () => {
    const m = JSON.parse(readFileSync(API_MANIFEST, 'utf8')) as Record<string, unknown>;
    const az = { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#applications/$entity', appId: API_ID, displayName: 'sample-api', signInAudience: 'AzureADMyOrg', identifierUris: m.identifierUris, web: { redirectUris: [], implicitGrantSettings: {} } };
    const file = join(dir, 'az.json');
    writeFileSync(file, JSON.stringify(az));
    const out2 = join(dir, 'az.yaml');
    const r = await cli(['scenario', 'import', file, '--out', out2]);
    expect(r.status, r.stderr).toBe(0);
    const s = await loadScenarioFile(out2);
    expect(s.apps.find((a) => a.name === 'sample-api')?.clientId).toBe('7c1e4b2d-5a6f-4d8e-b9c0-2a3b4c5d6e7f');
    expect(s.apps.find((a) => a.name === 'sample-api-imported')).toMatchObject({ clientId: API_ID, api: { identifierUri: 'api://expenses-api' } });
  });

  it('exits 2 with what it reads for a file it does not recognise', async () => {
    const other = join(dir, 'package.json');
    writeFileSync(other, JSON.stringify({ name: 'x', version: '1.0.0' }));
    const r = await cli(['scenario', 'import', other]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/package\.json: not a file scenario import recognises\. It reads: app registration manifest/);
    expect((await cli(['scenario', 'import', join(dir, 'missing.json')])).stderr).toMatch(/missing\.json: cannot read the file \(ENOENT\)/);
  });
});
