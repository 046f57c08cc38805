/** Server-rendered pages shaped like Entra's sign-in service: account picker, password form, error page, form_post. */
import type { Tenant, User } from '../directory/model.js';
import type { EntraError, RequestIds } from '../entra/errors.js';

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;margin:0;color:#1b1b1b}
main{max-width:440px;margin:8vh auto;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:1.5rem;font-weight:600;margin:0 0 16px}.brand{font-weight:600;color:#5e5e5e;margin-bottom:16px}
label{display:block;margin:12px 0 4px}input[type=text],input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:6px 0;border:0;border-bottom:1px solid #666;font-size:1rem}
input:focus,button:focus{outline:2px solid #0067b8;outline-offset:2px}button{background:#0067b8;color:#fff;border:0;padding:8px 24px;font-size:1rem;margin-top:20px;cursor:pointer}
ul.accounts{list-style:none;padding:0}ul.accounts button{background:none;color:#1b1b1b;width:100%;text-align:left;padding:12px;margin:0;border-bottom:1px solid #ddd}
ul.accounts button:hover{background:#f2f2f2}.error{color:#e81123}dl{font-size:.85rem;color:#5e5e5e}dt{font-weight:600}dd{margin:0 0 6px}`;

export function layout(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

/** Entra's "Sorry, but we're having trouble signing you in." page with its troubleshooting details. */
export function errorPage(err: EntraError, ids: RequestIds): string {
  const ts = ids.at.toISOString().slice(0, 19) + 'Z';
  return layout(
    'Sign in to your account',
    `<div class="brand">Microsoft</div><h1>Sign in</h1><p role="alert">Sorry, but we're having trouble signing you in.</p>
<p class="error" id="message">AADSTS${err.code}: ${esc(err.text)}</p>
<h2 style="font-size:1rem">Troubleshooting details</h2>
<dl><dt>Request Id</dt><dd data-field="trace_id">${ids.traceId}</dd><dt>Correlation Id</dt><dd data-field="correlation_id">${ids.correlationId}</dd>
<dt>Timestamp</dt><dd data-field="timestamp">${ts}</dd><dt>Message</dt><dd data-field="code">AADSTS${err.code}: ${esc(err.text)}</dd></dl>`,
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

/** Account picker (no account chosen yet) or password form. */
export function loginPage(i: LoginPageInput): string {
  const errorHtml = i.error ? `<p class="error" role="alert" id="error">${esc(i.error)}</p>` : '';
  const to = i.appName ? `<p>to continue to ${esc(i.appName)}</p>` : '';
  if (!i.user && !i.username) {
    const accounts = i.tenant.users
      .map((u) => `<li><button type="submit" name="username" value="${esc(u.upn)}"><strong>${esc(u.name)}</strong><br>${esc(u.upn)}</button></li>`)
      .join('');
    return layout(
      'Sign in to your account',
      `<div class="brand">${esc(i.tenant.name)}</div><h1>Pick an account</h1>${to}${errorHtml}
<form method="post" action="${esc(i.action)}"><ul class="accounts">${accounts}</ul></form>
<form method="post" action="${esc(i.action)}"><label for="username">Use another account</label><input type="email" id="username" name="username" autocomplete="username" required><button type="submit">Next</button></form>`,
    );
  }
  const upn = i.user?.upn ?? i.username ?? '';
  return layout(
    'Sign in to your account',
    `<div class="brand">${esc(i.tenant.name)}</div><h1>Enter password</h1>${to}<p>${esc(upn)}</p>${errorHtml}
<form method="post" action="${esc(i.action)}"><input type="hidden" name="username" value="${esc(upn)}">
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button></form>`,
  );
}
