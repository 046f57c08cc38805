import { describe, expect, it } from 'vitest';
import { buildDirectory } from '../../src/directory/build.js';
import { findApp, findTenant, findUser, isAssigned } from '../../src/directory/lookup.js';
import { DEFAULT_SCENARIO, loadScenarioFile, parseScenarioText, ScenarioError } from '../../src/index.js';
import { ADA, API, CLI, GRACE, TENANT_DOMAIN, TENANT_ID, WEB } from '../helpers/ids.js';

function problems(text: string): string[] {
  try {
    parseScenarioText(text, 'my.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toMatch(/^my\.yaml: invalid scenario/);
    return (err as ScenarioError).problems;
  }
  throw new Error('expected the scenario to be refused');
}

const TENANT = `tenant: { id: ${TENANT_ID}, domain: ${TENANT_DOMAIN} }\n`;

describe('the default scenario', () => {
  it('carries the fixed identifiers of the design', async () => {
    const dir = buildDirectory(await loadScenarioFile(DEFAULT_SCENARIO));
    const t = findTenant(dir, TENANT_ID)!;
    expect(findTenant(dir, TENANT_DOMAIN)).toBe(t);
    expect(findTenant(dir, 'common')).toBe(t);
    const web = findApp(t, WEB.clientId)!;
    expect(web.name).toBe('sample-web');
    expect(web.secrets.map((s) => s.value)).toEqual([WEB.secret]);
    expect(web.redirectUris).toEqual(['http://localhost:3000/auth/callback', 'https://localhost:9443/core/auth/openid/callback/', 'http://127.0.0.1:8400/callback']);
    expect(web.postLogoutRedirectUris).toEqual([WEB.postLogoutRedirectUri]);
    const api = findApp(t, API.clientId)!;
    expect(api.api).toMatchObject({ identifierUri: API.uri, scopes: [API.scope], roles: [API.role] });
    expect(web.permissions.get(API.clientId)).toEqual([API.role]);
    expect(findApp(t, CLI.clientId)!.publicClient).toBe(true);
    const saml = findApp(t, '5d4c3b2a-9e8f-4a7b-8c6d-1e0f2a3b4c5d')!;
    expect(saml.saml).toMatchObject({ identifier: 'https://sp.example.test/saml/metadata', replyUrls: ['http://localhost:3000/saml/acs', 'https://localhost:9443/saml/acs'], nameIdFormat: 'emailAddress', signing: { option: 'assertion', algorithm: 'sha256' } });
    const ada = findUser(t, ADA.upn)!;
    const grace = findUser(t, GRACE.upn)!;
    expect(ada.groups.map((g) => g.name)).toEqual(['Engineering']);
    expect(isAssigned(saml, ada)).toBe(true);
    expect(isAssigned(saml, grace)).toBe(false);
    expect(isAssigned(web, grace)).toBe(true);
  });

  it('derives stable object IDs, so tokens name the same oid on every run', async () => {
    const a = buildDirectory(await loadScenarioFile(DEFAULT_SCENARIO));
    const b = buildDirectory(await loadScenarioFile(DEFAULT_SCENARIO));
    expect(findUser(a.tenants[0]!, ADA.upn)!.id).toBe(findUser(b.tenants[0]!, ADA.upn)!.id);
  });
});

describe('scenario validation', () => {
  it('names the path inside the file and what was expected', () => {
    const p = problems(`tenant: { id: not-a-guid, domain: contoso.onmicrosoft.com }\napps:\n  - name: web\n    redirectUris: [callback]\n    secrets: [{ value: s, expires: someday }]\n`);
    expect(p).toContain('tenant.id: expected a GUID like 4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36');
    expect(p).toContain(`apps[0].redirectUris[0]: 'callback' is not an absolute URI. Entra: Must start with "HTTPS" or "http://localhost", e.g. https://app.example.com/signin-oidc (or, for a mobile or desktop app, a scheme of its own such as myapp://auth)`);
    expect(p.some((x) => x.startsWith('apps[0].secrets[0]'))).toBe(true);
  });

  it('refuses unknown keys, so typos do not pass silently', () => {
    expect(problems(`${TENANT}userz: []\n`).join('\n')).toMatch(/userz/);
  });

  it('checks references between entries', () => {
    const p = problems(`${TENANT}users:\n  - { upn: a@x.com, name: A, groups: [Nope] }\napps:\n  - { name: web, permissions: { api: [Read] }, assignments: [b@x.com] }\n`);
    expect(p).toContain("users[0].groups[0]: no group named 'Nope' (declare it under groups)");
    expect(p).toContain("apps[0].permissions.api: no app named 'api' with an api section");
    expect(p).toContain("apps[0].assignments[0]: 'b@x.com' is neither a user UPN nor a group name");
  });

  it('reports YAML syntax errors with their line and column', () => {
    expect(problems('tenant: {\n  id: [\n').join('\n')).toMatch(/^my\.yaml:3:1: /);
  });

  it('names a file it cannot read', async () => {
    await expect(loadScenarioFile('/nonexistent/x.yaml')).rejects.toThrow(/x\.yaml: invalid scenario\n {2}- cannot read the file \(ENOENT\)/);
  });

  it('fills in defaults for everything a test does not care about', () => {
    const s = parseScenarioText(`${TENANT}users: [{ upn: a@x.com, name: Alan Turing }]\napps: [{ name: web }]\n`);
    const t = buildDirectory(s).tenants[0]!;
    expect(t.users[0]).toMatchObject({ password: 'Passw0rd!', givenName: 'Alan', surname: 'Turing' });
    expect(t.apps[0]!.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.autoSignIn).toBe(true);
  });
});
