/**
 * Tokens for tests without a browser: `idp.signIn()` runs the real authorization-code flow over
 * HTTP (login_hint auto sign-in, or the password form when auto sign-in is off; cookies and
 * redirects followed like a browser; PKCE), then redeems the code at the token endpoint.
 * `idp.clientCredentials()` asks for an app-only token. Both talk to the server over the network,
 * so fault rules, logs and the request list see them like any client, and both trust the mock's
 * CA directly: they work without NODE_EXTRA_CA_CERTS.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { App, Directory, Tenant, User } from './directory/model.js';
import { findUser } from './directory/lookup.js';
import { url } from './server/routes.js';

/** The token endpoint's answer, in Entra's fields. */
export interface TokenResponse {
  token_type: 'Bearer';
  /** Absent for client credentials. */
  scope?: string;
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
  /** When `openid` was asked for. */
  id_token?: string;
  /** When `offline_access` was asked for. */
  refresh_token?: string;
  client_info?: string;
}

/** What `idp.signIn()` signs in: a user, to an app, for scopes. */
export interface SignInOptions {
  /** UPN (or object ID) of a scenario user, e.g. `ada@contoso.onmicrosoft.com`. */
  user: string;
  /** App name (`sample-web`) or client ID. */
  app: string;
  /** Default `openid profile email`. Add an API's scope (`api://sample-api/access_as_user`) for an access token to that API, `offline_access` for a refresh token. */
  scopes?: string | string[];
  /** Default: the app's first unexpired secret in the scenario (or its first secret); none for a public client without secrets. */
  secret?: string;
  /** Default: the app's first redirect URI. */
  redirectUri?: string;
  nonce?: string;
  /** Extra headers on every request, e.g. `{ 'x-test-id': 't1' }` to match a rule's `when.header`. */
  headers?: Record<string, string>;
}

/** What `idp.clientCredentials()` asks for: an app-only token for one API. */
export interface ClientCredentialsOptions {
  /** App name or client ID. */
  app: string;
  /** The API's `.default` scope, e.g. `api://sample-api/.default`. */
  scope: string;
  /** Default: the app's first unexpired secret in the scenario (or its first secret). */
  secret?: string;
  headers?: Record<string, string>;
}

/**
 * The mock answered with an error, as Entra would have: an error page or a redirect with `error`
 * during sign-in, or a JSON error from the token endpoint.
 * @example await expect(idp.signIn({ user: 'grace@…', app: 'sample-web' })).rejects.toMatchObject({ code: 50105 })
 */
export class EntraResponseError extends Error {
  /** The AADSTS number, e.g. 50105. */
  readonly code: number | undefined;
  /** OAuth `error`, e.g. `invalid_client` (undefined for an error page). */
  readonly error: string | undefined;
  /** HTTP status of the answer. */
  readonly status: number;
  /** Where it failed: the sign-in (authorize) or the token request. */
  readonly stage: 'authorize' | 'token';
  /** The JSON error body, the redirect's parameters, or the page. */
  readonly body: unknown;
  constructor(o: { message: string; code?: number; error?: string; status: number; stage: 'authorize' | 'token'; body: unknown }) {
    super(o.message);
    this.name = 'EntraResponseError';
    this.code = o.code;
    this.error = o.error;
    this.status = o.status;
    this.stage = o.stage;
    this.body = o.body;
  }
}

export interface TestClientDeps {
  url: string;
  tenantId: string;
  /** PEM of the CA that issued the server's certificate. */
  caCert: string;
  /** The directory in force now (it changes with useScenario). */
  directory: () => Directory;
}

export interface TestClient {
  signIn(o: SignInOptions): Promise<TokenResponse>;
  clientCredentials(o: ClientCredentialsOptions): Promise<TokenResponse>;
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

const MAX_HOPS = 12;

export function testClient(d: TestClientDeps): TestClient {
  const t = { tenant: d.tenantId };

  const send = (url: URL, o: { method?: string; form?: Record<string, string>; headers?: Record<string, string>; cookies?: Map<string, string> } = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
      const headers: Record<string, string> = { accept: 'text/html,application/json', ...o.headers };
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      if (o.cookies?.size) headers.cookie = [...o.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: o.method ?? 'GET', headers, ca: d.caCert }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  const storeCookies = (jar: Map<string, string>, a: Answer) => {
    for (const c of a.headers['set-cookie'] ?? []) {
      const pair = c.split(';')[0] ?? '';
      const i = pair.indexOf('=');
      if (i < 0) continue;
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(name);
      else jar.set(name, value);
    }
  };

  const tokenRequest = async (form: Record<string, string>, headers?: Record<string, string>): Promise<TokenResponse> => {
    const a = await send(new URL(url(d.url, 'token.v2', t)), { method: 'POST', form, headers });
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(a.body) as Record<string, unknown>;
    } catch {
      throw new EntraResponseError({ message: `token endpoint answered ${a.status} with no JSON`, status: a.status, stage: 'token', body: a.body });
    }
    if (a.status !== 200 || typeof json.access_token !== 'string') {
      const description = String(json.error_description ?? json.error ?? `HTTP ${a.status}`);
      throw new EntraResponseError({ message: description.split('\r\n')[0]!, code: codeOf(json.error_codes, description), error: json.error as string | undefined, status: a.status, stage: 'token', body: json });
    }
    return json as unknown as TokenResponse;
  };

  return {
    async signIn(o) {
      const tenant = d.directory().tenants[0]!;
      const app = appNamed(tenant, o.app);
      const user = findUser(tenant, o.user);
      if (!user) throw new Error(`no user '${o.user}' in the scenario; users: ${tenant.users.map((u) => u.upn).join(', ') || 'none'}`);
      const redirectUri = o.redirectUri ?? app.redirectUris[0];
      if (!redirectUri) throw new Error(`app '${app.name}' has no redirect URI: add redirectUris to it in the scenario, or use clientCredentials()`);
      const scope = scopeString(o.scopes);
      const verifier = randomBytes(32).toString('base64url');
      const state = randomBytes(8).toString('hex');
      const authorize = new URL(url(d.url, 'authorize.v2', t));
      authorize.search = new URLSearchParams({
        client_id: app.clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        response_mode: 'query',
        scope,
        state,
        nonce: o.nonce ?? randomBytes(8).toString('hex'),
        login_hint: user.upn,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();

      const code = await followToCode(authorize, redirectUri, user, o.headers);
      const secret = o.secret ?? defaultSecret(app);
      return tokenRequest(
        {
          grant_type: 'authorization_code',
          client_id: app.clientId,
          code,
          redirect_uri: redirectUri,
          code_verifier: verifier,
          scope,
          ...(secret !== undefined ? { client_secret: secret } : {}),
        },
        o.headers,
      );
    },

    async clientCredentials(o) {
      const tenant = d.directory().tenants[0]!;
      const app = appNamed(tenant, o.app);
      const secret = o.secret ?? defaultSecret(app);
      return tokenRequest({ grant_type: 'client_credentials', client_id: app.clientId, scope: o.scope, ...(secret !== undefined ? { client_secret: secret } : {}) }, o.headers);
    },
  };

  /** A browser's part: follow redirects on the mock's origin, sign in on the password form if one shows, stop at the redirect URI. */
  async function followToCode(start: URL, redirectUri: string, user: User, headers?: Record<string, string>): Promise<string> {
    const jar = new Map<string, string>();
    const target = new URL(redirectUri);
    let url = start;
    let form: Record<string, string> | undefined;
    let submitted = false;
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const a = await send(url, { method: form ? 'POST' : 'GET', form, headers, cookies: jar });
      storeCookies(jar, a);
      form = undefined;
      const location = a.headers.location;
      if (a.status >= 300 && a.status < 400 && location) {
        const next = new URL(location, url);
        if (next.origin === target.origin && next.pathname === target.pathname) return codeFrom(next);
        if (next.origin !== new URL(d.url).origin) throw new Error(`sign-in was redirected to ${next.origin}${next.pathname}, not to the redirect URI ${redirectUri}`);
        url = next;
        continue;
      }
      const page = pageError(a.body);
      if (page) throw new EntraResponseError({ message: page.message, code: page.code, status: a.status, stage: 'authorize', body: a.body });
      // Auto sign-in is off (or the hint was not enough): fill in the password form once, as a person would.
      const action = passwordFormAction(a.body);
      if (action && !submitted) {
        submitted = true;
        url = new URL(unescapeHtml(action), url);
        form = { username: user.upn, password: user.password };
        continue;
      }
      throw new Error(`sign-in stopped at ${url.pathname} (HTTP ${a.status}) without reaching the redirect URI${submitted ? ' (the password was refused?)' : ''}`);
    }
    throw new Error(`sign-in did not reach the redirect URI after ${MAX_HOPS} redirects`);
  }
}

function codeFrom(at: URL): string {
  const p = at.searchParams;
  const error = p.get('error');
  if (error) {
    const description = p.get('error_description') ?? error;
    throw new EntraResponseError({ message: description.split('\r\n')[0]!, code: codeOf(undefined, description), error, status: 302, stage: 'authorize', body: Object.fromEntries(p) });
  }
  const code = p.get('code');
  if (!code) throw new Error(`the redirect to ${at.origin}${at.pathname} carries neither code nor error`);
  return code;
}

/** The action of the form that asks for a password, if the page has one. */
function passwordFormAction(html: string): string | undefined {
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    if (!/name="password"/.test(m[2]!)) continue;
    const action = /\baction="([^"]*)"/i.exec(m[1]!)?.[1];
    if (action) return action;
  }
  return undefined;
}

/** Entra's error page shows "AADSTSnnnn: text". */
function pageError(html: string): { code: number; message: string } | undefined {
  const m = /AADSTS(\d+): ([^<]*)/.exec(html);
  return m ? { code: Number(m[1]), message: `AADSTS${m[1]}: ${unescapeHtml(m[2]!)}` } : undefined;
}

function codeOf(codes: unknown, description: string): number | undefined {
  if (Array.isArray(codes) && typeof codes[0] === 'number') return codes[0];
  const m = /^AADSTS(\d+)/.exec(description);
  return m ? Number(m[1]) : undefined;
}

function appNamed(tenant: Tenant, nameOrId: string): App {
  const s = nameOrId.toLowerCase();
  const app = tenant.apps.find((a) => !a.firstParty && (a.clientId === s || a.name.toLowerCase() === s));
  if (!app) throw new Error(`no app '${nameOrId}' in the scenario; apps: ${tenant.apps.filter((a) => !a.firstParty).map((a) => a.name).join(', ') || 'none'}`);
  return app;
}

function defaultSecret(app: App): string | undefined {
  const now = Date.now();
  return (app.secrets.find((s) => !s.expires || s.expires.getTime() > now) ?? app.secrets[0])?.value;
}

function scopeString(scopes: string | string[] | undefined): string {
  if (scopes === undefined) return 'openid profile email';
  return (Array.isArray(scopes) ? scopes : scopes.split(/\s+/)).filter(Boolean).join(' ');
}

const unescapeHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
