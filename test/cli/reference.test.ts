import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioReferenceMarkdown } from '../../src/cli/reference.js';
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
