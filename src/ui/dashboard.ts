/**
 * The dashboard: the tenant and its apps as an admin reads them off the Azure portal, the active
 * scenario with its switches and rules, and the request log with decoded tokens and assertions.
 * Server-rendered and complete without JavaScript; the script only adds copy buttons and auto-refresh.
 */
import type { App, ManagedIdentity, Tenant, User } from '../directory/model.js';
import { samlAttributes } from '../entra/claims.js';
import { v1Issuer, v2Issuer, type Origins } from '../entra/urls.js';
import { route, url } from '../server/routes.js';
import { describeRule } from '../faults/rules.js';
import type { SigningKey } from '../keys/store.js';
import { managedIdentityEnv } from '../managed-identity/env.js';
import type { AppCerts } from '../saml/signing.js';
import type { RequestRecord } from '../server/log.js';
import type { World } from '../server/world.js';
import { decodeJwt, prettyXml } from './decode.js';
import { breakable, esc } from './pages.js';

/** Where the dashboard's forms post; under the admin prefix, and guarded like the admin API. */
export const SWITCH_FORM_PATH = route('dashboard.switch').path;

const STYLE = `*{box-sizing:border-box}body{font-family:"Segoe UI",system-ui,sans-serif;margin:0;color:#1b1b1b;background:#faf9f8;line-height:1.4}
header{background:#004e8c;color:#fff;padding:0 24px;display:flex;flex-wrap:wrap;align-items:center;column-gap:24px}header .name{font-weight:600;font-size:1.1rem;padding:12px 0}
header nav{display:flex;flex-wrap:wrap}header nav a{color:#fff;padding:14px 8px;display:inline-block;text-decoration:none}header nav a[aria-current=page]{border-bottom:3px solid #fff}
header nav a:hover{text-decoration:underline}main{max-width:1200px;margin:0 auto;padding:8px 24px 48px}
h1{font-size:1.6rem;font-weight:600;margin:20px 0 8px}h2{font-size:1.25rem;font-weight:600;margin:28px 0 8px}h3{font-size:1.05rem;font-weight:600;margin:0 0 8px}
section.card{background:#fff;border:1px solid #d2d0ce;border-radius:4px;padding:16px 20px;margin:12px 0}
section.banner{background:#fde7e9;border:1px solid #a4262c;border-left-width:4px;border-radius:4px;padding:8px 16px;margin:16px 0}section.banner h2{margin:8px 0;color:#a4262c}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid #edebe9}
th{font-weight:600;color:#323130}table.kv th{width:16rem}code,pre{font-family:Consolas,"Cascadia Mono",monospace;font-size:.875rem}
h1,h2,h3,th,td,dd,li,p,code{overflow-wrap:break-word}.upn{white-space:nowrap}pre{background:#f3f2f1;border:1px solid #e1dfdd;padding:12px;overflow:auto;white-space:pre-wrap;word-break:break-all;margin:4px 0 12px}
a{color:#005a9e}.muted{color:#605e5c}.bad{color:#a4262c;font-weight:600}.ok{color:#107c10;font-weight:600}
button{font:inherit;background:#0067b8;color:#fff;border:1px solid #0067b8;border-radius:2px;padding:4px 12px;cursor:pointer}
button.copy{background:#fff;color:#005a9e;border-color:#8a8886;padding:1px 8px;font-size:.8rem;margin-left:8px}
button:focus-visible,a:focus-visible,input:focus-visible{outline:2px solid #1b1b1b;outline-offset:2px}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
ul.plain{margin:0;padding-left:18px}label{margin-right:8px}input,select{max-width:100%}
#log td:nth-child(4),#log td:nth-child(6),#log td:nth-child(7){white-space:nowrap}
@media (min-width:721px){#log td:nth-child(3){min-width:22rem}}
@media (max-width:720px){main{padding:8px 12px 32px}section.card{padding:12px}
table.kv,table.kv tbody,table.kv tr,table.kv th,table.kv td{display:block;width:auto}table.kv th{border:0;padding:6px 0 0}table.kv td{padding:0 0 6px}
table:not(.kv){display:block;overflow-x:auto}}`;

/** Copy buttons appear only when the script runs; everything else works without it. */
const SCRIPT = `(()=>{const status=document.getElementById('status');
const copy=async(text)=>{try{await navigator.clipboard.writeText(text)}catch{const t=document.createElement('textarea');t.value=text;document.body.append(t);t.select();document.execCommand('copy');t.remove()}};
for(const b of document.querySelectorAll('button.copy')){b.hidden=false;b.addEventListener('click',async()=>{await copy(b.dataset.copy);b.textContent='Copied';status.textContent='Copied to clipboard';setTimeout(()=>{b.textContent='Copy'},1500)})}
const auto=document.getElementById('auto');if(!auto)return;auto.closest('p').hidden=false;
setInterval(async()=>{if(!auto.checked||document.hidden)return;try{const r=await fetch(location.pathname,{cache:'no-store'});
const fresh=new DOMParser().parseFromString(await r.text(),'text/html').querySelector('#log tbody');const old=document.querySelector('#log tbody');if(fresh&&old)old.replaceWith(fresh)}catch{}},2000)})();`;

export type Page = 'overview' | 'requests' | 'signins';

/** The dashboard's page frame: header, navigation (the current page marked), the copy-button script. */
export function layout(title: string, current: Page, body: string): string {
  const link = (href: string, page: Page, text: string) => `<a href="${href}"${page === current ? ' aria-current="page"' : ''}>${text}</a>`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} - mock-entra</title><link rel="icon" href="data:,"><style>${STYLE}</style></head>
<body><header><span class="name">mock-entra</span><nav aria-label="Dashboard">${link('/', 'overview', 'Overview')}${link(url('', 'dashboard.requests'), 'requests', 'Requests')}${link(url('', 'dashboard.signIns'), 'signins', 'Sign-in logs')}</nav></header>
<main>${body}</main><div id="status" class="sr-only" role="status"></div><script>${SCRIPT}</script></body></html>`;
}

/**
 * What `serve --watch` reports (GET /_mock/scenario's `watch`): the files it watches, the last
 * reload, and the problem of the last edit that could not be loaded (null once a save loads).
 */
export interface WatchStatus {
  files: readonly string[];
  lastReload: { at: string | Date; ok: boolean } | null;
  error: { file: string; problems: readonly string[]; message: string; at: string | Date } | null;
}

const isoOf = (at: string | Date) => (typeof at === 'string' ? at : at.toISOString());

/** The banner every dashboard page shows while the watched scenario file has an edit that does not load. */
export function watchBanner(w: WatchStatus | null | undefined): string {
  const e = w?.error;
  if (!e) return '';
  const at = isoOf(e.at);
  const problems = e.problems.length ? `<ul class="plain">${e.problems.map((p) => `<li><code>${breakable(p)}</code></li>`).join('')}</ul>` : '';
  return `<section class="banner" role="alert" aria-labelledby="watch-error"><h2 id="watch-error">The scenario file has an error</h2>
<p><code>${breakable(e.file)}</code> <span class="muted">(saved <time datetime="${esc(at)}">${esc(at.slice(11, 19))} UTC</time>)</span>: ${esc(e.message)}</p>${problems}
<p>The server keeps serving the scenario it had before the edit; fix the file and save.</p></section>`;
}

/** `page` (a dashboard page) with the watch banner at the top of its main content. */
export function withWatchBanner(page: string, w: WatchStatus | null | undefined): string {
  const banner = watchBanner(w);
  return banner ? page.replace('<main>', `<main>${banner}`) : page;
}

/** A label / value row with a copy button for the value. */
export function row(label: string, value: string | undefined): string {
  if (value === undefined || value === '') return `<tr><th scope="row">${esc(label)}</th><td class="muted">not set</td></tr>`;
  return `<tr><th scope="row">${esc(label)}</th><td><code>${breakable(value)}</code><button type="button" class="copy" data-copy="${esc(value)}" aria-label="Copy ${esc(label)}" hidden>Copy</button></td></tr>`;
}

function listRow(label: string, values: string[]): string {
  if (values.length === 0) return row(label, undefined);
  const items = values
    .map((v) => `<li><code>${breakable(v)}</code><button type="button" class="copy" data-copy="${esc(v)}" aria-label="Copy ${esc(label)}: ${esc(v)}" hidden>Copy</button></li>`)
    .join('');
  return `<tr><th scope="row">${esc(label)}</th><td><ul class="plain">${items}</ul></td></tr>`;
}

export const textRow = (label: string, html: string) => `<tr><th scope="row">${esc(label)}</th><td>${html}</td></tr>`;
export const kv = (rows: string[]) => `<table class="kv">${rows.join('')}</table>`;
const day = (d: Date) => d.toISOString().slice(0, 10);

/** The "Endpoints" blade of an app registration. */
export function oidcEndpoints(origin: Origins, tid: string): Array<[string, string]> {
  const t = { tenant: tid };
  return [
    ['OpenID Connect metadata document (v2)', url(origin, 'discovery.v2', t)],
    ['OAuth 2.0 authorization endpoint (v2)', url(origin, 'authorize.v2', t)],
    ['OAuth 2.0 token endpoint (v2)', url(origin, 'token.v2', t)],
    ['Logout endpoint (v2)', url(origin, 'logout.v2', t)],
    ['JWKS URI (signing keys)', url(origin, 'jwks.v2', t)],
    ['UserInfo endpoint', url(origin, 'userinfo')],
    ['Issuer (v2 tokens)', v2Issuer(origin, tid)],
    ['OpenID Connect metadata document (v1)', url(origin, 'discovery.v1', t)],
  ];
}

export const appFederationMetadataUrl = (origin: Origins, tid: string, appId: string) => url(origin, 'federationMetadata', { tenant: tid }, { appid: appId });
export const userAccessUrl = (origin: Origins, tid: string, appId: string) => url(origin, 'saml.launch', { appId }, { tenantId: tid });

/**
 * The claims the app's assertions carry, as "Attributes & Claims" lists them: name -> source.
 * Runs the real claim builder on a user whose attributes are their own source names, so the
 * list is exactly what sign-in emits (Entra's defaults when the app sets none).
 */
function claimSources(tenant: Tenant, app: App): Array<[string, string]> {
  const group = { id: 'user.groups', name: 'user.groups' };
  const placeholder: User = {
    id: 'user.objectid',
    upn: 'user.userprincipalname',
    name: 'user.displayname',
    givenName: 'user.givenname',
    surname: 'user.surname',
    mail: 'user.mail',
    password: '',
    groups: [group],
    appRoles: new Map(),
    directoryRoles: [],
  };
  return samlAttributes(tenant, app, placeholder).map(([name, values]) => [name, values.join(', ')]);
}

const NAME_ID: Record<string, string> = {
  emailAddress: 'user.userprincipalname (emailAddress)',
  unspecified: 'user.userprincipalname (unspecified)',
  persistent: 'a stable pairwise ID (persistent)',
  transient: 'a new ID at each sign-in (transient)',
};

function certRows(certs: AppCerts | undefined): string[] {
  if (!certs) return [];
  return certs.published.flatMap((k: SigningKey, i) => {
    const state = k === certs.active ? 'Active' : 'Inactive (next)';
    const label = certs.published.length > 1 ? ` ${i + 1}` : '';
    return [
      row(`Certificate${label} thumbprint (SHA-1)`, k.thumbprintSha1Hex),
      textRow(`Certificate${label} status`, `${state}, expires <time datetime="${k.notAfter.toISOString()}">${day(k.notAfter)}</time>`),
    ];
  });
}

function appCard(origin: Origins, tenant: Tenant, app: App, certs: AppCerts | undefined): string {
  const tid = tenant.id;
  const kind = app.saml ? 'Enterprise application (SAML)' : app.publicClient ? 'App registration (public client)' : app.api ? 'App registration (API)' : 'App registration (web)';
  const overview = [
    row('Application (client) ID', app.clientId),
    row('Directory (tenant) ID', tid),
    row('Object ID (service principal)', app.servicePrincipalId),
    textRow('Client secrets', app.secrets.length ? app.secrets.map((s) => `<code>${esc(s.value.slice(0, 3))}***</code>${s.expires ? ` expires ${day(s.expires)}` : ''}`).join(', ') : '<span class="muted">none</span>'),
    textRow('Assignment required?', app.assignmentRequired ? 'Yes' : 'No'),
  ];
  overview.push(textRow('Supported account types', app.signInAudience === 'AzureADMyOrg' ? 'Accounts in this organizational directory only (single tenant)' : 'Accounts in any organizational directory (multitenant)'));
  if (app.publicClient) overview.push(textRow('Allow public client flows', 'Yes'));
  if (app.api) {
    overview.push(row('Application ID URI', app.api.identifierUri));
    overview.push(listRow('Scopes', app.api.scopes.map((s) => `${app.api!.identifierUri}/${s}`)));
    overview.push(listRow('App roles', app.api.roles));
    overview.push(textRow('Access token version', String(app.api.accessTokenVersion)));
  }
  const parts = [`<h3 id="app-${esc(app.clientId)}">${esc(app.name)} <span class="muted">· ${kind}</span></h3>`, kv(overview)];
  const oidc = !app.saml || app.redirectUris.length > 0 || app.spaRedirectUris.length > 0;
  if (oidc) {
    parts.push(
      `<h4>OpenID Connect</h4>`,
      kv([
        listRow('Redirect URIs', app.redirectUris),
        ...(app.spaRedirectUris.length ? [listRow('Single-page application redirect URIs', app.spaRedirectUris)] : []),
        ...(app.implicitGrant.idTokens || app.implicitGrant.accessTokens
          ? [textRow('Implicit grant and hybrid flows', [app.implicitGrant.accessTokens && 'Access tokens', app.implicitGrant.idTokens && 'ID tokens'].filter(Boolean).join(', '))]
          : []),
        listRow('Post-logout redirect URIs', app.postLogoutRedirectUris),
        ...oidcEndpoints(origin, tid).map(([label, url]) => row(label, url)),
      ]),
    );
  }
  const s = app.saml;
  if (s) {
    parts.push(
      `<h4>Basic SAML Configuration</h4>`,
      kv([row('Identifier (Entity ID)', s.identifier), listRow('Reply URL (Assertion Consumer Service URL)', s.replyUrls), row('Relay State', s.relayState), row('Logout URL', s.logoutUrl)]),
      `<h4>SAML Certificates</h4>`,
      kv([
        ...certRows(certs),
        textRow('Signing option', esc({ assertion: 'Sign SAML assertion', response: 'Sign SAML response', both: 'Sign SAML response and assertion' }[s.signing.option])),
        textRow('Signing algorithm', s.signing.algorithm === 'sha256' ? 'SHA-256' : 'SHA-1'),
        textRow('Token encryption', s.encryptionCertificate ? 'Active (assertions encrypted for the SP certificate)' : 'Off'),
        textRow('Verification certificates', `${s.verificationCertificates.length} uploaded${s.requireSignedRequests ? ', signed requests required' : ''}`),
        row('App Federation Metadata URL', appFederationMetadataUrl(origin, tid, app.clientId)),
      ]),
      `<h4>Set up ${esc(app.name)}</h4>`,
      kv([
        row('Login URL', url(origin, 'saml', { tenant: tid })),
        row('Microsoft Entra Identifier', v1Issuer(tid)),
        row('Logout URL', url(origin, 'saml', { tenant: tid })),
        row('User access URL', userAccessUrl(origin, tid, app.clientId)),
      ]),
      `<h4>Attributes &amp; Claims</h4>`,
      `<table><thead><tr><th scope="col">Claim name</th><th scope="col">Value</th></tr></thead><tbody>`,
      `<tr><td>Unique User Identifier (Name ID)</td><td><code>${esc(NAME_ID[s.nameIdFormat] ?? s.nameIdFormat)}</code></td></tr>`,
      ...claimSources(tenant, app).map(([name, source]) => `<tr><td><code>${breakable(name)}</code></td><td><code>${esc(source)}</code></td></tr>`),
      `</tbody></table>`,
    );
  }
  return `<section class="card" aria-labelledby="app-${esc(app.clientId)}">${parts.join('\n')}</section>`;
}

export interface DashboardInput {
  origin: Origins;
  world: World;
  caCertPath: string;
  /** SAML certificates of the SAML apps, by client ID. */
  certs: ReadonlyMap<string, AppCerts>;
  /** Set when an admin token guards changes: the switch form asks for it. */
  tokenRequired: boolean;
  /** The server's IDENTITY_HEADER (App Service's managed identity endpoint). */
  identityHeader: string;
}

/** The tenant's managed identities as the portal's Identity blade shows them, and the environment an app needs (docs/managed-identity.md). */
function managedIdentitiesSection(i: DashboardInput, t: Tenant): string {
  if (!t.managedIdentities.length) return '';
  const env = managedIdentityEnv(i.origin.login, i.identityHeader);
  const roles = (m: ManagedIdentity) =>
    [...m.app.permissions].map(([api, perms]) => `${esc(t.apps.find((a) => a.clientId === api)?.name ?? api)}: ${perms.map(esc).join(', ')}`).join('; ') || '<span class="muted">none</span>';
  return `<h2 id="managed-identities">Managed identities</h2><section class="card" aria-labelledby="managed-identities">
<table><thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Client ID</th><th scope="col">Object (principal) ID</th><th scope="col">Resource ID</th><th scope="col">App roles</th></tr></thead><tbody>${t.managedIdentities
    .map((m) => `<tr><td>${esc(m.name)}</td><td>${m.kind === 'systemAssigned' ? 'System assigned' : 'User assigned'}</td><td><code>${esc(m.clientId)}</code></td><td><code>${esc(m.objectId)}</code></td><td><code>${breakable(m.resourceId)}</code></td><td>${roles(m)}</td></tr>`)
    .join('')}</tbody></table>
<h3>App Service form</h3>${kv([row('IDENTITY_ENDPOINT', env.appService.IDENTITY_ENDPOINT), row('IDENTITY_HEADER', env.appService.IDENTITY_HEADER)])}
<h3>IMDS form</h3>${kv([row('AZURE_POD_IDENTITY_AUTHORITY_HOST', env.imds.AZURE_POD_IDENTITY_AUTHORITY_HOST)])}</section>`;
}

function scenarioSection(i: DashboardInput): string {
  const { scenario, source, faults } = i.world;
  const switches = [...faults.switches];
  const token = i.tokenRequired
    ? `<p><label for="adminToken">Admin token</label><input type="password" id="adminToken" name="adminToken" autocomplete="off" required></p>`
    : '';
  const switchHtml = switches.length
    ? `<form method="post" action="${SWITCH_FORM_PATH}">${token}<table><thead><tr><th scope="col">Switch</th><th scope="col">State</th><th scope="col">Action</th></tr></thead><tbody>${switches
        .map(([name, on]) => {
          const action = on ? 'off' : 'on';
          return `<tr><td><code>${esc(name)}</code></td><td class="${on ? 'ok' : 'muted'}">${on ? 'On' : 'Off'}</td><td><button type="submit" name="${action}" value="${esc(name)}">Turn ${action} <span class="sr-only">${esc(name)}</span></button></td></tr>`;
        })
        .join('')}</tbody></table></form>`
    : '<p class="muted">This scenario has no switches.</p>';
  const rules = faults.rules;
  const ruleHtml = rules.length
    ? `<table><thead><tr><th scope="col">Rule</th><th scope="col">From</th><th scope="col">Matched</th><th scope="col">Fired</th></tr></thead><tbody>${rules
        .map((r) => `<tr><td>${esc(describeRule(r.rule))}</td><td>${r.source}</td><td>${r.matched}</td><td>${r.fired}</td></tr>`)
        .join('')}</tbody></table>`
    : '<p class="muted">No fault rules: every request is answered normally.</p>';
  return `<section class="card" aria-labelledby="scenario"><h2 id="scenario" style="margin-top:0">Scenario</h2>
${kv([row('Source', source), textRow('Description', scenario.description ? esc(scenario.description) : '<span class="muted">none</span>')])}
<h3 id="switches" style="margin-top:16px">Switches</h3>${switchHtml}<h3 id="rules" style="margin-top:16px">Fault rules</h3>${ruleHtml}</section>`;
}

export function dashboardPage(i: DashboardInput): string {
  const tenants = i.world.directory.tenants
    .map((t) => {
      const apps = t.apps.filter((a) => !a.firstParty);
      return `<h2 id="tenant-${esc(t.id)}">Tenant ${esc(t.name)}</h2><section class="card" aria-labelledby="tenant-${esc(t.id)}">${kv([
        row('Tenant ID', t.id),
        row('Primary domain', t.domain),
        row('Issuer (v2 tokens)', v2Issuer(i.origin, t.id)),
        row('Issuer (v1 tokens, SAML)', v1Issuer(t.id)),
        row('Federation metadata document', url(i.origin, 'federationMetadata', { tenant: t.id })),
        textRow('Users', t.users.map((u) => `<code class="upn">${esc(u.upn)}</code> (${esc(u.name)})`).join(', ')),
      ])}</section>
<h2>Applications</h2>${apps.map((a) => appCard(i.origin, t, a, i.certs.get(a.clientId))).join('\n')}
${managedIdentitiesSection(i, t)}`;
    })
    .join('\n');
  const tls = i.origin.login.startsWith('https:') ? ` Clients trust its TLS certificate through the local CA at <code>${breakable(i.caCertPath)}</code>.` : '';
  return layout(
    'Overview',
    'overview',
    `<h1>Overview</h1><p>Serving <code>${breakable(i.origin.login)}</code>.${tls} <a href="${url('', 'dashboard.requests')}">Recent requests</a></p>
${scenarioSection(i)}
${tenants}`,
  );
}

const timeOf = (iso: string) => iso.slice(11, 23);

function logRow(r: RequestRecord): string {
  const href = url('', 'dashboard.request', { traceId: r.traceId });
  const app = r.app ?? r.clientId;
  const artifacts = r.artifacts?.map((a) => a.name).join(', ');
  return `<tr><td><time datetime="${esc(r.time)}">${timeOf(r.time)}</time></td><td>${esc(r.method)}</td><td><a href="${href}">${breakable(r.path)}</a>${artifacts ? ` <span class="muted">(${esc(artifacts)})</span>` : ''}</td>
<td>${app ? esc(app) : ''}</td><td>${r.user ? `<span class="upn">${esc(r.user)}</span>` : ''}</td><td class="${r.status >= 400 ? 'bad' : ''}">${r.status}</td><td>${r.aadsts ? `<span class="bad">AADSTS${r.aadsts}</span>` : ''}</td><td>${r.rule ? esc(r.rule) : ''}</td></tr>`;
}

/** Newest first. */
export function requestsPage(records: readonly RequestRecord[]): string {
  const rows = [...records].reverse().map(logRow).join('\n');
  return layout(
    'Requests',
    'requests',
    `<h1>Requests</h1><p>The last ${records.length} requests to the identity provider, newest first (the log keeps 500). <a href="${url('', 'dashboard.requests')}">Reload</a></p>
<p hidden><input type="checkbox" id="auto" checked><label for="auto">Refresh automatically</label></p>
<table id="log"><caption class="sr-only">Recent requests</caption><thead><tr><th scope="col">Time (UTC)</th><th scope="col">Method</th><th scope="col">Path</th><th scope="col">App</th><th scope="col">User</th><th scope="col">Status</th><th scope="col">Error</th><th scope="col">Fault rule</th></tr></thead>
<tbody>${rows || '<tr><td colspan="8" class="muted">No requests yet.</td></tr>'}</tbody></table>`,
  );
}

export const json = (v: unknown) => `<pre>${esc(JSON.stringify(v, null, 2))}</pre>`;
const TIME_CLAIMS = ['iat', 'nbf', 'exp'];

/** A token (header and claims decoded, times in words) or a SAML message (indented), under its own heading. */
export function artifactHtml(a: NonNullable<RequestRecord['artifacts']>[number], n: number): string {
  const heading = `<h2 id="artifact-${n}">${esc(a.name)} <span class="muted">(${a.direction === 'request' ? 'sent by the client' : 'issued'})</span></h2>`;
  if (a.kind === 'saml') {
    return `${heading}<pre>${esc(prettyXml(a.value))}</pre><details><summary>As sent (unindented)</summary><pre>${esc(a.value)}</pre></details>`;
  }
  const jwt = decodeJwt(a.value);
  if (!jwt) return `${heading}<p class="muted">Not a JWT.</p>`;
  const times = TIME_CLAIMS.filter((c) => typeof jwt.claims[c] === 'number')
    .map((c) => `<li><code>${c}</code>: ${new Date((jwt.claims[c] as number) * 1000).toISOString()}</li>`)
    .join('');
  return `${heading}<h3>Header</h3>${json(jwt.header)}<h3>Claims</h3>${json(jwt.claims)}${times ? `<ul class="plain">${times}</ul>` : ''}
<details><summary>Encoded token</summary><pre>${esc(a.value)}</pre></details>`;
}

export function requestDetailPage(r: RequestRecord): string {
  const facts = kv([
    textRow('Time (UTC)', `<time datetime="${esc(r.time)}">${esc(r.time)}</time>`),
    textRow('Request', `<code>${esc(r.method)} ${breakable(r.path)}</code>`),
    textRow('Status', `${r.status}${r.aadsts ? ` <span class="bad">AADSTS${r.aadsts}</span>` : ''}`),
    row('Trace ID (x-ms-request-id)', r.traceId),
    textRow('App', r.app || r.clientId ? `${esc(r.app ?? '')} <code>${esc(r.clientId ?? '')}</code>` : '<span class="muted">unknown</span>'),
    textRow('User', r.user ? `<span class="upn">${esc(r.user)}</span>` : '<span class="muted">unknown</span>'),
    textRow('Fault rule', r.rule ? esc(r.rule) : '<span class="muted">none fired</span>'),
    textRow('Duration', `${r.ms} ms`),
  ]);
  const artifacts = r.artifacts?.map(artifactHtml).join('\n') ?? '<p class="muted">No tokens or SAML messages in this request.</p>';
  return layout(`${r.method} ${r.path}`, 'requests', `<p><a href="${url('', 'dashboard.requests')}">← All requests</a></p><h1>${esc(r.method)} ${breakable(r.path)}</h1>${facts}${artifacts}`);
}

export function notInLogPage(traceId: string): string {
  return layout('Not found', 'requests', `<h1>Request not found</h1><p>No request with trace ID <code>${esc(traceId)}</code> is in the log; it keeps the last 500 requests, and a reset clears it.</p><p><a href="${url('', 'dashboard.requests')}">All requests</a></p>`);
}

/** Answer to a refused or failed dashboard action. */
export function messagePage(title: string, message: string): string {
  return layout(title, 'overview', `<h1>${esc(title)}</h1><p>${esc(message)}</p><p><a href="/">Back to the overview</a></p>`);
}
