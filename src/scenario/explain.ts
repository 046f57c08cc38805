/**
 * A scenario in plain words. For a file: its own header comment, then what it changes from the
 * scenario it extends (diff.ts), then the configuration notes and rules of the whole scenario.
 */
import { dirname, resolve } from 'node:path';
import { describeRule, plural } from '../faults/rules.js';
import { type Change, describeChange, diffScenarios, explainRule, listInWords, type RuleExplained } from './diff.js';
import { loadScenarioFile, parseYaml } from './load.js';
import type { Scenario } from './schema.js';

/** `scenario explain FILE` as data: `--json` prints it as is. */
export interface Explanation {
  file: string;
  /** The comment block at the top of the file, without the `#` markers; null when there is none. */
  header: string | null;
  description: string | null;
  /** `extends` as written in the file; null when it extends nothing. */
  extends: string | null;
  /** What the file changes from what it extends; empty when it extends nothing. */
  changes: Change[];
  /** Configuration notes of the whole scenario (expired secrets, assignment required, …). */
  notes: string[];
  /** Every rule of the whole scenario, first match wins; `added` marks the file's own. */
  rules: RuleExplained[];
}

/** The comment lines before the first line of YAML, without `# ` (editor directives left out). */
export function headerComment(text: string): string | null {
  const lines: string[] = [];
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (!line.trim() && !lines.length) continue;
    const m = /^\s*#(.*)$/.exec(line);
    if (!m) break;
    if (/^\s*yaml-language-server:/.test(m[1]!)) continue;
    lines.push(m[1]!.replace(/^ /, '').trimEnd());
  }
  while (lines.length && !lines[lines.length - 1]) lines.pop();
  return lines.length ? lines.join('\n') : null;
}

/**
 * Reads `file` (and what it extends): the explanation, and the merged scenario it explains. A bad
 * file throws the ScenarioError `scenario validate` shows.
 */
export async function explainFile(file: string, shown = file): Promise<{ explanation: Explanation; scenario: Scenario }> {
  const files: Array<{ file: string; text: string }> = [];
  const s = await loadScenarioFile(file, { files });
  const own = files[0]!;
  const raw = parseYaml(own.text, own.file) as Record<string, unknown>;
  const ext = typeof raw.extends === 'string' ? raw.extends : null;
  const base = ext === null ? undefined : await loadScenarioFile(resolve(dirname(own.file), ext));
  const inherited = base?.rules.length ?? 0;
  const explanation: Explanation = {
    file: shown,
    header: headerComment(own.text),
    description: s.description ?? null,
    extends: ext,
    changes: base ? diffScenarios(base, s) : [],
    notes: configurationNotes(s),
    rules: s.rules.map((r, i) => explainRule(r, s, base !== undefined && i >= inherited)),
  };
  return { explanation, scenario: s };
}

const CHANGE_GROUPS: Array<[string, Array<Change['kind']>]> = [
  ['Apps', ['app']],
  ['Users and groups', ['user', 'group']],
  ['Managed identities', ['managedIdentity']],
  ['Settings', ['setting']],
];

/** The text `scenario explain` prints; `full` adds the whole merged scenario (tenant, identities, switches). */
export function renderExplanation(e: Explanation, s: Scenario, full = false): string {
  const lines: string[] = [];
  if (e.header) lines.push(e.header, '');
  if (e.extends === null) {
    lines.push(explainScenario(s, e.file));
    return lines.join('\n');
  }
  lines.push(`${e.file}: ${e.description ?? '(no description)'}`, `Extends ${e.extends}. What this file changes:`);
  const own = e.rules.filter((r) => r.added);
  if (!e.changes.length) lines.push('  nothing: it serves the same tenant as what it extends.');
  for (const [title, kinds] of CHANGE_GROUPS) {
    const changes = e.changes.filter((c) => kinds.includes(c.kind));
    // New groups are names only: one line for all of them.
    const newGroups = changes.filter((c) => c.kind === 'group' && c.field === null && c.to !== null);
    const rest = changes.filter((c) => !newGroups.includes(c));
    if (!changes.length) continue;
    lines.push(`  ${title}:`, ...rest.map((c) => `    - ${describeChange(c)}`));
    if (newGroups.length) lines.push(`    - ${plural(newGroups.length, 'group')} added: ${listInWords(newGroups.map((c) => c.name))}`);
  }
  if (own.length) lines.push(`  Rules added (after the ${plural(e.rules.length - own.length, 'rule')} it extends; first match wins):`, ...own.flatMap((r) => ruleLines(r, '    - ')));
  const switches = e.changes.filter((c) => c.kind === 'switch');
  if (switches.length) lines.push('  Switches:', ...switches.map((c) => `    - ${describeChange(c)}`));
  lines.push('', 'The whole scenario:', ...describeWhole(s, e.notes, full).slice(full ? 0 : 1));
  return lines.join('\n');
}

function ruleLines(r: RuleExplained, bullet: string): string[] {
  const pad = ' '.repeat(bullet.length);
  const out = [`${bullet}${r.explain}`];
  if (r.description) out.push(`${pad}${r.description}`);
  if (r.code !== null) out.push(`${pad}AADSTS${r.code}: ${r.message}`, `${pad}Likely cause: ${r.cause}`, `${pad}Fix: ${r.fix}`);
  return out;
}

/** Notes on settings that make requests fail, whichever file set them. */
function configurationNotes(s: Scenario): string[] {
  const notes: string[] = [];
  for (const a of s.apps) {
    for (const sec of a.secrets) {
      if (typeof sec === 'object' && sec.expires && sec.expires.getTime() < Date.now()) {
        notes.push(`${a.name}: client secret expired on ${sec.expires.toISOString().slice(0, 10)}: token requests with it get AADSTS7000222.`);
      }
    }
    if (a.assignmentRequired) {
      notes.push(`${a.name}: assignment required; only ${a.assignments.join(', ') || 'nobody'} may sign in, others get AADSTS50105.`);
    }
    if (a.saml?.signing.nextCertificateFrom) {
      notes.push(`${a.name}: SAML certificate rotation; the next certificate signs from ${a.saml.signing.nextCertificateFrom.toISOString().slice(0, 10)}.`);
    }
  }
  if (s.keys.active === 2) notes.push('Tokens are signed with the second signing key (a key rollover).');
  if (s.tls.certificate !== 'trusted') notes.push(`TLS certificate: ${s.tls.certificate === 'untrusted' ? 'issued by a CA clients do not trust' : 'issued for another host name'}.`);
  if (!s.signIn.autoSignIn) notes.push('login_hint does not sign in by itself: every sign-in shows the login page.');
  return notes;
}

/** The merged scenario: configuration notes and rules; with `full`, also the tenant, managed identities and switches. */
function describeWhole(s: Scenario, notes: string[], full: boolean): string[] {
  const lines: string[] = [];
  if (full) lines.push(`Tenant ${s.tenant.id} (${s.tenant.domain}), ${plural(s.users.length, 'user')}, ${plural(s.apps.length, 'app')}.`);
  if (notes.length) lines.push('', 'Configuration:', ...notes.map((n) => `  - ${n}`));
  if (full && s.managedIdentities.length) {
    const granted = (p: Record<string, string[]>) => Object.entries(p).map(([api, roles]) => `${api}: ${roles.join(', ')}`).join('; ');
    lines.push(
      '',
      'Managed identities (docs/managed-identity.md):',
      ...s.managedIdentities.map((m) => `  - ${m.name}: ${m.type === 'systemAssigned' ? 'system-assigned (requests naming no identity get it)' : 'user-assigned'}${Object.keys(m.permissions).length ? `, granted ${granted(m.permissions)}` : ''}.`),
    );
  }
  if (full && Object.keys(s.switches).length) {
    lines.push('', 'Switches:', ...Object.entries(s.switches).map(([k, v]) => `  - ${k}: ${v ? 'on' : 'off'} at start`));
  }
  lines.push('', s.rules.length ? 'Rules (first match wins):' : 'No fault rules.', ...s.rules.map((r, i) => `  ${i + 1}. ${describeRule(r)}`));
  return lines;
}

/** The whole scenario in words (what a scenario extending nothing, or `--full`, prints). */
export function explainScenario(s: Scenario, file: string): string {
  return [`${file}: ${s.description ?? '(no description)'}`, ...describeWhole(s, configurationNotes(s), true)].join('\n');
}
