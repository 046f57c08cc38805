/**
 * The as-Microsoft mode reached by name resolution: the mock listens on 127.0.0.42:443 and each
 * client runs in a child process with a private /etc/hosts (a mount namespace of its own, so the
 * machine's file is never touched) mapping Microsoft's names to that address. The clients are the
 * real ones, configured exactly as for Entra: no authority, CA or host setting beyond the
 * environment (NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE).
 *
 * 127.0.0.42 is this file's own loopback address, so its port 443 never collides with another file's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MICROSOFT_HOSTNAMES } from '../../src/entra/urls.js';
import { type MockEntra, start } from '../../src/index.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { ADA, API, CLI, TENANT_ID, WEB } from '../helpers/ids.js';

const ADDRESS = '127.0.0.42';
const ROOT = resolve('.');
const CLIENTS = join(ROOT, 'test/as-microsoft/clients');
const SUBSCRIPTION = '0b1f6471-1bf0-4dda-aec3-111122223333';
const JUMPSERVER_CALLBACK = 'https://localhost:9443/core/auth/openid/callback/';
const LOGIN = 'https://login.microsoftonline.com';

const isRoot = process.getuid?.() === 0;
const hasUnshare = spawnSync('unshare', ['--version']).status === 0;
const canMapHosts = isRoot && hasUnshare;

/** Runs `cmd` with its own /etc/hosts (Microsoft's names -> ADDRESS); resolves with its stdout, rejects with its stderr. */
function withHosts(hostsFile: string, cmd: string[], env: Record<string, string>): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hostsFile, ...cmd], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) done(out);
      else fail(new Error(`${cmd.join(' ')} exited ${code}:\n${err}\n${out}`));
    });
  });
}

describe.skipIf(!canMapHosts)(`as Microsoft, by name resolution on ${ADDRESS}:443${canMapHosts ? '' : ' (skipped: needs root and unshare for a private /etc/hosts)'}`, () => {
  let idp: MockEntra;
  let hosts: string;
  let env: Record<string, string>;
  const run = async (cmd: string[], extra: Record<string, string> = {}) => JSON.parse(await withHosts(hosts, cmd, { ...env, ...extra })) as Record<string, unknown>;
  const fetchAll = async (requests: Array<{ url: string; method?: string; headers?: Record<string, string>; body?: string }>) =>
    JSON.parse(await withHosts(hosts, [process.execPath, join(CLIENTS, 'fetch-urls.mjs')], { ...env, REQUESTS: JSON.stringify(requests) })) as Array<{ url: string; status: number; location: string | null; contentType: string | null; wwwAuthenticate: string | null; body: string }>;
  const routesSeen = () => new Set(idp.requests().map((r) => `${r.method} ${r.path}`));

  beforeAll(async () => {
    idp = await start({ asMicrosoft: true, host: ADDRESS, port: 443, certsDir: TEST_CERTS_DIR, scenario: 'test/as-microsoft/scenario.yaml' });
    const dir = mkdtempSync(join(tmpdir(), 'mock-entra-hosts-'));
    hosts = join(dir, 'hosts');
    writeFileSync(hosts, `127.0.0.1 localhost\n::1 localhost\n${ADDRESS} ${MICROSOFT_HOSTNAMES.join(' ')}\n`);
    env = { NODE_EXTRA_CA_CERTS: idp.caCertPath, REQUESTS_CA_BUNDLE: idp.caCertPath, SSL_CERT_FILE: idp.caCertPath, TENANT_ID };
  });
  afterAll(async () => {
    await idp?.stop();
  });

  it('names Entra\'s own origin, issuer and CA directory', () => {
    expect(idp.url).toBe(LOGIN);
    expect(idp.issuer).toBe(`${LOGIN}/${TENANT_ID}/v2.0`);
    expect(idp.caCertPath).toBe(join(TEST_CERTS_DIR, 'as-microsoft', 'ca.pem'));
    expect(idp.localUrl).toBe(`https://${ADDRESS}:443`);
  });

  it('msal-node with its default authority (no knownAuthorities, instance discovery on) gets app-only and user tokens', async () => {
    const got = await run([process.execPath, join(CLIENTS, 'msal-node.mjs')], { CLIENT_ID: WEB.clientId, CLIENT_SECRET: WEB.secret, REDIRECT_URI: WEB.redirectUri, USER: ADA.upn });
    expect(decodeJwt(String(got.appOnly))).toMatchObject({ aud: API.clientId, iss: `${LOGIN}/${TENANT_ID}/v2.0`, idtyp: 'app', roles: [API.role], tid: TENANT_ID });
    expect(String(got.authorizeUrl).startsWith(`${LOGIN}/${TENANT_ID}/oauth2/v2.0/authorize?`)).toBe(true);
    expect(decodeJwt(String(got.idToken))).toMatchObject({ aud: WEB.clientId, iss: `${LOGIN}/${TENANT_ID}/v2.0`, preferred_username: ADA.upn, name: ADA.name });
    // Graph's token for openid profile email: v1, issued by sts.windows.net as Entra's are.
    expect(decodeJwt(String(got.accessToken))).toMatchObject({ aud: 'https://graph.microsoft.com', iss: `https://sts.windows.net/${TENANT_ID}/`, upn: ADA.upn });
    expect(got.username).toBe(ADA.upn);
    // MSAL caches under the public cloud's preferred_cache alias, from Entra's instance metadata.
    expect(got.environment).toBe('login.windows.net');
    expect(routesSeen()).toContain(`POST /${TENANT_ID}/oauth2/v2.0/token`);
  });

  it("MSAL Python's username/password flow asks the userrealm on port 443 first, then gets a token", async () => {
    const got = await run(['/usr/bin/python3', join(CLIENTS, 'msal_python.py')], { CLIENT_ID: CLI.clientId, USER_NAME: ADA.upn, PASSWORD: ADA.password });
    const result = got.result as Record<string, unknown>;
    expect(result.error_description).toBeUndefined();
    expect(decodeJwt(String(result.access_token))).toMatchObject({ aud: API.clientId, iss: `${LOGIN}/${TENANT_ID}/v2.0`, scp: API.scope, preferred_username: ADA.upn });
    expect((got.accounts as Array<{ username: string; environment: string }>)[0]).toMatchObject({ username: ADA.upn, environment: 'login.microsoftonline.com' });
    expect(routesSeen()).toContain(`GET /common/userrealm/${ADA.upn}`);
  });

  it("answers every URL of the JumpServer guide's endpoint table as written, and its sign-in works with them", async () => {
    const got = await run([process.execPath, join(CLIENTS, 'jumpserver.mjs')], { CLIENT_ID: WEB.clientId, CLIENT_SECRET: WEB.secret, REDIRECT_URI: JUMPSERVER_CALLBACK, USER: ADA.upn });
    const t = got.table as Record<string, string>;
    expect(got.discovery).toMatchObject({
      issuer: t.provider,
      authorization_endpoint: t.authorize,
      token_endpoint: t.token,
      jwks_uri: t.jwks,
      userinfo_endpoint: t.userinfo,
      end_session_endpoint: t.endSession,
    });
    expect(t.userinfo).toBe('https://graph.microsoft.com/oidc/userinfo');
    expect((got.jwks as { keys: unknown[] }).keys.length).toBeGreaterThan(0);
    expect(String(got.callback).startsWith(`${JUMPSERVER_CALLBACK}?code=`)).toBe(true);
    expect(new URL(String(got.callback)).searchParams.get('state')).toBe('js-state');
    expect(got.tokenStatus).toBe(200);
    const tokens = got.tokens as { id_token: string };
    const id = decodeJwt(tokens.id_token);
    // The guide's attribute mapping: name, preferred_username, email.
    expect(id).toMatchObject({ iss: t.provider, aud: WEB.clientId, nonce: 'js-nonce', name: ADA.name, preferred_username: ADA.upn });
    expect(got.userinfoStatus).toBe(200);
    expect(got.userinfo).toMatchObject({ sub: id.sub, name: ADA.name });
    expect(got.logoutStatus === 200 || got.logoutStatus === 302).toBe(true);
  });

  it("answers instance discovery with the public cloud's metadata, on every login alias with the same issuers", async () => {
    const authorize = `${LOGIN}/${TENANT_ID}/oauth2/v2.0/authorize`;
    const [instance, viaWindows, v1, viaSts] = await fetchAll([
      { url: `${LOGIN}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(authorize)}` },
      { url: `https://login.windows.net/${TENANT_ID}/v2.0/.well-known/openid-configuration` },
      { url: `https://login.microsoft.com/${TENANT_ID}/.well-known/openid-configuration` },
      { url: `https://sts.windows.net/${TENANT_ID}/.well-known/openid-configuration` },
    ]);
    const doc = JSON.parse(instance!.body) as { tenant_discovery_endpoint: string; metadata: unknown[] };
    expect(doc.tenant_discovery_endpoint).toBe(`${LOGIN}/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
    expect(doc.metadata[0]).toEqual({ preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: ['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net'] });
    expect(JSON.parse(viaWindows!.body)).toMatchObject({ issuer: `${LOGIN}/${TENANT_ID}/v2.0`, msgraph_host: 'graph.microsoft.com', userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo' });
    expect(JSON.parse(v1!.body)).toMatchObject({ issuer: `https://sts.windows.net/${TENANT_ID}/`, token_endpoint: `${LOGIN}/${TENANT_ID}/oauth2/token` });
    expect(JSON.parse(viaSts!.body)).toMatchObject({ issuer: `https://sts.windows.net/${TENANT_ID}/` });
  });

  it("serves SAML metadata with Entra's entity ID and endpoints, and errors whose error_uri names the host asked", async () => {
    const [metadata, badToken, lookup] = await fetchAll([
      { url: `${LOGIN}/${TENANT_ID}/federationmetadata/2007-06/federationmetadata.xml` },
      { url: `https://login.windows.net/${TENANT_ID}/oauth2/v2.0/token`, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${WEB.clientId}&client_secret=wrong&scope=api%3A%2F%2Fsample-api%2F.default` },
      { url: 'https://login.windows.net/error?code=7000215' },
    ]);
    expect(metadata!.body).toContain(`entityID="https://sts.windows.net/${TENANT_ID}/"`);
    expect(metadata!.body).toContain(`Location="${LOGIN}/${TENANT_ID}/saml2"`);
    expect(badToken!.status).toBe(401);
    expect(JSON.parse(badToken!.body)).toMatchObject({ error: 'invalid_client', error_codes: [7000215], error_uri: 'https://login.windows.net/error?code=7000215' });
    // ... and that error_uri answers, on the login host: the error lookup page.
    expect(lookup!.status).toBe(200);
    expect(lookup!.body).toContain('<h1>AADSTS7000215</h1>');
  });

  it("lists the scenario's subscriptions and tenant on management.azure.com for an ARM token, in ARM's shape", async () => {
    const { access_token: arm } = await idp.clientCredentials({ app: 'sample-web', scope: 'https://management.core.windows.net//.default' });
    expect(decodeJwt(arm)).toMatchObject({ aud: 'https://management.core.windows.net/', iss: `https://sts.windows.net/${TENANT_ID}/`, appid: WEB.clientId, idtyp: 'app' });
    const { access_token: graph } = await idp.clientCredentials({ app: 'sample-web', scope: 'https://graph.microsoft.com/.default' });
    const [subs, tenants, none, wrongAudience, noVersion, notOnLogin] = await fetchAll([
      { url: 'https://management.azure.com/subscriptions?api-version=2022-12-01', headers: { authorization: `Bearer ${arm}` } },
      { url: 'https://management.azure.com/tenants?api-version=2022-12-01', headers: { authorization: `Bearer ${arm}` } },
      { url: 'https://management.azure.com/subscriptions?api-version=2022-12-01' },
      { url: 'https://management.azure.com/subscriptions?api-version=2022-12-01', headers: { authorization: `Bearer ${graph}` } },
      { url: 'https://management.azure.com/subscriptions', headers: { authorization: `Bearer ${arm}` } },
      { url: `${LOGIN}/subscriptions?api-version=2022-12-01`, headers: { authorization: `Bearer ${arm}` } },
    ]);
    expect(subs!.status).toBe(200);
    expect(JSON.parse(subs!.body)).toMatchObject({ value: [{ id: `/subscriptions/${SUBSCRIPTION}`, subscriptionId: SUBSCRIPTION, tenantId: TENANT_ID, displayName: 'Contoso Dev', state: 'Enabled', managedByTenants: [] }] });
    expect(JSON.parse(tenants!.body)).toMatchObject({ value: [{ id: `/tenants/${TENANT_ID}`, tenantId: TENANT_ID, defaultDomain: 'contoso.onmicrosoft.com' }] });
    expect(none!.status).toBe(401);
    expect(JSON.parse(none!.body)).toEqual({ error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." } });
    expect(none!.wwwAuthenticate).toMatch(/^Bearer authorization_uri="https:\/\/login\.microsoftonline\.com\/", error="invalid_token"/);
    expect(wrongAudience!.status).toBe(401);
    expect(JSON.parse(wrongAudience!.body).error.code).toBe('InvalidAuthenticationTokenAudience');
    expect(noVersion!.status).toBe(400);
    expect(JSON.parse(noVersion!.body).error.code).toBe('MissingApiVersionParameter');
    // ARM's paths live on management.azure.com only: the login host answers them as Entra answers an unknown path.
    expect(notOnLogin!.status).toBe(404);
  });

  it('keeps Graph on graph.microsoft.com: the login host does not serve /v1.0/me, the Graph host does', async () => {
    const [onLogin, onGraph] = await fetchAll([{ url: `${LOGIN}/v1.0/me` }, { url: 'https://graph.microsoft.com/v1.0/me' }]);
    expect(onLogin!.status).toBe(404);
    expect(onGraph!.status).toBe(401);
    expect(JSON.parse(onGraph!.body).error.code).toBe('InvalidAuthenticationToken');
  });
});

