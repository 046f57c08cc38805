/** docs/clients/python-requests-oauthlib.md: its scripts, run as written by Debian's python3 with python3-requests-oauthlib, get tokens from the mock. */
import { existsSync } from 'node:fs';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { DOC_MOCK, type RunningApp, snippet, startApp, Visitor, writeSnippet } from '../helpers/clients.js';
import { ADA, API, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { runProcess } from '../helpers/process.js';

const DOC = 'docs/clients/python-requests-oauthlib.md';
const PYTHON = '/usr/bin/python3';
const idp = useMockEntra();
let script: RunningApp | undefined;
const env = () => ({ REQUESTS_CA_BUNDLE: idp.caCertPath });

beforeAll(async () => {
  const check = existsSync(PYTHON) ? await runProcess(PYTHON, ['-c', 'import requests_oauthlib']) : undefined;
  if (check?.status !== 0) throw new Error(`These tests need ${PYTHON} with requests-oauthlib: apt-get install -y python3-requests-oauthlib`);
});
afterEach(() => script?.stop());

it('client credentials: an app-only token for sample-api with its Data.Read role', async () => {
  const file = writeSnippet('client_credentials.py', snippet(DOC, 'python-client-credentials'), { [DOC_MOCK]: idp.url });
  const ran = await runProcess(PYTHON, [file], { env: { ...process.env, ...env() }, timeoutMs: 20_000 });
  expect(ran.stderr).toBe('');
  expect(JSON.parse(ran.stdout)).toEqual({ aud: API.clientId, roles: [API.role] });
  const token = idp.requests().find((r) => r.path.endsWith('/oauth2/v2.0/token'));
  expect(token?.status).toBe(200);
});

it('authorization code: Ada signs in on the page, the pasted callback address is redeemed for her ID token', async () => {
  const file = writeSnippet('auth_code.py', snippet(DOC, 'python-auth-code'), { [DOC_MOCK]: idp.url });
  script = await startApp(PYTHON, [file], { ready: /sign in: \S+\n/, env: env() });
  const url = /sign in: (\S+)/.exec(script.output())![1]!;
  const landed = await new Visitor().go(url, { stopAt: new URL(WEB.redirectUri).origin });
  expect(landed.url.pathname).toBe('/auth/callback');
  expect(landed.url.searchParams.get('code')).toBeTruthy();
  expect(landed.trail.filter((t) => t.startsWith(`POST ${idp.url}`))).toHaveLength(2);
  script.type(landed.url.href);
  await expect.poll(() => script!.output(), { timeout: 15_000 }).toMatch(/"preferred_username"|Traceback/);
  const claims = JSON.parse(script.output().trim().split('\n').at(-1)!.replace(/^.*?\{/, '{')) as Record<string, string>;
  expect(claims).toEqual({ preferred_username: ADA.upn, name: ADA.name });
});
