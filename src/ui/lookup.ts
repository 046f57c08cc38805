/**
 * The error lookup `error_uri` points at (`/error?code=N`, reference §1): one page per code of the
 * catalogue, with its message, likely cause and fix, and what in the running scenario produces it;
 * `/error` alone lists every code.
 */
import { isAssigned } from '../directory/lookup.js';
import { AADSTS, type AadstsCode, type CatalogueEntry, REMEDIATION } from '../entra/aadsts.js';
import { describeRule } from '../faults/rules.js';
import { url } from '../server/routes.js';
import type { World } from '../server/world.js';
import { esc, layout, withLinks } from './pages.js';

const CODES = Object.keys(AADSTS).map(Number) as AadstsCode[];
const isCode = (n: number): n is AadstsCode => Object.hasOwn(AADSTS, n);

const lookupUrl = (code?: number) => url('', 'errorLookup', {}, code === undefined ? undefined : { code: String(code) });
const backLink = `<p><a href="${esc(lookupUrl())}">All error codes</a></p>`;

/** The message with its {placeholders} marked as such: Entra fills them in per request. */
const message = (text: string) => withLinks(text).replace(/\{(\w+)\}/g, '<var title="filled in per request">{$1}</var>');

/**
 * What in this world answers with `code`: its fault rules (scenario and run-time ones, and the
 * switches they wait on) and the settings the front-ends check (expired secrets, assignment
 * required, signed SAML requests).
 */
export function producersOf(world: World, code: number): string[] {
  const found: string[] = [];
  for (const r of world.faults.rules) {
    if (r.rule.then.error !== code) continue;
    const name = r.rule.name ? `rule '${r.rule.name}'` : 'an unnamed rule';
    const from = r.source === 'runtime' ? ' (added at run time)' : '';
    const times = r.rule.times;
    const sw = typeof times === 'object' && 'until' in times ? ` Switch '${times.until}' is ${world.faults.switches.get(times.until) ? 'on: the rule no longer fires' : 'off: the rule fires'}.` : '';
    found.push(`${name}${from}: ${describeRule({ ...r.rule, name: undefined })}${r.rule.description ? ` ${r.rule.description}` : ''}${sw}`);
  }
  const now = Date.now();
  for (const t of world.directory.tenants) {
    for (const app of t.apps) {
      if (code === 7000222) {
        for (const s of app.secrets) {
          if (s.expires && s.expires.getTime() < now) found.push(`setting: app '${app.name}' has a client secret${s.name ? ` '${s.name}'` : ''} that expired on ${s.expires.toISOString().slice(0, 10)}.`);
        }
      }
      if (code === 50105 && app.assignmentRequired) {
        const blocked = t.users.filter((u) => !isAssigned(app, u)).map((u) => u.upn);
        found.push(`setting: app '${app.name}' requires assignment; ${blocked.length ? `not assigned: ${blocked.join(', ')}` : 'every user is assigned'}.`);
      }
      if (code === 76021 && app.saml?.requireSignedRequests) found.push(`setting: app '${app.name}' requires signed SAML requests (saml.requireSignedRequests).`);
    }
  }
  return found;
}

function entryPage(code: AadstsCode, e: CatalogueEntry, world: World): string {
  const fix = REMEDIATION[code];
  const producers = producersOf(world, code);
  const source = producers.length
    ? `<h2 id="produced">This scenario produces it</h2><p>In ${esc(world.source)}:</p><ul id="producers">${producers.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`
    : `<h2 id="produced">This scenario</h2><p id="producers">No rule or setting of ${esc(world.source)} answers with this code; the mock's own checks still can.</p>`;
  return layout(
    `AADSTS${code}: error lookup`,
    `<div class="brand">Microsoft</div><h1>AADSTS${code}</h1>
<dl><dt>Error code</dt><dd data-field="code">${code}</dd><dt>Error</dt><dd data-field="error"><code>${esc(e.error)}</code>${e.suberror ? ` (suberror <code>${esc(e.suberror)}</code>)` : ''}</dd>
<dt>Message</dt><dd data-field="message">${message(e.text)}</dd>
<dt>Likely cause</dt><dd data-field="cause">${fix ? esc(fix.cause) : 'See the message: it names what Entra checked.'}</dd>
<dt>Fix</dt><dd data-field="fix">${fix ? esc(fix.fix) : 'Do what the message says.'}</dd></dl>
${source}${backLink}`,
  );
}

function notFoundPage(sent: string): string {
  // Entra's lookup answers 200 with a "not found" page for codes it does not know (unverified).
  const number = /^\d+$/.test(sent);
  const what = number
    ? `AADSTS${esc(sent)} is not in the mock's catalogue of errors, so the mock never answers with it.`
    : `'${esc(sent)}' is not an error code. Codes are numbers: for AADSTS7000215, look up 7000215.`;
  return layout('Error code not found: error lookup', `<div class="brand">Microsoft</div><h1>Error code not found</h1><p role="alert" class="error">${what}</p><p>Pick a code from the list of every code the mock answers with.</p>${backLink}`);
}

function indexPage(): string {
  const items = CODES.map((c) => `<li><a href="${esc(lookupUrl(c))}">AADSTS${c}</a>: ${esc(AADSTS[c].text.split(/(?<=\.) /)[0] ?? '')}</li>`).join('');
  return layout(
    'Error codes: error lookup',
    `<div class="brand">Microsoft</div><h1>Error codes</h1>
<form method="get" action="${esc(lookupUrl())}"><label for="code">Look up a code</label><input type="text" id="code" name="code" inputmode="numeric" placeholder="7000215"><div class="actions"><button type="submit">Look up</button></div></form>
<h2>Every code the mock answers with</h2><ul id="codes">${items}</ul>`,
  );
}

/** The page for `?code=` as sent: the code's page, a "not found" page, or the index when empty. */
export function errorLookupPage(sent: string, world: World): string {
  const trimmed = sent.trim().replace(/^AADSTS/i, '');
  if (!trimmed) return indexPage();
  const n = /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  return isCode(n) ? entryPage(n, AADSTS[n], world) : notFoundPage(trimmed.slice(0, 40));
}
