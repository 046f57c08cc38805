import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioReferenceMarkdown } from '../../src/cli/reference.js';
import { loadScenarioFile, shippedScenarioNames } from '../../src/scenario/load.js';
import { scenarioJsonSchema } from '../../src/scenario/schema.js';
import { cli } from './in-process.js';

describe('docs/scenario-reference.md', () => {
  it('is up to date with the scenario schema (regenerate: npm run build && node docs/generate-scenario-reference.mjs)', () => {
    expect(readFileSync('docs/scenario-reference.md', 'utf8')).toBe(scenarioReferenceMarkdown());
  });

  it('documents every key of the schema', () => {
    const md = scenarioReferenceMarkdown();
    const keys = (s: unknown): string[] => {
      if (!s || typeof s !== 'object') return [];
      const o = s as Record<string, unknown>;
      return [...Object.keys((o.properties as object | undefined) ?? {}), ...Object.values(o).flatMap((v) => (Array.isArray(v) ? v.flatMap(keys) : keys(v)))];
    };
    const all = new Set(keys(scenarioJsonSchema()));
    expect([...all]).toEqual(expect.arrayContaining(['tenant', 'users', 'apps', 'rules', 'switches', 'redirectUris', 'clockSkewSeconds']));
    // Keys have a table row, or (one-key forms such as times: { first: N }) appear inline.
    for (const k of all) expect(md.includes(`| \`${k}\` |`) || md.includes(`\`{ ${k}: … }\``), k).toBe(true);
  });

  it('is what `mock-entra scenario reference` prints', async () => {
    const r = await cli(['scenario', 'reference']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(scenarioReferenceMarkdown());
  });
});

describe('the docs of scenario explain and import', () => {
  it('the reference and the README document explain --json and --full', () => {
    for (const text of [scenarioReferenceMarkdown(), readFileSync('README.md', 'utf8')]) {
      expect(text).toMatch(/scenario explain[^\n]*[\s\S]{0,400}`--json`[\s\S]{0,300}`--full`/);
    }
    expect(readFileSync('README.md', 'utf8')).toContain('mock-entra scenario explain FILE|NAME [--json] [--full]');
  });

  it('scenario import --help names the three kinds it reads: manifests, SP SAML metadata, HAR / SAML-tracer captures', async () => {
    const r = await cli(['scenario', 'import', '--help']);
    expect(r.status).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain('app registration manifests');
    expect(help).toContain('SAML metadata');
    expect(help).toMatch(/HAR or SAML-tracer captures/);
  });
});

/** Every `extends:` the docs show, with the file it is in. */
function docExtends(): Array<{ file: string; value: string; block: string }> {
  const files = ['README.md', ...readdirSync('docs', { recursive: true, encoding: 'utf8' }).filter((f) => /\.(md|ya?ml)$/.test(f)).map((f) => join('docs', f))];
  return files.flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    // YAML files are one block; Markdown's are its fenced yaml blocks.
    const blocks = /\.ya?ml$/.test(file) ? [text] : [...text.matchAll(/```ya?ml\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
    return blocks.flatMap((block) => [...block.matchAll(/^extends:\s*(\S+)/gm)].map((m) => ({ file, value: m[1]!, block })));
  });
}

describe('scenarios in the docs extend shipped scenarios by name', () => {
  it('no doc tells a user to extend node_modules/mock-entra/scenarios/… or a path into the checkout', () => {
    const all = docExtends();
    expect(all.length).toBeGreaterThan(5);
    const names = shippedScenarioNames();
    for (const e of all) expect(names, `${e.file}: extends: ${e.value}`).toContain(e.value.replace(/\.ya?ml$/, ''));
    expect(all.filter((e) => e.value.includes('/'))).toEqual([]);
  });

  it("docs/clients.md's scenario loads as written from a folder outside the checkout", async () => {
    const e = docExtends().find((x) => x.file === join('docs', 'clients.md'));
    expect(e?.value).toBe('default');
    const dir = mkdtempSync(join(tmpdir(), 'mock-entra-doc-extends-'));
    try {
      writeFileSync(join(dir, 'my.yaml'), e!.block);
      const s = await loadScenarioFile(join(dir, 'my.yaml'));
      expect(s.users.map((u) => u.upn)).toContain('ada@contoso.onmicrosoft.com');
      expect(s.apps.find((a) => a.name === 'sample-web')?.redirectUris).toContain('http://localhost:3000/auth/callback');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
