/**
 * Single logout in a real browser (chromium): two SAML service providers (@node-saml/node-saml and
 * Debian's python3-saml in strict mode) and one OIDC web app (openid-client) signed in to in one
 * browser session (test/flows/logout.yaml). Signing out of one signs the user out of the other
 * two, each app checking the logout message it gets as a correct SP or RP does; and the session
 * at the mock is gone too.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { SAML, ValidateInResponseTo, type Profile } from '@node-saml/node-saml';
import * as client from 'openid-client';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ScenarioInput } from '../../src/index.js';
import { keyAndCertificate } from '../helpers/credentials.js';
import { ADA, TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { appCertPem, samlEndpoint } from '../saml/support.js';

const SCENARIO = 'test/flows/logout.yaml';
const NODE_SP = { clientId: '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', identifier: 'https://node-sp.example.test/saml', origin: 'http://localhost:3101' };
const PYTHON_SP = { clientId: '1d2e3f4a-5b6c-4d7e-9f8a-0b1c2d3e4f5a', identifier: 'https://python-sp.example.test/saml', origin: 'http://localhost:3102' };
const OIDC_APP = { clientId: '2e3f4a5b-6c7d-4e8f-8a9b-1c2d3e4f5a6b', secret: 'oidc-app-secret', origin: 'http://localhost:3103' };

// Plain HTTP, as in test/ui/browser.test.ts: chromium does not read NODE_EXTRA_CA_CERTS.
const idp = useMockEntra({ tls: false, scenario: SCENARIO });
let browser: Browser;
const contexts: BrowserContext[] = [];
const servers: Server[] = [];
let python: ChildProcess | undefined;
let pythonPort = 0;

// ---- the node-saml service provider ----
interface NodeSpSession {
  profile: Profile;
}
const nodeSp = { sessions: new Map<string, NodeSpSession>(), received: [] as Array<{ kind: string; valid: boolean; error?: string; nameId?: string; sessionIndex?: string }>, saml: undefined as SAML | undefined };

// ---- the openid-client web app ----
const oidcApp = {
  sessions: new Map<string, { sid?: string; idToken: string }>(),
  frontChannel: [] as Array<{ iss: string | null; sid: string | null }>,
  config: undefined as client.Configuration | undefined,
  pending: new Map<string, { state: string; verifier: string }>(),
};

const cookieOf = (req: IncomingMessage, name: string) =>
  (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim().split('='))
    .find(([k]) => k === name)?.[1];

async function bodyOf(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(body);
}

async function nodeSpHandler(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', NODE_SP.origin);
  const sp = nodeSp.saml!;
  if (url.pathname === '/login') return send(res, 302, '', { location: await sp.getAuthorizeUrlAsync('node-login', undefined, {}) });
  if (url.pathname === '/acs') {
    const { profile } = await sp.validatePostResponseAsync(await bodyOf(req));
    const id = crypto.randomUUID();
    nodeSp.sessions.set(id, { profile: profile! });
    return send(res, 200, `<!DOCTYPE html><title>node-sp</title><h1>Signed in to node-sp as ${profile!.nameID}</h1>`, { 'set-cookie': `node_sp=${id}; Path=/; HttpOnly; SameSite=Lax` });
  }
  if (url.pathname === '/logout') {
    const session = nodeSp.sessions.get(cookieOf(req, 'node_sp') ?? '');
    if (!session) return send(res, 400, 'not signed in');
    return send(res, 302, '', { location: await sp.getLogoutUrlAsync(session.profile, 'node-logout', {}) });
  }
  if (url.pathname === '/slo') {
    const query = Object.fromEntries(url.searchParams);
    const kind = query.SAMLRequest ? 'LogoutRequest' : 'LogoutResponse';
    try {
      // The signature of the query is checked against the IdP's certificate (node-saml refuses an unsigned or tampered one).
      if (!query.Signature) throw new Error('the logout message is not signed');
      const { profile, loggedOut } = await sp.validateRedirectAsync(query, url.search.slice(1));
      if (kind === 'LogoutResponse') {
        nodeSp.received.push({ kind, valid: loggedOut });
        return send(res, 200, '<!DOCTYPE html><title>node-sp</title><h1>Signed out of node-sp</h1>');
      }
      nodeSp.received.push({ kind, valid: true, nameId: profile!.nameID, sessionIndex: profile!.sessionIndex });
      for (const [id, s] of nodeSp.sessions) if (s.profile.sessionIndex === profile!.sessionIndex) nodeSp.sessions.delete(id);
      return send(res, 302, '', { location: await sp.getLogoutResponseUrlAsync(profile!, query.RelayState ?? '', {}, true) });
    } catch (err) {
      nodeSp.received.push({ kind, valid: false, error: (err as Error).message });
      return send(res, 400, `refused: ${(err as Error).message}`);
    }
  }
  send(res, 404, 'not found');
}

async function oidcAppHandler(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', OIDC_APP.origin);
  const config = oidcApp.config!;
  if (url.pathname === '/login') {
    const state = client.randomState();
    const verifier = client.randomPKCECodeVerifier();
    oidcApp.pending.set(state, { state, verifier });
    const to = client.buildAuthorizationUrl(config, {
      redirect_uri: `${OIDC_APP.origin}/callback`,
      scope: 'openid profile',
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return send(res, 302, '', { location: to.href });
  }
  if (url.pathname === '/callback') {
    const pending = oidcApp.pending.get(url.searchParams.get('state') ?? '');
    if (!pending) return send(res, 400, 'unknown state');
    const tokens = await client.authorizationCodeGrant(config, url, { pkceCodeVerifier: pending.verifier, expectedState: pending.state });
    const claims = tokens.claims()!;
    const id = crypto.randomUUID();
    oidcApp.sessions.set(id, { sid: claims.sid as string | undefined, idToken: tokens.id_token! });
    return send(res, 200, `<!DOCTYPE html><title>oidc-app</title><h1>Signed in to oidc-app as ${String(claims.preferred_username)}</h1>`, { 'set-cookie': `oidc_app=${id}; Path=/; HttpOnly; SameSite=Lax` });
  }
  if (url.pathname === '/logout') {
    const session = oidcApp.sessions.get(cookieOf(req, 'oidc_app') ?? '');
    if (!session) return send(res, 400, 'not signed in');
    const to = client.buildEndSessionUrl(config, { post_logout_redirect_uri: `${OIDC_APP.origin}/`, id_token_hint: session.idToken });
    return send(res, 302, '', { location: to.href });
  }
  if (url.pathname === '/frontchannel-logout') {
    // OpenID Connect Front-Channel Logout: end the sessions with this sid, if the issuer is ours.
    const iss = url.searchParams.get('iss');
    const sid = url.searchParams.get('sid');
    oidcApp.frontChannel.push({ iss, sid });
    if (iss === config.serverMetadata().issuer) for (const [id, s] of oidcApp.sessions) if (s.sid && s.sid === sid) oidcApp.sessions.delete(id);
    return send(res, 200, '<!DOCTYPE html><title>signed out</title>', { 'cache-control': 'no-store' });
  }
  if (url.pathname === '/') return send(res, 200, '<!DOCTYPE html><title>oidc-app</title><h1>oidc-app home</h1>');
  send(res, 404, 'not found');
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<number> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: Error) => send(res, 500, `app error: ${err.message}`));
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as AddressInfo).port;
}

async function pythonState(): Promise<{ sessions: Array<{ nameId: string; sessionIndex: string }>; received: Array<{ kind: string; valid: boolean; errors: string[]; reason: string | null; nameId?: string; sessionIndexes?: string[] }> }> {
  const res = await fetch(`http://127.0.0.1:${pythonPort}/state`);
  return (await res.json()) as Awaited<ReturnType<typeof pythonState>>;
}

beforeAll(async () => {
  // node-sp signs its requests: its certificate is registered on the app (the scenario file cannot hold one made at run time).
  const spKeys = await keyAndCertificate('node-sp.example.test');
  const scenario = parse(readFileSync(SCENARIO, 'utf8')) as ScenarioInput;
  const node = scenario.apps!.find((a) => a.clientId === NODE_SP.clientId)!;
  node.saml = { ...node.saml!, verificationCertificates: [spKeys.certPem] };
  await idp.useScenario(scenario);

  nodeSp.saml = new SAML({
    entryPoint: samlEndpoint(idp),
    logoutUrl: samlEndpoint(idp),
    issuer: NODE_SP.identifier,
    callbackUrl: `${NODE_SP.origin}/acs`,
    logoutCallbackUrl: `${NODE_SP.origin}/slo`,
    audience: NODE_SP.identifier,
    idpCert: await appCertPem(idp, NODE_SP.clientId),
    privateKey: spKeys.keyPem,
    signatureAlgorithm: 'sha256',
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: true,
    validateInResponseTo: ValidateInResponseTo.never,
  });
  oidcApp.config = await client.discovery(new URL(`${idp.url}/${TENANT_ID}/v2.0`), OIDC_APP.clientId, OIDC_APP.secret, client.ClientSecretPost(OIDC_APP.secret), { execute: [client.allowInsecureRequests] });

  const nodePort = await listen(nodeSpHandler);
  const oidcPort = await listen(oidcAppHandler);
  const config = { port: 0, public: PYTHON_SP.origin, entityId: PYTHON_SP.identifier, idp: { entityId: `https://sts.windows.net/${TENANT_ID}/`, url: samlEndpoint(idp), cert: await appCertPem(idp, PYTHON_SP.clientId) } };
  const child = spawn('/usr/bin/python3', ['test/flows/logout-python-sp.py', JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  python = child;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  pythonPort = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /^listening (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the python3-saml SP exited (${code}): ${stderr}`)));
  });

  // The apps' registered URLs (localhost:3101-3103) reach this test's servers.
  browser = await launchChromium([`--host-resolver-rules=MAP localhost:3101 127.0.0.1:${nodePort},MAP localhost:3102 127.0.0.1:${pythonPort},MAP localhost:3103 127.0.0.1:${oidcPort}`]);
}, 60_000);

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
  nodeSp.sessions.clear();
  nodeSp.received.length = 0;
  oidcApp.sessions.clear();
  oidcApp.frontChannel.length = 0;
});

afterAll(async () => {
  await browser?.close();
  python?.kill();
  for (const s of servers) await new Promise((done) => s.close(done));
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();

/** Ada signs in to node-sp through the sign-in page, then to python-sp and oidc-app from the session, in one browser. */
async function signInToAllThree(page: Page): Promise<void> {
  await page.goto(`${NODE_SP.origin}/login`);
  await page.getByRole('button', { name: /Ada Lovelace/ }).click();
  await page.getByLabel('Password').fill(ADA.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => h1(page)).toBe(`Signed in to node-sp as ${ADA.upn}`);
  await page.goto(`${PYTHON_SP.origin}/login`);
  await expect.poll(() => h1(page)).toBe(`Signed in to python-sp as ${ADA.upn}`);
  await page.goto(`${OIDC_APP.origin}/login`);
  await expect.poll(() => h1(page)).toBe(`Signed in to oidc-app as ${ADA.upn}`);
  expect(nodeSp.sessions.size).toBe(1);
  expect((await pythonState()).sessions).toHaveLength(1);
  expect(oidcApp.sessions.size).toBe(1);
}

/** The session at the mock is gone: each app's next sign-in shows the sign-in page again. */
async function expectSignedOutAtTheMock(page: Page): Promise<void> {
  for (const app of [PYTHON_SP.origin, OIDC_APP.origin]) {
    await page.goto(`${app}/login`);
    await expect.poll(() => h1(page)).toBe('Pick an account');
  }
}

describe('single logout across two SAML apps and an OIDC app of one browser session', () => {
  it('signing out of the node-saml app signs Ada out of the python3-saml app and the OIDC app, each seeing a valid logout message', async () => {
    const page = await newPage();
    await signInToAllThree(page);
    const [pythonSession] = (await pythonState()).sessions;
    const oidcSid = [...oidcApp.sessions.values()][0]!.sid;
    expect(oidcSid, 'the ID token carries the session ID (sid)').toMatch(/^[0-9a-f-]{36}$/);

    await page.goto(`${NODE_SP.origin}/logout`);
    await expect.poll(() => h1(page)).toBe('Signed out of node-sp');

    // node-saml validated the signed LogoutResponse to its own request.
    expect(nodeSp.received).toEqual([{ kind: 'LogoutResponse', valid: true }]);
    // python3-saml (strict, signed messages required) validated the LogoutRequest naming its session.
    const py = await pythonState();
    expect(py.received.filter((r) => r.kind === 'LogoutRequest')).toEqual([expect.objectContaining({ valid: true, nameId: ADA.upn, sessionIndexes: [pythonSession!.sessionIndex] })]);
    expect(py.sessions).toEqual([]);
    // The OIDC app's front-channel logout URL got the issuer and the sid of its ID token.
    expect(oidcApp.frontChannel).toEqual([{ iss: `${idp.url}/${TENANT_ID}/v2.0`, sid: oidcSid }]);
    expect(oidcApp.sessions.size).toBe(0);

    await expectSignedOutAtTheMock(page);
  });

  it('signing out of the OIDC app (end_session) signs Ada out of both SAML apps, each validating a signed LogoutRequest', async () => {
    const page = await newPage();
    await signInToAllThree(page);
    const nodeIndex = [...nodeSp.sessions.values()][0]!.profile.sessionIndex;
    const [pythonSession] = (await pythonState()).sessions;

    await page.goto(`${OIDC_APP.origin}/logout`);
    await page.waitForURL(`${OIDC_APP.origin}/`);
    expect(await h1(page)).toBe('oidc-app home');

    expect(nodeSp.received).toEqual([{ kind: 'LogoutRequest', valid: true, nameId: ADA.upn, sessionIndex: nodeIndex }]);
    expect(nodeSp.sessions.size).toBe(0);
    const py = await pythonState();
    expect(py.received.filter((r) => r.kind === 'LogoutRequest').at(-1)).toEqual(expect.objectContaining({ valid: true, nameId: ADA.upn, sessionIndexes: [pythonSession!.sessionIndex] }));
    expect(py.sessions).toEqual([]);
    // The app that asked to sign out is not told again.
    expect(oidcApp.frontChannel).toEqual([]);

    await expectSignedOutAtTheMock(page);
  });
});
