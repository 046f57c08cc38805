/**
 * The scenario format reference (docs/scenario-reference.md), rendered from the one schema's JSON
 * Schema, so the docs cannot drift from what the loader accepts. `mock-entra scenario reference`
 * prints it; docs/generate-scenario-reference.mjs writes it.
 */
import { scenarioJsonSchema } from '../scenario/schema.js';

interface Json {
  type?: string;
  properties?: Record<string, Json>;
  required?: string[];
  items?: Json;
  anyOf?: Json[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  minLength?: number;
  propertyNames?: Json;
  additionalProperties?: Json | boolean;
}

interface Section {
  path: string;
  schema: Json;
  description?: string;
}

const GUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const SAFE = Number.MAX_SAFE_INTEGER;

const isEmpty = (s: Json) => Object.keys(s).length === 0;
const hasObjectSection = (s: Json) => s.type === 'object' && !!s.properties && Object.keys(s.properties).length > 0;
/** An object worth its own table: it has properties, and some are described or optional. */
const worthSection = (s: Json) =>
  hasObjectSection(s) && (Object.values(s.properties!).some((p) => p.description) || Object.keys(s.properties!).length > 1);
const code = (s: string) => `\`${s.replace(/\|/g, '\\|')}\``;
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function numberBounds(s: Json): string {
  const parts: string[] = [];
  if (s.exclusiveMinimum !== undefined && s.exclusiveMinimum > -SAFE) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined && s.minimum > -SAFE) parts.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined && s.maximum < SAFE) parts.push(`≤ ${s.maximum}`);
  return parts.length ? ` ${parts.join(', ')}` : '';
}

/** A short type, e.g. `list of URL`, `"a" \| "b"`; objects with a table name it. */
function typeOf(s: Json, path: string, sections: Section[]): string {
  if (isEmpty(s)) return 'any';
  if (s.const !== undefined) return code(JSON.stringify(s.const));
  if (s.enum) return s.enum.map((v) => code(JSON.stringify(v))).join(' or ');
  if (s.anyOf) {
    // z.date() has no JSON Schema form: it shows as {} beside the string form.
    if (s.anyOf.length === 2 && s.anyOf.some(isEmpty) && s.anyOf.some((a) => a.type === 'string')) return 'date (`2030-01-31`)';
    // One value or a list of the same values.
    const [one, many] = s.anyOf;
    if (s.anyOf.length === 2 && many?.type === 'array' && JSON.stringify(many.items) === JSON.stringify(one)) {
      return `${typeOf(one!, path, sections)}, or a list of them`;
    }
    return s.anyOf
      .map((a) => {
        if (hasObjectSection(a) && !worthSection(a)) {
          const [k, v] = Object.entries(a.properties!)[0]!;
          return `${code(`{ ${k}: … }`)} (${typeOf(v, `${path}.${k}`, sections)}${a.description ? `: ${a.description}` : ''})`;
        }
        return typeOf(a, path, sections);
      })
      .join(' or ');
  }
  switch (s.type) {
    case 'string':
      if (s.pattern === GUID) return 'GUID';
      if (s.format === 'uri') return 'URL';
      if (s.pattern) return `string matching ${code(s.pattern)}`;
      return s.minLength ? 'non-empty string' : 'string';
    case 'integer':
      return `integer${numberBounds(s)}`;
    case 'number':
      return `number${numberBounds(s)}`;
    case 'boolean':
      return 'boolean';
    case 'array':
      return `list of ${s.items ? typeOf(s.items, `${path}[]`, sections) : 'any'}${s.minItems ? ` (at least ${s.minItems})` : ''}`;
    case 'object': {
      if (worthSection(s)) {
        sections.push({ path, schema: s, description: s.description });
        return `object, see ${code(path)}`;
      }
      if (hasObjectSection(s)) {
        return `{ ${Object.entries(s.properties!).map(([k, v]) => `${k}: ${typeOf(v, `${path}.${k}`, sections)}`).join(', ')} }`;
      }
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        const key = s.propertyNames ? typeOf(s.propertyNames, path, sections) : 'string';
        return `map of ${key} → ${typeOf(s.additionalProperties, `${path}.*`, sections)}`;
      }
      return 'object';
    }
    default:
      return s.type ?? 'any';
  }
}

function table(section: Section, queue: Section[]): string {
  const required = new Set(section.schema.required ?? []);
  const rows = Object.entries(section.schema.properties ?? {}).map(([name, p]) => {
    const found: Section[] = [];
    const type = typeOf(p, section.path ? `${section.path}.${name}` : name, found);
    queue.push(...found);
    const def = p.default !== undefined ? code(JSON.stringify(p.default)) : required.has(name) ? '**required**' : '';
    return `| ${code(name)} | ${cell(type)} | ${def} | ${cell(p.description ?? '')} |`;
  });
  return ['| key | type | default | description |', '|---|---|---|---|', ...rows].join('\n');
}

const INTRO = `# Scenario file reference

<!-- Generated from the scenario schema (src/scenario/schema.ts) by
     \`node docs/generate-scenario-reference.mjs\` (or \`mock-entra scenario reference\`).
     Do not edit by hand: test/cli/reference.test.ts fails when this file is out of date. -->

A scenario is a YAML or JSON file (or an object passed to \`start({ scenario })\` /
\`defineScenario()\`). Only what a test cares about needs writing; everything else has a default.
\`mock-entra scenario validate FILE\` checks a file and names the path of every problem;
\`mock-entra scenario explain FILE\` says in words what it changes from what it extends (its
header comment, apps, users, settings, rules with their code's cause and fix, switches);
\`--json\` prints the same as JSON for tools (\`file\`, \`header\`, \`description\`, \`extends\`,
\`changes: [{ kind, name, field, from, to, effect }]\`, \`notes\`, \`rules\`), and \`--full\` also
describes the whole merged scenario (tenant, managed identities, switches). For completion in
editors, write the JSON Schema next to your scenarios and point at it from the first line:

\`\`\`sh
mock-entra scenario schema > scenario.schema.json
\`\`\`

\`\`\`yaml
# yaml-language-server: $schema=./scenario.schema.json
extends: default               # a shipped scenario by name, or a path to one of your own
\`\`\`

\`extends\` merges this file over the named one: objects merge key by key, \`apps\`, \`users\` and
\`groups\` merge by \`name\` / \`upn\` (so one app's setting can change without restating the rest),
\`rules\` are appended after the base's, anything else replaces. A bare name (\`default\`,
\`first-test-failure\`) is a shipped scenario, found from any folder, installed or in a clone
(\`mock-entra scenario list\` names them); other paths are relative to the file.
`;

/** The whole reference as Markdown. */
export function scenarioReferenceMarkdown(schema: unknown = scenarioJsonSchema()): string {
  const queue: Section[] = [{ path: '', schema: schema as Json, description: 'The top level of a scenario file.' }];
  const parts: string[] = [INTRO];
  const seen = new Set<string>();
  while (queue.length) {
    const section = queue.shift()!;
    if (seen.has(section.path)) continue;
    seen.add(section.path);
    const found: Section[] = [];
    const body = table(section, found);
    parts.push(`## ${section.path ? code(section.path) : 'Top level'}\n\n${section.description ? `${section.description}\n\n` : ''}${body}\n`);
    // Depth first: a section's own objects follow it.
    queue.unshift(...found);
  }
  return `${parts.join('\n')}`;
}
