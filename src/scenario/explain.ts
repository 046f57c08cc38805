/** A scenario in plain words: what it changes from a plain tenant, and what each fault rule does. */
import { describeRule } from '../faults/rules.js';
import type { Scenario } from './schema.js';

export function explainScenario(s: Scenario, file: string): string {
  const lines = [`${file}: ${s.description ?? '(no description)'}`, `Tenant ${s.tenant.id} (${s.tenant.domain}), ${s.users.length} users, ${s.apps.length} apps.`];
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
  if (notes.length) lines.push('', 'Configuration:', ...notes.map((n) => `  - ${n}`));
  if (s.managedIdentities.length) {
    const granted = (p: Record<string, string[]>) => Object.entries(p).map(([api, roles]) => `${api}: ${roles.join(', ')}`).join('; ');
    lines.push(
      '',
      'Managed identities (docs/managed-identity.md):',
      ...s.managedIdentities.map((m) => `  - ${m.name}: ${m.type === 'systemAssigned' ? 'system-assigned (requests naming no identity get it)' : 'user-assigned'}${Object.keys(m.permissions).length ? `, granted ${granted(m.permissions)}` : ''}.`),
    );
  }
  if (Object.keys(s.switches).length) {
    lines.push('', 'Switches:', ...Object.entries(s.switches).map(([k, v]) => `  - ${k}: ${v ? 'on' : 'off'} at start`));
  }
  lines.push('', s.rules.length ? 'Rules (first match wins):' : 'No fault rules.', ...s.rules.map((r, i) => `  ${i + 1}. ${describeRule(r)}`));
  return lines.join('\n');
}
