#!/usr/bin/env node
// Writes docs/scenario-reference.md from the scenario schema (run `npm run build` first):
//   node docs/generate-scenario-reference.mjs           write the file
//   node docs/generate-scenario-reference.mjs --check   exit 1 if the file is out of date
// test/cli/reference.test.ts runs the same check in `npm test`.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { scenarioReferenceMarkdown } = await import(new URL('../dist/cli/reference.js', import.meta.url).href);
const target = here('./scenario-reference.md');
const markdown = scenarioReferenceMarkdown();

if (process.argv.includes('--check')) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== markdown) {
    console.error('docs/scenario-reference.md is out of date: run npm run build && node docs/generate-scenario-reference.mjs');
    process.exit(1);
  }
  console.log('docs/scenario-reference.md is up to date');
} else {
  await writeFile(target, markdown);
  console.log(`wrote ${target}`);
}
