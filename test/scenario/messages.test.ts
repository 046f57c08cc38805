/**
 * What a person reads when a scenario is refused: the valid values and the nearest one for a
 * mistyped value or key, file:line:column for YAML syntax, Entra's redirect URI rules in Entra's
 * words, and absolute paths.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../src/scenario/schema.js';
import { loadScenarioFile, parseScenarioText, ScenarioError } from '../../src/index.js';
import { TENANT_DOMAIN, TENANT_ID } from '../helpers/ids.js';

const TENANT = `tenant: { id: ${TENANT_ID}, domain: ${TENANT_DOMAIN} }\n`;

function problems(text: string): string[] {
  try {
    parseScenarioText(text, '/abs/my.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as ScenarioError).problems;
  }
  throw new Error('expected the scenario to be refused');
}
const rule = (fields: string) => problems(`${TENANT}rules:\n  - ${fields}\n`);
const redirect = (uri: string, key = 'redirectUris') => problems(`${TENANT}apps:\n  - name: web\n    ${key}: [${JSON.stringify(uri)}]\n`);

describe('a value that is not one of the allowed ones', () => {
  it('lists the endpoints and suggests the nearest: `when: { endpoint: tokens }`', () => {
    const [p, ...rest] = rule('{ when: { endpoint: tokens }, then: { error: 50126 } }');
    expect(rest).toEqual([]);
    expect(p).toMatch(/^rules\[0\]\.when\.endpoint: 'tokens' is not/);
    for (const e of ENDPOINTS) expect(p).toContain(e);
    expect(p).toContain("did you mean 'token'?");
    expect(p).not.toContain('Invalid input');
  });

  it('names the entry of a list that is wrong: `endpoint: [token, saml2]`', () => {
    expect(rule('{ when: { endpoint: [token, saml2] }, then: { error: 50126 } }')).toEqual([expect.stringMatching(/^rules\[0\]\.when\.endpoint\[1\]: 'saml2' is not .*did you mean 'saml'\?$/)]);
  });

  it('lists every form of `times` and the nearest for a misspelt word or key', () => {
    const [word] = rule('{ then: { error: 50126 }, times: alway }');
    expect(word).toMatch(/^rules\[0\]\.times: 'alway' is not/);
    expect(word).toContain('{ first: <number> }');
    expect(word).toContain('{ until: <string> }');
    expect(word).toContain("did you mean 'always'?");
    const [key, ...rest] = rule('{ then: { error: 50126 }, times: { evry: 2 } }');
    expect(rest).toEqual([]);
    expect(key).toMatch(/^rules\[0\]\.times: unknown key 'evry'/);
    expect(key).toContain("did you mean 'every'?");
  });

  it('reports the one problem of the form that was meant: `times: { every: 0 }`', () => {
    expect(rule('{ then: { error: 50126 }, times: { every: 0 } }')).toEqual(['rules[0].times.every: expected a number of at least 1']);
  });

  it('lists number choices: `then: { status: 500 }`', () => {
    expect(rule('{ then: { status: 500 } }')).toEqual(['rules[0].then.status: 500 is not allowed: expected 429 or 503']);
  });

  it('suggests the nearest value of an enum: `nameIdFormat: email`', () => {
    const p = problems(`${TENANT}apps:\n  - name: saml\n    saml: { identifier: urn:sp, replyUrls: [https://sp.example.com/acs], nameIdFormat: email }\n`);
    expect(p).toEqual(["apps[0].saml.nameIdFormat: 'email' is not allowed: expected one of emailAddress, persistent, transient, unspecified; did you mean 'emailAddress'?"]);
  });
});

describe('an unknown key', () => {
  it('suggests the nearest known key: `redirectUri`', () => {
    expect(problems(`${TENANT}apps:\n  - { name: web, redirectUri: [http://localhost/cb] }\n`)).toEqual(["apps[0]: unknown key 'redirectUri': did you mean 'redirectUris'?"]);
  });

  it('lists the known keys when none is near', () => {
    const [p] = problems(`${TENANT}zzzzzz: 1\n`);
    expect(p).toMatch(/^\(top level\): unknown key 'zzzzzz' \(known keys: .*tenant.*apps.*rules/);
  });

  it('inside a union (a secret as an object) points at the key and what is missing', () => {
    expect(problems(`${TENANT}apps:\n  - { name: web, secrets: [{ valu: s }] }\n`)).toEqual(['apps[0].secrets[0].value: missing: expected a string', "apps[0].secrets[0]: unknown key 'valu': did you mean 'value'?"]);
  });
});

describe('a value of the wrong type', () => {
  it('says what was expected and what was found', () => {
    expect(problems(`${TENANT}apps:\n  - { name: web, publicClient: sure }\n`)).toEqual(["apps[0].publicClient: expected a boolean (true or false), got the string 'sure'"]);
    expect(problems('tenant:\n')).toEqual(['tenant: empty: expected an object']);
    expect(problems(`description: x\n`)).toEqual(['tenant: missing: expected an object']);
  });
});

describe('YAML syntax errors', () => {
  it.each([
    ['tenant: {\n  id: [\n', 3, 1],
    ['a: b: c\n', 1, 4],
    ['a: 1\na: 2\n', 2, 1],
    ['a:\n\tb: 1\n', 2, 1],
  ])('give file:line:column and a message that ends on what to do (%j)', (text, line, col) => {
    const p = problems(text);
    expect(p[0]).toMatch(new RegExp(`^/abs/my\\.yaml:${line}:${col}: \\S`));
    for (const x of p) {
      expect(x).not.toMatch(/:\s*$/);
      expect(x).not.toMatch(/at line \d+, column \d+/);
    }
  });

  it('an alias to no anchor is a problem at its position, not a crash', () => {
    expect(problems('a: *nowhere\n')).toEqual([expect.stringMatching(/^\/abs\/my\.yaml(:\d+:\d+)?: .*nowhere/)]);
  });
});

describe('redirect URIs follow Entra\'s rules', () => {
  it.each(['http://localhost:3000/cb', 'http://localhost', 'http://127.0.0.1:8400/callback', 'https://app.example.com/signin-oidc?x=1', 'msal9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d://auth', 'com.contoso.app://callback'])('accepts %s', (uri) => {
    expect(() => parseScenarioText(`${TENANT}apps:\n  - name: web\n    redirectUris: [${JSON.stringify(uri)}]\n`)).not.toThrow();
  });

  it('refuses a URI without a scheme, and says what to write', () => {
    expect(redirect('localhost:3000/cb')).toEqual([`apps[0].redirectUris[0]: 'localhost:3000/cb' has no scheme. Entra: Must start with "HTTPS" or "http://localhost"; write http://localhost:3000/cb`]);
    expect(redirect('app.example.com/cb')[0]).toContain('write https://app.example.com/cb');
  });

  it('refuses http for a host other than localhost or 127.0.0.1', () => {
    expect(redirect('http://app.example.com/cb')).toEqual([`apps[0].redirectUris[0]: 'http://app.example.com/cb': Entra: Must start with "HTTPS" or "http://localhost" (http is allowed only for localhost and 127.0.0.1); write https://app.example.com/cb`]);
  });

  it('refuses a fragment, wildcards and the special characters Entra does not support', () => {
    expect(redirect('https://app.example.com/cb#top')[0]).toMatch(/^apps\[0\]\.redirectUris\[0\]: 'https:\/\/app\.example\.com\/cb#top': .*fragment.*remove '#top'/);
    expect(redirect('https://*.example.com/cb')[0]).toMatch(/wildcard/i);
    expect(redirect("https://app.example.com/it's")[0]).toContain("! $ ' ( ) , ;");
  });

  it('refuses a URI longer than 256 characters', () => {
    const long = `https://app.example.com/${'a'.repeat(233)}`;
    expect(long.length).toBe(257);
    expect(redirect(long)).toEqual([expect.stringMatching(/^apps\[0\]\.redirectUris\[0\]: .*257 characters.*at most 256/)]);
    expect(() => parseScenarioText(`${TENANT}apps:\n  - name: web\n    redirectUris: [${long.slice(0, 256)}]\n`)).not.toThrow();
  });

  it('applies to SPA and post-logout redirect URIs too; SPA URIs take no custom scheme', () => {
    expect(redirect('http://app.example.com/', 'postLogoutRedirectUris')[0]).toMatch(/^apps\[0\]\.postLogoutRedirectUris\[0\]: .*Must start with "HTTPS"/);
    expect(redirect('myapp://auth', 'spaRedirectUris')[0]).toMatch(/^apps\[0\]\.spaRedirectUris\[0\]: 'myapp:\/\/auth': .*Must start with "HTTPS"/);
  });
});

describe('paths in messages', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mock-entra-messages-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are absolute, also for a file named by a relative path', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `${TENANT}userz: []\n`);
    const err: unknown = await loadScenarioFile(relative(process.cwd(), file)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).file).toBe(file);
    expect((err as Error).message.startsWith(`${file}: invalid scenario`)).toBe(true);
    writeFileSync(file, 'a: [\n');
    const syntax: unknown = await loadScenarioFile(relative(process.cwd(), file)).catch((e: unknown) => e);
    expect((syntax as ScenarioError).problems[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
  });
});
