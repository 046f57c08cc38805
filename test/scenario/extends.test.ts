/**
 * `extends`: a shipped scenario by name (`default`, `default.yaml`) from any folder and from an
 * installed package, an own file by a path relative to the extending file (looked up first), and a
 * missing one that says where it was looked for and which names are shipped.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile, ScenarioError } from '../../src/index.js';
import { loadCompiledScenario } from '../../src/scenario/compiled.js';
import { cli } from '../cli/in-process.js';
import { runProcess } from '../helpers/process.js';
import { TENANT_ID } from '../helpers/ids.js';

let tmp: string;
const write = (rel: string, text: string) => {
  const file = join(tmp, rel);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
};
const SHIPPED = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5));

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mock-entra-extends-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

async function refusal(file: string): Promise<ScenarioError> {
  const err: unknown = await loadScenarioFile(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ScenarioError);
  return err as ScenarioError;
}

describe('extends', () => {
  it.each(['default', 'default.yaml'])('`extends: %s` in a file outside the package gets the shipped default scenario, with this file merged over it', async (ref) => {
    const file = write(`anywhere/${ref}-child.yaml`, `extends: ${ref}\ndescription: mine\nrules:\n  - { when: { endpoint: token }, then: { error: 50126 } }\n`);
    const s = await loadScenarioFile(file);
    expect(s.tenant.id).toBe(TENANT_ID);
    expect(s.description).toBe('mine');
    expect(s.apps.map((a) => a.name)).toEqual(expect.arrayContaining(['sample-web', 'sample-api', 'sample-cli', 'sample-saml']));
    expect(s.rules.map((r) => r.then.error)).toEqual([50126]);
  });

  it('extends another shipped scenario by name, which itself extends the default', async () => {
    const file = write('anywhere/skew.yaml', 'extends: clock-skew\n');
    const s = await loadScenarioFile(file);
    expect(s.rules.some((r) => r.then.clockSkewSeconds !== undefined)).toBe(true);
    expect(s.apps.some((a) => a.name === 'sample-web')).toBe(true);
  });

  it('resolves a relative path against the extending file first, so an own default.yaml wins over the shipped one', async () => {
    write('own/default.yaml', `description: my own base\ntenant: { id: 11111111-2222-4333-8444-555555555555, domain: fabrikam.onmicrosoft.com }\n`);
    write('own/sub/base.yaml', `extends: ../default.yaml\napps: [{ name: own-app }]\n`);
    const s = await loadScenarioFile(write('own/child.yaml', 'extends: default.yaml\n'));
    expect(s.description).toBe('my own base');
    expect(s.tenant.domain).toBe('fabrikam.onmicrosoft.com');
    const nested = await loadScenarioFile(write('own/sub/child.yaml', 'extends: base\n'));
    expect(nested.apps.map((a) => a.name)).toEqual(['own-app']);
    expect(nested.tenant.domain).toBe('fabrikam.onmicrosoft.com');
  });

  it('a file named default.yaml that extends `default` gets the shipped one, not itself', async () => {
    const s = await loadScenarioFile(write('copy/default.yaml', 'extends: default\ndescription: my default\n'));
    expect(s.description).toBe('my default');
    expect(s.tenant.id).toBe(TENANT_ID);
  });

  it('the compiled-scenario cache notices an own base created where `extends` looked first', async () => {
    const child = write('cached/child.yaml', 'extends: default\n');
    const cache = join(tmp, 'cached-cache');
    expect((await loadCompiledScenario(child, cache)).tenant.id).toBe(TENANT_ID);
    expect((await loadCompiledScenario(child, cache)).tenant.id).toBe(TENANT_ID);
    write('cached/default.yaml', 'tenant: { id: 11111111-2222-4333-8444-555555555555, domain: fabrikam.onmicrosoft.com }\n');
    expect((await loadCompiledScenario(child, cache)).tenant.domain).toBe('fabrikam.onmicrosoft.com');
  });

  it('a missing base says where relative paths are looked up, which names are shipped, and the nearest one', async () => {
    const file = write('typo/my.yaml', 'extends: defualt\n');
    const err = await refusal(file);
    expect(err.file).toBe(file);
    expect(err.problems).toHaveLength(1);
    const p = err.problems[0]!;
    expect(p).toMatch(/^extends: 'defualt' not found/);
    expect(p).toContain(join(tmp, 'typo', 'defualt'));
    expect(p).toContain(`relative paths are looked up from this file's folder (${join(tmp, 'typo')})`);
    for (const name of SHIPPED) expect(p).toContain(name);
    expect(p).toContain('mock-entra scenario list');
    expect(p).toContain("did you mean 'default'?");
  });

  it('`scenario validate` of such a file prints that message, with no hint about naming the file itself', async () => {
    const file = write('typo/cli.yaml', 'extends: no-such-base.yaml\n');
    const r = await cli(['scenario', 'validate', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}: invalid scenario`);
    expect(r.stderr).toContain("extends: 'no-such-base.yaml' not found");
    expect(r.stderr).not.toContain('cannot read the file');
  });
});

describe('extends in an installed project', () => {
  let project: string;

  beforeAll(() => {
    // What `npm install mock-entra` lays out: the package's dist/ and scenarios/ under node_modules
    // (copied, so the modules' own URLs point there), its dependencies beside it.
    project = join(tmp, 'project');
    const pkg = join(project, 'node_modules', 'mock-entra');
    mkdirSync(pkg, { recursive: true });
    for (const part of ['dist', 'scenarios', 'package.json']) cpSync(resolve(part), join(pkg, part), { recursive: true });
    symlinkSync(resolve('node_modules'), join(pkg, 'node_modules'), 'dir');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-mock-entra', private: true, type: 'module' }));
    writeFileSync(join(project, 'my.yaml'), 'extends: default\ndescription: my app\napps:\n  - { name: my-app, redirectUris: [http://localhost:5000/cb] }\n');
    mkdirSync(join(project, 'test'));
    writeFileSync(join(project, 'test', 'deeper.yaml'), 'extends: default.yaml\n');
  });

  it('`mock-entra scenario validate` finds the shipped default by name, run from the project', async () => {
    const r = await runProcess(process.execPath, [join('node_modules', 'mock-entra', 'dist', 'cli', 'main.js'), 'scenario', 'validate', 'my.yaml'], { cwd: project });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('valid');
  });

  it('`loadScenarioFile` from the package finds it from another folder too', async () => {
    writeFileSync(
      join(project, 'load.mjs'),
      `import { loadScenarioFile } from 'mock-entra';
const s = await loadScenarioFile(process.argv[2]);
console.log(JSON.stringify({ tenant: s.tenant.id, apps: s.apps.map((a) => a.name) }));
`,
    );
    const r = await runProcess(process.execPath, [join(project, 'load.mjs'), 'deeper.yaml'], { cwd: join(project, 'test') });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ tenant: TENANT_ID, apps: expect.arrayContaining(['sample-web']) });
  });
});
