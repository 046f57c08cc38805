/** Server-rendered pages shaped like Entra's sign-in service: account picker, password form, error page, form_post. */
import type { Tenant, User } from '../directory/model.js';
import type { EntraError, RequestIds } from '../entra/errors.js';

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * `s` escaped, with a line-break opportunity (<wbr>) after each run of / ? & = . # : long URLs and
 * paths wrap at their separators, never mid-word (overflow-wrap: anywhere would split "callback").
 * A UPN (or e-mail address) gets none, and a `upn` span that keeps it on one line.
 */
export const breakable = (s: string) => (/^[^\s/@]+@[^\s/@]+$/.test(s) ? `<span class="upn">${esc(s)}</span>` : s.split(/(?<=[/?&=.#])(?![/?&=.#])/).map(esc).join('<wbr>'));

/** aka.ms links in Entra's messages (50011's https://aka.ms/redirectUriMismatchError, …), as links; the rest escaped. Other URLs stay text: a message can quote what the request sent. */
export const withLinks = (text: string) =>
  text
    .split(/(https:\/\/aka\.ms\/[A-Za-z0-9_\-/]+)/)
    .map((part, i) => (i % 2 ? `<a href="${esc(part)}">${breakable(part)}</a>` : esc(part)))
    .join('');

const STYLE = `*{box-sizing:border-box}body{font-family:"Segoe UI","Segoe UI Web",system-ui,sans-serif;background:#f2f2f2;margin:0;color:#1b1b1b;font-size:15px}
main{max-width:440px;margin:8vh auto 16px;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:1.5rem;font-weight:600;margin:0 0 12px;line-height:1.75rem}h2{font-size:1rem;font-weight:600;margin:20px 0 8px}
.brand{font-weight:600;color:#5e5e5e;margin-bottom:16px;font-size:1.1rem}.identity{margin:0 0 12px;color:#1b1b1b}
label{display:block;margin:16px 0 4px}input[type=text],input[type=email],input[type=password]{width:100%;padding:6px 0;border:0;border-bottom:1px solid #666;font:inherit;background:none}
input[type=text]:focus,input[type=email]:focus,input[type=password]:focus{border-bottom:2px solid #0067b8;outline:0}input[aria-invalid=true]{border-bottom-color:#c50f1f}
button:focus-visible,a:focus-visible{outline:2px solid #1b1b1b;outline-offset:2px}
.actions{display:flex;justify-content:flex-end;margin-top:24px}button{font:inherit;background:#0067b8;color:#fff;border:1px solid #0067b8;padding:4px 12px;min-width:108px;min-height:32px;cursor:pointer}
button:hover{background:#005da6}form>button{display:block;margin:24px 0 0 auto}ul.accounts{list-style:none;padding:0;margin:8px -44px 0;border-top:1px solid #e6e6e6}
ul.accounts button{display:flex;align-items:center;gap:12px;background:none;color:#1b1b1b;border:0;border-bottom:1px solid #e6e6e6;width:100%;text-align:left;padding:12px 44px;margin:0}
ul.accounts button:hover,ul.accounts button:focus-visible{background:#e6e6e6}ul.accounts button:focus-visible{outline-offset:-2px}ul.accounts .who{display:flex;flex-direction:column}ul.accounts .upn{color:#5e5e5e;font-size:.85rem;white-space:nowrap}
.avatar{flex:none;width:40px;height:40px;border-radius:50%;background:#004e8c;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:600}
.error{color:#c50f1f}dl{font-size:.85rem;color:#404040;margin:0}dt{font-weight:600}dd{margin:0 0 8px;overflow-wrap:break-word}
var{font-style:normal;font-family:Consolas,monospace;background:#f2f2f2;padding:0 2px}ul#codes{padding-left:20px;font-size:.85rem}
footer{max-width:440px;margin:0 auto;font-size:.75rem;color:#5e5e5e;text-align:right;padding:0 4px}`;

/**
 * The sign-in page frame; other sign-in screens (device code entry) use it too. The empty icon
 * keeps browsers from asking for /favicon.ico, a 404 in the request log.
 */
export function layout(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><link rel="icon" href="data:,"><style>${STYLE}</style></head><body><main>${body}</main><footer>mock-entra: a local mock, not a Microsoft service</footer></body></html>`;
}

/** Entra's "Sorry, but we're having trouble signing you in." page with its troubleshooting details. */
export function errorPage(err: EntraError, ids: RequestIds): string {
  const ts = `${ids.at.toISOString().slice(0, 19)}Z`;
  return layout(
    'Sign in to your account',
    `<div class="brand">Microsoft</div><h1>Sign in</h1><p>Sorry, but we're having trouble signing you in.</p>
<p class="error" id="message" role="alert">AADSTS${err.code}: ${withLinks(err.text)}</p>
<h2>Troubleshooting details</h2>
<p>If you contact your administrator, send this info to them.</p>
<dl><dt>Request Id</dt><dd data-field="trace_id">${ids.traceId}</dd><dt>Correlation Id</dt><dd data-field="correlation_id">${ids.correlationId}</dd>
<dt>Timestamp</dt><dd data-field="timestamp">${ts}</dd><dt>Message</dt><dd data-field="code">AADSTS${err.code}: ${withLinks(err.text)}</dd></dl>`,
  );
}

/** The auto-submitting form of response_mode=form_post. */
export function formPost(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}"/>`)
    .join('');
  return `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="${esc(action)}">${inputs}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"/></noscript></form><script language="javascript">document.forms[0].submit();</script></body></html>`;
}

export interface LoginPageInput {
  tenant: Tenant;
  action: string;
  /** Pre-selected account: shows the password step. */
  user?: Pick<User, 'upn' | 'name'>;
  username?: string;
  error?: string;
  appName?: string;
}

const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('');

/**
 * Account picker (no account chosen yet) or password form. Keyboard-only use works: accounts are
 * real buttons in Tab order, the first field (or first account) has focus, errors are announced.
 */
export function loginPage(i: LoginPageInput): string {
  const errorHtml = i.error ? `<p class="error" role="alert" id="error">${esc(i.error)}</p>` : '';
  const invalid = i.error ? ' aria-invalid="true" aria-describedby="error"' : '';
  const to = i.appName ? `<p>to continue to ${esc(i.appName)}</p>` : '';
  if (!i.user && !i.username) {
    const accounts = i.tenant.users
      .map(
        (u, n) =>
          `<li><button type="submit" name="username" value="${esc(u.upn)}"${n === 0 && !i.error ? ' autofocus' : ''}><span class="avatar" aria-hidden="true">${esc(initials(u.name))}</span><span class="who"><strong>${esc(u.name)}</strong><span class="upn">${esc(u.upn)}</span></span></button></li>`,
      )
      .join('');
    return layout(
      'Sign in to your account',
      `<div class="brand">${esc(i.tenant.name)}</div><h1>Pick an account</h1>${to}${errorHtml}
<form method="post" action="${esc(i.action)}"><ul class="accounts" aria-label="Accounts">${accounts}</ul></form>
<form method="post" action="${esc(i.action)}"><label for="username">Use another account</label><input type="email" id="username" name="username" autocomplete="username" placeholder="Email or phone" required${i.error ? ' autofocus' : ''}${invalid}><div class="actions"><button type="submit">Next</button></div></form>`,
    );
  }
  const upn = i.user?.upn ?? i.username ?? '';
  return layout(
    'Sign in to your account',
    `<div class="brand">${esc(i.tenant.name)}</div><p class="identity">${esc(upn)}</p><h1>Enter password</h1>${to}${errorHtml}
<form method="post" action="${esc(i.action)}"><input type="hidden" name="username" value="${esc(upn)}">
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required autofocus${invalid}>
<div class="actions"><button type="submit">Sign in</button></div></form>`,
  );
}
