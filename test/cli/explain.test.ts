/** `mock-entra scenario explain`, run in process: the words, --json for tools, --full, and bad input as `scenario validate` reports it. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'mock-entra-explain-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('mock-entra scenario explain', () => {
  it('prints the header of a shipped scenario, then what it changes from default.yaml', async () => {
    const r = await cli(['scenario', 'explain', 'invalid-client-secret']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^invalid-client-secret — the app sends a value that is not its client secret/);
    expect(r.stdout).toContain('Fix: copy the secret\'s Value (shown once, when it is created) into the app\'s configuration.\n');
    expect(r.stdout).toContain('Extends default.yaml. What this file changes:\n  Apps:\n    - sample-web: client secrets sample-web-secret -> rotated-secret-value-xyz (token requests with sample-web-secret get AADSTS7000215)\n');
    // The whole scenario's notes and rules still follow; the tenant line and identities only with --full.
    expect(r.stdout).toContain('The whole scenario:\nConfiguration:\n  - sample-saml: assignment required');
    expect(r.stdout).not.toContain('Managed identities');
  });

  it('--full also describes the whole merged scenario, as explain did before', async () => {
    const r = await cli(['scenario', 'explain', 'outage', '--full']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Tenant 4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36 (contoso.onmicrosoft.com), 2 users, 4 apps.');
    expect(r.stdout).toContain('Managed identities (docs/managed-identity.md):');
    expect(r.stdout).toContain('Switches:\n  - recovered: off at start');
  });

  it('--json gives tools the header, extends, changes and rules', async () => {
    const r = await cli(['scenario', 'explain', 'wrong-redirect-uri', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout) as { header: string; extends: string; changes: Array<Record<string, unknown>>; rules: unknown[]; notes: string[] };
    expect(Object.keys(e)).toEqual(['file', 'header', 'description', 'extends', 'changes', 'notes', 'rules']);
    expect(e.header).toMatch(/^wrong-redirect-uri — /);
    expect(e.extends).toBe('default.yaml');
    expect(e.rules).toEqual([]);
    expect(e.changes.map((c) => Object.keys(c))).toEqual([
      ['kind', 'name', 'field', 'from', 'to', 'effect'],
      ['kind', 'name', 'field', 'from', 'to', 'effect'],
    ]);
    expect(e.changes.map((c) => [c.kind, c.name, c.field])).toEqual([
      ['app', 'sample-web', 'redirectUris'],
      ['app', 'sample-saml', 'saml.replyUrls'],
    ]);
  });

  it('--json of a rule: its code, message, cause and fix', async () => {
    const r = await cli(['scenario', 'explain', 'mfa-required', '--json']);
    const e = JSON.parse(r.stdout) as { rules: Array<Record<string, unknown>>; changes: Array<Record<string, unknown>> };
    expect(e.rules).toEqual([
      expect.objectContaining({ name: 'mfa', added: true, code: 50076, cause: expect.stringContaining('multi-factor'), fix: expect.stringContaining('interactive') }),
    ]);
    expect(e.changes).toEqual([expect.objectContaining({ kind: 'rule', name: 'mfa', field: null, from: null, effect: expect.stringContaining('AADSTS50076') })]);
  });

  it('the default scenario extends nothing: its header and full description', async () => {
    const r = await cli(['scenario', 'explain', 'default']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^The default scenario: one tenant \(Contoso\)/);
    expect(r.stdout).toContain('default: Contoso, a tenant where every sign-in works\nTenant 4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36');
    expect(r.stdout).not.toContain('Extends');
    const json = JSON.parse((await cli(['scenario', 'explain', 'default', '--json'])).stdout) as { extends: unknown; changes: unknown[] };
    expect(json).toMatchObject({ extends: null, changes: [] });
  });

  it('counts read as English: one group, one user, one rule (not "1 groups")', async () => {
    const base = write('counted-base.yaml', [
      'tenant: { id: 4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36, domain: fabrikam.onmicrosoft.com }',
      'users: [{ upn: ada@fabrikam.onmicrosoft.com, name: Ada, password: x }]',
      'apps: [{ name: web, clientId: 2f6c9e1a-8b3d-4c7e-a5f0-1d2e3f4a5b6c, redirectUris: [http://localhost:3000/cb] }]',
      "rules: [{ when: { endpoint: token }, then: { error: 50126 } }]",
      '',
    ].join('\n'));
    const child = write('counted-child.yaml', ['extends: counted-base.yaml', 'groups: [{ name: Ops }]', "rules: [{ when: { endpoint: authorize }, then: { error: 50105 } }]", ''].join('\n'));
    const validate = await cli(['scenario', 'validate', base]);
    expect(validate.stderr).toBe('');
    expect(validate.stdout).toContain('valid (1 user, 1 app, 0 groups)');
    const r = await cli(['scenario', 'explain', child, '--full']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('    - 1 group added: Ops');
    expect(r.stdout).toContain('Rules added (after the 1 rule it extends; first match wins):');
    expect(r.stdout).toContain('(fabrikam.onmicrosoft.com), 1 user, 1 app.');
    expect(r.stdout).not.toMatch(/\b1 (groups|users|apps|rules)\b|\(s\)/);
  });

  const bad = {
    'a missing file': () => join(dir, 'missing.yaml'),
    'invalid YAML': () => write('broken.yaml', 'tenant: [unclosed\n'),
    'an invalid scenario': () => write('invalid.yaml', 'tenant: { id: not-a-guid, domain: x.onmicrosoft.com }\n'),
    'a file extending a missing one': () => write('orphan.yaml', 'extends: nowhere.yaml\n'),
    'a file extending invalid YAML': () => write('child-of-broken.yaml', 'extends: broken.yaml\n'),
  };
  it.each(Object.keys(bad))('%s: the same clear error as scenario validate, exit 2', async (what) => {
    const file = bad[what as keyof typeof bad]();
    const validate = await cli(['scenario', 'validate', file]);
    const explain = await cli(['scenario', 'explain', file]);
    const json = await cli(['scenario', 'explain', file, '--json']);
    expect(validate.status).toBe(2);
    expect(explain).toEqual({ status: 2, stdout: '', stderr: validate.stderr });
    expect(json).toEqual({ status: 2, stdout: '', stderr: validate.stderr });
    expect(explain.stderr).toContain('invalid scenario');
    expect(explain.stderr).not.toMatch(/\n\s+at /);
  });
});
