/**
 * `scenario explain` as a library: what a file changes from what it extends, derived here from the
 * parsed files themselves (every shipped scenario), plus a temporary pair of files with each kind
 * of change and a scenario that extends nothing.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REMEDIATION } from '../../src/entra/aadsts.js';
import { describeRule } from '../../src/faults/rules.js';
import { type Change, describeChange } from '../../src/scenario/diff.js';
import { explainFile, explainScenario, headerComment, renderExplanation } from '../../src/scenario/explain.js';
import { DEFAULTS } from '../../src/scenario/defaults.js';
import { loadScenarioFile, SHIPPED_SCENARIOS } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { ADA, GRACE, TENANT_ID } from '../helpers/ids.js';

type Obj = Record<string, unknown>;
const canon = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Obj).sort(([a], [b]) => a.localeCompare(b))) : x));

const SHIPPED = readdirSync(SHIPPED_SCENARIOS).filter((f) => f.endsWith('.yaml')).sort();
const KEYED = { apps: ['app', 'name'], users: ['user', 'upn'], groups: ['group', 'name'], managedIdentities: ['managedIdentity', 'name'] } as const;
const SETTINGS = ['tenant', 'signIn', 'tokens', 'keys', 'tls'] as const;

/** What the raw file touches that differs from the base once parsed: [kind, name, field or null for a new entry]. */
function expectedChanges(raw: Obj, base: Scenario, merged: Scenario): Array<[string, string, string | null]> {
  const out: Array<[string, string, string | null]> = [];
  for (const [list, [kind, key]] of Object.entries(KEYED)) {
    for (const entry of (raw[list] as Obj[] | undefined) ?? []) {
      const name = String(entry[key]);
      const before = (base[list as keyof typeof KEYED] as Obj[]).find((x) => x[key] === name);
      const after = (merged[list as keyof typeof KEYED] as Obj[]).find((x) => x[key] === name)!;
      if (!before) out.push([kind, name, null]);
      else for (const field of Object.keys(entry)) if (field !== key && canon(before[field]) !== canon(after[field])) out.push([kind, name, field]);
    }
  }
  for (const section of SETTINGS) if (raw[section] !== undefined && canon(base[section]) !== canon(merged[section])) out.push(['setting', section, null]);
  for (const r of (raw.rules as Obj[] | undefined) ?? []) out.push(['rule', String(r.name), null]);
  for (const [name, on] of Object.entries((raw.switches as Obj | undefined) ?? {})) if (base.switches[name] !== on) out.push(['switch', name, null]);
  return out;
}

/** A change answers an expected one when it is about the same entry and the field (or a field inside it). */
const answers = (c: Change, [kind, name, field]: [string, string, string | null]) => c.kind === kind && c.name === name && (field === null || c.field === field || (c.field ?? '').startsWith(`${field}.`));

describe.each(SHIPPED.filter((f) => f !== 'default.yaml'))('scenario explain %s', (name) => {
  const path = join(SHIPPED_SCENARIOS, name);
  const text = readFileSync(path, 'utf8');
  const raw = parse(text) as Obj;

  it('names every change the file makes, and nothing it only inherits', async () => {
    const { explanation: e, scenario } = await explainFile(path, name);
    expect(e.extends).toBe(raw.extends);
    const base = await loadScenarioFile(resolve(dirname(path), String(raw.extends)));
    const expected = expectedChanges(raw, base, scenario);
    expect(expected.length, 'every shipped scenario changes something').toBeGreaterThan(0);
    for (const x of expected) expect(e.changes.some((c) => answers(c, x)), `a change for ${x.join(' ')}`).toBe(true);
    for (const c of e.changes) expect(expected.some((x) => answers(c, x)), `${c.kind} ${c.name} ${c.field ?? ''} is in the file`).toBe(true);

    const words = renderExplanation(e, scenario);
    // Rules are printed with their code's lines (the next test); new groups on one line.
    for (const c of e.changes.filter((c) => c.kind !== 'rule' && !(c.kind === 'group' && c.field === null))) expect(words).toContain(describeChange(c));
    const groups = e.changes.filter((c) => c.kind === 'group' && c.field === null);
    if (groups.length) expect(words).toContain(`    - ${groups.length} group${groups.length === 1 ? '' : 's'} added: ${groups[0]!.name}, `);
  });

  it("prints the file's own header first: what the user sees, the code, the fix", async () => {
    const { explanation: e, scenario } = await explainFile(path, name);
    const words = renderExplanation(e, scenario);
    const first = text.split('\n')[0]!.replace(/^# /, '');
    expect(words.startsWith(first)).toBe(true);
    for (const line of text.split('\n').filter((l) => /^# (What the user sees|Code|Fix):/.test(l))) expect(words).toContain(line.slice(2));
    expect(words).not.toMatch(/^#/m);
    expect(words.indexOf(first)).toBeLessThan(words.indexOf(`Extends ${String(raw.extends)}`));
  });

  it("describes each rule it adds with the code it answers and the code's cause and fix", async () => {
    const { explanation: e, scenario } = await explainFile(path, name);
    const words = renderExplanation(e, scenario);
    const added = scenario.rules.slice(scenario.rules.length - ((raw.rules as unknown[] | undefined)?.length ?? 0));
    expect(e.rules.filter((r) => r.added).map((r) => r.name)).toEqual(added.map((r) => r.name ?? null));
    for (const r of added) {
      expect(words).toContain(describeRule(r));
      const code = r.then.error ?? (r.then.status === 429 ? 50196 : r.then.status === 503 ? 90033 : undefined);
      if (code === undefined) continue;
      const fix = REMEDIATION[code as keyof typeof REMEDIATION];
      expect(words).toContain(`AADSTS${code}: `);
      if (fix) expect(words).toContain(`Likely cause: ${fix.cause}\n`);
      if (fix) expect(words).toContain(`Fix: ${fix.fix}`);
    }
  });
});

describe('scenario explain, hand-checked', () => {
  it('wrong-redirect-uri: the registered URI without its trailing slash, and the Reply URL that is missing', async () => {
    const { explanation: e, scenario } = await explainFile(join(SHIPPED_SCENARIOS, 'wrong-redirect-uri.yaml'), 'wrong-redirect-uri');
    const words = renderExplanation(e, scenario);
    expect(words).toContain(
      '    - sample-web: redirect URIs https://localhost:9443/core/auth/openid/callback/ -> https://localhost:9443/core/auth/openid/callback (requests with the old one get AADSTS50011)\n' +
        '    - sample-saml: Reply URLs (ACS) removed http://localhost:3000/saml/acs (SAML requests with the old one as AssertionConsumerServiceURL get AADSTS50011)',
    );
    expect(e.changes).toEqual([
      { kind: 'app', name: 'sample-web', field: 'redirectUris', from: ['http://localhost:3000/auth/callback', 'https://localhost:9443/core/auth/openid/callback/', 'http://127.0.0.1:8400/callback'], to: ['http://localhost:3000/auth/callback', 'https://localhost:9443/core/auth/openid/callback', 'http://127.0.0.1:8400/callback'], effect: 'requests with the old one get AADSTS50011' },
      { kind: 'app', name: 'sample-saml', field: 'saml.replyUrls', from: ['http://localhost:3000/saml/acs', 'https://localhost:9443/saml/acs'], to: ['https://localhost:9443/saml/acs'], effect: 'SAML requests with the old one as AssertionConsumerServiceURL get AADSTS50011' },
    ]);
  });

  it('first-test-failure: the rule, AADSTS7000112 with its fix, and the switch that ends it', async () => {
    const { explanation: e, scenario } = await explainFile(join(SHIPPED_SCENARIOS, 'first-test-failure.yaml'), 'first-test-failure');
    const words = renderExplanation(e, scenario);
    expect(words).toContain(
      "  Rules added (after the 0 rules it extends; first match wins):\n    - sso-not-enabled-yet: saml requests for app sample-saml: fail with AADSTS7000112, until switch 'sso-enabled' is turned on.\n" +
        "      AADSTS7000112: Application '5d4c3b2a-9e8f-4a7b-8c6d-1e0f2a3b4c5d'(sample-saml) is disabled.\n" +
        '      Likely cause: The enterprise app is disabled ("Enabled for users to sign-in?" is No).\n      Fix: Enable the enterprise app for sign-in.',
    );
    expect(words).toContain("    - switch sso-enabled: added, off at start (rule sso-not-enabled-yet fires until it is turned on: curl -X POST --cacert certs/ca.pem https://localhost:8443/_mock/switches/sso-enabled, or idp.flip('sso-enabled') in a test)");
    expect(e.header).toMatch(/^first-test-failure — the SaaS guide's/);
    expect(e.header).toContain('Code: AADSTS7000112');
  });

  it('expired-client-secret and user-not-assigned keep their configuration notes', async () => {
    const expired = await explainFile(join(SHIPPED_SCENARIOS, 'expired-client-secret.yaml'));
    expect(renderExplanation(expired.explanation, expired.scenario)).toContain('Configuration:\n  - sample-web: client secret expired on 2025-01-31: token requests with it get AADSTS7000222.');
    const unassigned = await explainFile(join(SHIPPED_SCENARIOS, 'user-not-assigned.yaml'));
    expect(unassigned.explanation.notes).toContain(`sample-web: assignment required; only ${GRACE.upn} may sign in, others get AADSTS50105.`);
    expect(unassigned.explanation.changes).toContainEqual(expect.objectContaining({ name: 'sample-saml', field: 'assignments', effect: `${ADA.upn} now gets AADSTS50105, unless in an assigned group` }));
  });
});

describe('scenario explain on files of ones own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mock-entra-explain-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const basePath = write(
    'base.yaml',
    `# base — a tenant of its own.
#
# Code: none.
description: the base
tenant: { id: ${TENANT_ID}, domain: fabrikam.onmicrosoft.com }
groups: [{ name: Staff }]
users:
  - { upn: kim@fabrikam.onmicrosoft.com, name: Kim Lee, password: old-pass, groups: [Staff] }
apps:
  - name: web
    clientId: 11111111-1111-4111-8111-111111111111
    secrets: [web-secret]
    redirectUris: [http://localhost:3000/auth/callback]
  - name: sp
    clientId: 22222222-2222-4222-8222-222222222222
    saml: { identifier: https://sp.test/metadata, replyUrls: [https://sp.test/acs] }
`,
  );
  const childPath = write(
    'child.yaml',
    `# yaml-language-server: $schema=./scenario.schema.json
# child — one of each kind of change.
#
# What the user sees: AADSTS50011 on the sign-in page.
# Fix: register the redirect URI.
extends: base.yaml
description: the child
signIn: { autoSignIn: false }
tokens: { accessTokenLifetime: 600 }
tls: { certificate: wrong-host }
groups: [{ name: Contractors }]
users:
  - { upn: kim@fabrikam.onmicrosoft.com, password: new-pass }
  - { upn: lou@fabrikam.onmicrosoft.com, name: Lou Park, groups: [Contractors] }
apps:
  - name: web
    redirectUris: [http://localhost:3000/cb]
    assignmentRequired: true
    assignments: [Staff]
  - name: api
    clientId: 33333333-3333-4333-8333-333333333333
    api: { identifierUri: api://fabrikam-api, scopes: [read] }
switches: { healed: false }
rules:
  - name: broken
    when: { endpoint: token, app: web }
    then: { error: 50000 }
    times: { until: healed }
  - name: blocked
    when: { user: lou@fabrikam.onmicrosoft.com }
    then: { error: 53003 }
`,
  );
  const grandchildPath = write('grandchild.yaml', 'extends: child.yaml\ntokens: { idTokenLifetime: 900 }\n');

  it('names each kind of change: apps added and changed, users added and changed, groups, settings, rules, switches', async () => {
    const { explanation: e, scenario } = await explainFile(childPath, 'child.yaml');
    const find = (kind: string, name: string, field: string | null) => e.changes.find((c) => c.kind === kind && c.name === name && c.field === field);
    expect(find('app', 'web', 'redirectUris')).toEqual({ kind: 'app', name: 'web', field: 'redirectUris', from: ['http://localhost:3000/auth/callback'], to: ['http://localhost:3000/cb'], effect: 'requests with the old one get AADSTS50011' });
    expect(find('app', 'web', 'assignmentRequired')).toMatchObject({ from: false, to: true, effect: 'users not assigned get AADSTS50105' });
    expect(find('app', 'api', null)).toMatchObject({ from: null, to: expect.objectContaining({ clientId: '33333333-3333-4333-8333-333333333333' }) });
    expect(find('user', 'kim@fabrikam.onmicrosoft.com', 'password')).toMatchObject({ from: 'old-pass', to: 'new-pass', effect: 'sign-ins with the old password get AADSTS50126' });
    expect(find('user', 'lou@fabrikam.onmicrosoft.com', null)).toMatchObject({ from: null, to: expect.objectContaining({ name: 'Lou Park' }) });
    expect(find('group', 'Contractors', null)).toMatchObject({ from: null });
    expect(find('setting', 'signIn', 'autoSignIn')).toMatchObject({ from: true, to: false, effect: 'every sign-in shows the login page' });
    expect(find('setting', 'tokens', 'accessTokenLifetime')).toMatchObject({ to: 600 });
    expect(find('setting', 'tls', 'certificate')).toMatchObject({ from: 'trusted', to: 'wrong-host' });
    expect(find('switch', 'healed', null)).toMatchObject({ from: null, to: false });
    expect(e.changes.filter((c) => c.kind === 'rule').map((c) => c.name)).toEqual(['broken', 'blocked']);
    // Nothing the file leaves alone.
    expect(e.changes.some((c) => c.name === 'sp' || c.name === 'Staff')).toBe(false);

    const words = renderExplanation(e, scenario);
    expect(words.startsWith('child — one of each kind of change.\n\nWhat the user sees: AADSTS50011 on the sign-in page.\nFix: register the redirect URI.\n\nchild.yaml: the child\nExtends base.yaml. What this file changes:\n  Apps:\n')).toBe(true);
    expect(words).toContain('    - web: redirect URIs http://localhost:3000/auth/callback -> http://localhost:3000/cb (requests with the old one get AADSTS50011)');
    expect(words).toContain('    - app api added: client ID 33333333-3333-4333-8333-333333333333; an API at api://fabrikam-api');
    expect(words).toContain('    - user lou@fabrikam.onmicrosoft.com added: Lou Park; password Passw0rd!; groups Contractors; no mail');
    expect(words).toContain('    - 1 group added: Contractors');
    expect(words).toContain(`    - tokens: access token lifetime (seconds) ${DEFAULTS.accessTokenSeconds} -> 600`);
    // A code with a remediation text, and one without (its message says what to do).
    expect(words).toContain(`      AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.\n      Likely cause: ${REMEDIATION[53003]!.cause}\n      Fix: ${REMEDIATION[53003]!.fix}`);
    expect(words).toContain("      AADSTS50000: There was an error issuing a token or an issue with our sign-in service. …\n      Likely cause: See the message: it names what Entra checked.\n      Fix: Do what the message says.");
    expect(words).toContain('    - switch healed: added, off at start (rule broken fires until it is turned on');
    // The order the brief asks for: apps, users, settings, rules, switches; then the whole scenario.
    const at = (s: string) => words.indexOf(s);
    expect(at('  Apps:')).toBeLessThan(at('  Users and groups:'));
    expect(at('  Users and groups:')).toBeLessThan(at('  Settings:'));
    expect(at('  Settings:')).toBeLessThan(at('  Rules added'));
    expect(at('  Rules added')).toBeLessThan(at('  Switches:'));
    expect(at('  Switches:')).toBeLessThan(at('The whole scenario:'));
    expect(words.slice(at('The whole scenario:'))).toContain('web: assignment required; only Staff may sign in, others get AADSTS50105.');
    expect(words).not.toContain('yaml-language-server');
  });

  it('compares with what the file extends, not with the root of the chain', async () => {
    const { explanation: e } = await explainFile(grandchildPath);
    expect(e.extends).toBe('child.yaml');
    expect(e.changes).toEqual([{ kind: 'setting', name: 'tokens', field: 'idTokenLifetime', from: DEFAULTS.idTokenSeconds, to: 900, effect: null }]);
    expect(e.rules.map((r) => [r.name, r.added])).toEqual([['broken', false], ['blocked', false]]);
    expect(e.header).toBeNull();
  });

  it('a scenario that extends nothing prints its header and its full description', async () => {
    const { explanation: e, scenario } = await explainFile(basePath, 'base.yaml');
    expect(e).toMatchObject({ extends: null, changes: [], header: 'base — a tenant of its own.\n\nCode: none.' });
    expect(renderExplanation(e, scenario)).toBe(`base — a tenant of its own.\n\nCode: none.\n\n${explainScenario(scenario, 'base.yaml')}`);
    expect(renderExplanation(e, scenario)).toContain('Tenant 4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36 (fabrikam.onmicrosoft.com), 1 user, 2 apps.');
  });

  it('--full adds the whole merged scenario: tenant, switches', async () => {
    const { explanation: e, scenario } = await explainFile(childPath);
    expect(renderExplanation(e, scenario)).not.toContain('Tenant 4b7d3a2e');
    const full = renderExplanation(e, scenario, true);
    expect(full).toContain('Tenant 4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36 (fabrikam.onmicrosoft.com), 2 users, 3 apps.');
    expect(full).toContain('Switches:\n  - healed: off at start');
  });

  it('the header is the comment block before the first line of YAML, without its markers', () => {
    expect(headerComment('# one\n#   two\n#\n# three\nkey: 1\n# not this\n')).toBe('one\n  two\n\nthree');
    expect(headerComment('{"tenant": {}}')).toBeNull();
    expect(headerComment('\n# yaml-language-server: $schema=x\n# title\n\nkey: 1')).toBe('title');
  });
});
