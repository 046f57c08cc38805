/**
 * The commands, run in process (runCli, as main.ts runs it): what they print, their exit codes, and
 * that what they make offline matches a server on the same certs directory. The built binary itself
 * (spawned: exit codes, signals, environment) is cli.test.ts and serve.test.ts.
 */
import { X509Certificate } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { ADA, API, GRACE, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { cli } from './in-process.js';

const SAML_APP_ID = '5d4c3b2a-9e8f-4a7b-8c6d-1e0f2a3b4c5d';

// A server on the same certs directory: what the commands make offline must verify against it.
const server = useMockEntra();

const mint = (...args: string[]) => cli(['token', '--certs-dir', TEST_CERTS_DIR, '--issuer-origin', server.url, ...args]);
const v2Keys = () => createRemoteJWKSet(new URL(`${server.url}/${TENANT_ID}/discovery/v2.0/keys`));

describe('mock-entra token', () => {
  it('mints an access token offline that verifies against the JWKS of a server using the same certs dir', async () => {
    const r = await mint('--user', ADA.upn, '--app', 'sample-web', '--scope', `${API.uri}/${API.scope}`);
    expect(r.status, r.stderr).toBe(0);
    const token = r.stdout.trim();
    const { payload } = await jwtVerify(token, v2Keys(), { issuer: `${server.url}/${TENANT_ID}/v2.0`, audience: API.clientId });
    expect(payload).toMatchObject({ scp: API.scope, azp: WEB.clientId, preferred_username: ADA.upn, ver: '2.0' });
  });

  it('mints an ID token with the claims a sign-in gives (name, preferred_username, email, nonce)', async () => {
    const r = await mint('-u', ADA.upn, '-a', WEB.clientId, '--type', 'id', '--nonce', 'n1');
    expect(r.status, r.stderr).toBe(0);
    const { payload } = await jwtVerify(r.stdout.trim(), v2Keys(), { issuer: `${server.url}/${TENANT_ID}/v2.0`, audience: WEB.clientId });
    expect(payload).toMatchObject({ name: ADA.name, preferred_username: ADA.upn, email: ADA.upn, nonce: 'n1', tid: TENANT_ID });
  });

  it('mints a v1 Graph token (x5t and nonce header, sts.windows.net issuer) when only OIDC scopes are asked for, as Entra does', async () => {
    const r = await mint('-u', GRACE.upn, '-a', 'sample-web');
    expect(r.status, r.stderr).toBe(0);
    const token = r.stdout.trim();
    const header = decodeProtectedHeader(token);
    expect(header.x5t).toBe(header.kid);
    expect(header.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeJwt(token)).toMatchObject({ upn: GRACE.upn, ver: '1.0', iss: `https://sts.windows.net/${TENANT_ID}/`, aud: 'https://graph.microsoft.com' });
    // Like a real Graph token, only Graph accepts it: the mock's own Graph does.
    const me = await fetch(`${server.url}/v1.0/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await me.json()) as { userPrincipalName: string }).userPrincipalName).toBe(GRACE.upn);
  });

  it('mints an app-only token with the granted roles when no user is named', async () => {
    const r = await mint('--app', 'sample-web', '--scope', `${API.uri}/.default`, '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { token: string; claims: Record<string, unknown> };
    expect(out.claims).toMatchObject({ roles: [API.role], idtyp: 'app' });
    await jwtVerify(out.token, v2Keys(), { audience: API.clientId });
  });

  it("signs with the scenario's active key (signing-key-rollover: the second key)", async () => {
    const first = JSON.parse((await mint('-u', ADA.upn, '-a', 'sample-web', '--json')).stdout) as { header: { kid: string } };
    const r = await mint('-u', ADA.upn, '-a', 'sample-web', '--json', '--scenario', 'scenarios/signing-key-rollover.yaml');
    expect(r.status, r.stderr).toBe(0);
    const second = JSON.parse(r.stdout) as { header: { kid: string } };
    expect(second.header.kid).not.toBe(first.header.kid);
  });

  it.each([
    [['-u', 'nobody@contoso.onmicrosoft.com', '-a', 'sample-web'], /unknown user 'nobody@contoso.onmicrosoft.com'; users in this scenario: ada@/],
    [['-u', ADA.upn, '-a', 'no-such-app'], /unknown app 'no-such-app'; apps in this scenario: sample-web \(2f6c9e1a/],
    [['-u', ADA.upn, '-a', 'sample-web', '--scope', 'api://sample-api/nope'], /unknown scope: AADSTS70011: .*api:\/\/sample-api\/nope[\s\S]*api:\/\/sample-api\/\{access_as_user,.default\}/],
    [['-u', ADA.upn, '-a', 'sample-web', '--scope', 'api://elsewhere/read'], /unknown resource: AADSTS500011/],
    [['-u', GRACE.upn, '-a', 'sample-saml', '--type', 'id'], /not assigned to 'sample-saml'/],
    [['-a', 'sample-web', '--type', 'id'], /an ID token is for a user: add --user UPN/],
    [['-a', 'sample-web'], /needs --scope RESOURCE\/.default/],
    [['-u', ADA.upn], /Missing required argument: app/],
    [['-u', ADA.upn, '-a', 'sample-web', '--type', 'refresh'], /Invalid values:[\s\S]*Choices: "id", "access"/],
    [['-u', ADA.upn, '-a', 'sample-web', '--scenario', 'no/such.yaml'], /no\/such.yaml: invalid scenario[\s\S]*cannot read the file/],
  ])('exits 2 on bad input %j, saying what to fix', async (args, message) => {
    const r = await cli(['token', '--certs-dir', TEST_CERTS_DIR, ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
});

describe('mock-entra certs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mock-entra-certs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('certs path prints the CA path (making the keys on first use)', async () => {
    const r = await cli(['certs', 'path', '--certs-dir', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(dir, 'ca.pem'));
    expect(new X509Certificate(readFileSync(join(dir, 'ca.pem'))).ca).toBe(true);
  });

  it('certs shows the CA and the kids and thumbprints of the signing keys; tokens carry the first kid', async () => {
    const r = await cli(['certs', '--certs-dir', dir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout) as { ca: { path: string; sha256: string }; signing: Array<{ kid: string; thumbprint: string }> };
    expect(d.ca.path).toBe(join(dir, 'ca.pem'));
    expect(d.ca.sha256).toBe(new X509Certificate(readFileSync(join(dir, 'ca.pem'))).fingerprint256);
    expect(d.signing).toHaveLength(2);
    expect(d.signing[0]!.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    const token = JSON.parse((await cli(['token', '-u', ADA.upn, '-a', 'sample-web', '--certs-dir', dir, '--json'])).stdout) as { header: { kid: string } };
    expect(token.header.kid).toBe(d.signing[0]!.kid);
    const text = (await cli(['certs', '--certs-dir', dir])).stdout;
    expect(text).toContain(`CA           ${join(dir, 'ca.pem')}`);
    expect(text).toContain(d.signing[1]!.kid);
  });

  it('certs regenerate refuses without --yes (exit 2) and leaves the keys alone', async () => {
    const before = readFileSync(join(dir, 'ca.pem'), 'utf8');
    const r = await cli(['certs', 'regenerate', '--certs-dir', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Run it again with --yes');
    expect(readFileSync(join(dir, 'ca.pem'), 'utf8')).toBe(before);
  });

  it('certs regenerate --yes makes a new CA and new signing keys, and keeps README.md and .gitignore', async () => {
    const before = JSON.parse((await cli(['certs', '--certs-dir', dir, '--json'])).stdout) as { ca: { sha256: string }; signing: Array<{ kid: string }> };
    await cli(['metadata', '--app', 'sample-saml', '--certs-dir', dir]); // makes a SAML certificate too
    const r = await cli(['certs', 'regenerate', '--yes', '--certs-dir', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('New keys made');
    const after = JSON.parse((await cli(['certs', '--certs-dir', dir, '--json'])).stdout) as { ca: { sha256: string }; signing: Array<{ kid: string }>; saml: unknown[] };
    expect(after.ca.sha256).not.toBe(before.ca.sha256);
    expect(after.signing.map((s) => s.kid)).not.toContain(before.signing[0]!.kid);
    expect(after.saml).toEqual([]);
    expect(existsSync(join(dir, '.gitignore'))).toBe(true);
  });

  it('an unknown action exits 2 and lists the choices', async () => {
    const r = await cli(['certs', 'rotate', '--certs-dir', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Choices: "show", "path", "regenerate"/);
  });
});

describe('mock-entra metadata', () => {
  it("prints the same federation metadata (same certificate, same endpoints) as the server's App Federation Metadata URL", async () => {
    const r = await cli(['metadata', '--app', 'sample-saml', '--certs-dir', TEST_CERTS_DIR, '--origin', server.url]);
    expect(r.status, r.stderr).toBe(0);
    const xml = r.stdout;
    expect(xml.startsWith('<?xml version="1.0" encoding="utf-8"?><EntityDescriptor')).toBe(true);
    expect(xml).toContain(`entityID="https://sts.windows.net/${TENANT_ID}/"`);
    expect(xml).toContain(`Location="${server.url}/${TENANT_ID}/saml2"`);
    const res = await fetch(`${server.url}/${TENANT_ID}/federationmetadata/2007-06/federationmetadata.xml?appid=${SAML_APP_ID}`);
    const served = await res.text();
    const certs = (s: string) => [...s.matchAll(/<X509Certificate>([^<]+)<\/X509Certificate>/g)].map((m) => m[1]);
    expect(new Set(certs(xml))).toEqual(new Set(certs(served)));
  });

  it('finds the app by app ID and by Identifier too', async () => {
    for (const app of [SAML_APP_ID, 'https://sp.example.test/saml/metadata']) {
      const r = await cli(['metadata', '--app', app, '--certs-dir', TEST_CERTS_DIR]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('Location="https://localhost:8443/');
    }
  });

  it.each([
    [['--app', 'sample-web'], /app 'sample-web' is not a SAML app; SAML apps in this scenario: sample-saml/],
    [['--app', 'nope'], /unknown SAML app 'nope'/],
    [['--app', 'sample-saml', '--origin', 'localhost:8443'], /--origin must be an http or https URL/],
  ])('exits 2 on bad input %j', async (args, message) => {
    const r = await cli(['metadata', '--certs-dir', TEST_CERTS_DIR, ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('mock-entra serve --admin-token-file', () => {
  it('a missing file exits 2 and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-entra-token-'));
    try {
      const missing = await cli(['serve', '--port', '0', '--certs-dir', TEST_CERTS_DIR, '--admin-token-file', join(dir, 'nope')]);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toMatch(/cannot read --admin-token-file .*nope \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mock-entra serve with a damaged key file', () => {
  it('exits 2 with one line naming the file and the fix, no stack trace, and replaces nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-entra-damaged-'));
    try {
      cpSync(TEST_CERTS_DIR, dir, { recursive: true, filter: (f) => !f.endsWith('.lock') });
      writeFileSync(join(dir, 'signing-1.pem'), 'not a certificate\n');
      const r = await cli(['serve', '--port', '0', '--certs-dir', dir]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^mock-entra: .*signing-1\.pem: .*certs regenerate/m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(readFileSync(join(dir, 'signing-1.pem'), 'utf8')).toBe('not a certificate\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shipped scenarios by name', () => {
  it('token -s missing-claims uses the shipped scenario: ada has no mail, so the ID token has no email', async () => {
    const r = await cli(['token', '-u', ADA.upn, '-a', 'sample-web', '--type', 'id', '--json', '-s', 'missing-claims', '--certs-dir', TEST_CERTS_DIR]);
    expect(r.status, r.stderr).toBe(0);
    const { claims } = JSON.parse(r.stdout) as { claims: Record<string, unknown> };
    expect(claims.email).toBeUndefined();
    expect(claims.name).toBe(ADA.name);
  });

  it('scenario explain takes a name; an unknown name exits 2 and lists the shipped ones', async () => {
    expect((await cli(['scenario', 'explain', 'first-test-failure'])).stdout).toContain("until switch 'sso-enabled' is turned on");
    const r = await cli(['scenario', 'validate', 'no-such-scenario']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/shipped scenarios can be named without a path: .*first-test-failure.*wrong-redirect-uri/);
  });
});

describe('mock-entra help', () => {
  it.each(['serve', 'scenario', 'token', 'certs', 'metadata'])('%s --help shows examples', async (cmd) => {
    const r = await cli([cmd, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Examples:');
  });
});

describe('mock-entra scenario', () => {
  it('scenario schema prints a JSON Schema', async () => {
    const r = await cli(['scenario', 'schema']);
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['tenant', 'users', 'apps']));
  });

  it('serve with an invalid scenario exits 2 and starts no server', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mock-entra-')), 'bad.yaml');
    writeFileSync(file, 'tenant:\n  id: 123\n  domain: contoso.onmicrosoft.com\n');
    const r = await cli(['serve', '--scenario', file, '--port', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('invalid scenario');
    expect(r.stdout).toBe('');
  });
});
