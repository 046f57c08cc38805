/**
 * The walkthroughs' commands, run as the docs run them: a mock serving `-s NAME` (started in process
 * on the same scenario file `mock-entra serve -s NAME` picks; the binary itself is cli.test.ts), then
 * the example scripts in docs/examples against it. What each test expects is what the docs say you will see.
 */
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { scenarioPath } from '../../src/cli/common.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { startMock } from '../helpers/server.js';

const exec = promisify(execFile);
const hasCurl = (() => {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const CA = join(TEST_CERTS_DIR, 'ca.pem');

/** Runs a docs/examples script against a mock; resolves with its output and exit code. */
async function script(cmd: string, args: string[], mock: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await exec(cmd, args, { env: { ...process.env, MOCK: mock, CA }, timeout: 20_000 });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

async function withServer<T>(scenario: string, fn: (url: string) => Promise<T>): Promise<T> {
  const s = await startMock({ scenario: scenarioPath(scenario) });
  try {
    return await fn(s.url);
  } finally {
    await s.stop();
  }
}

const oidcSignIn = (mock: string, ...args: string[]) => script('bash', ['docs/examples/oidc-signin.sh', ...args], mock);

describe.skipIf(!hasCurl)('docs/walkthrough-jumpserver-oidc.md', () => {
  it('step 8: the sign-in gives name, preferred_username and email for the attribute mapping', async () => {
    const r = await withServer('default', (url) => oidcSignIn(url, 'ada@contoso.onmicrosoft.com'));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('name     <- name               Ada Lovelace');
    expect(r.out).toContain('username <- preferred_username ada@contoso.onmicrosoft.com');
    expect(r.out).toContain('email    <- email              ada@contoso.onmicrosoft.com');
  });

  it.each([
    ['wrong-redirect-uri', "sign-in stopped on Entra's error page: AADSTS50011: The redirect URI 'https://localhost:9443/core/auth/openid/callback/' specified in the request does not match"],
    ['invalid-client-secret', 'token request failed: invalid_client: AADSTS7000215: Invalid client secret provided.'],
    ['expired-client-secret', 'token request failed: invalid_client: AADSTS7000222: The provided client secret keys for app'],
    ['user-not-assigned', "sign-in stopped on Entra's error page: AADSTS50105: Your administrator has configured the application sample-web"],
    ['untrusted-tls', 'sign-in failed: curl: (60) SSL certificate problem: unable to get local issuer certificate'],
  ])('troubleshooting: %s fails as the table says', async (scenario, expected) => {
    const r = await withServer(scenario, (url) => oidcSignIn(url));
    expect(r.code).toBe(1);
    expect(r.out).toContain(expected);
  });

  it('clock-skew: the ID token is not valid for another 5 minutes', async () => {
    const r = await withServer('clock-skew', (url) => oidcSignIn(url));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/nbf is (29\d|300) s in the future/);
  });

  it('signing-key-rollover: the token names the other kid', async () => {
    const kid = (out: string) => /signed with RS256 key (\S+)/.exec(out)?.[1];
    const before = await withServer('default', (url) => oidcSignIn(url));
    const after = await withServer('signing-key-rollover', (url) => oidcSignIn(url));
    expect(kid(before.out), before.out).toBeDefined();
    expect(kid(after.out), after.out).toBeDefined();
    expect(kid(after.out)).not.toBe(kid(before.out));
  });

  it('troubleshooting: missing-claims signs in, but without preferred_username and email', async () => {
    const r = await withServer('missing-claims', (url) => oidcSignIn(url));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('username <- preferred_username (missing: JumpServer cannot fill this field)');
    expect(r.out).toContain('email    <- email              (missing: JumpServer cannot fill this field)');
  });
});

describe('docs/walkthrough-saas-saml.md', () => {
  const jasper = ['--identifier', 'https://jasper.example.test/saml/metadata', '--acs', 'https://jasper.example.test/saml/acs'];
  const samlSignIn = (mock: string, ...args: string[]) => script(process.execPath, ['docs/examples/saml-signin.mjs', ...args], mock);

  it('the first test sign-in fails with AADSTS7000112; once sso-enabled is on, the Response carries the mapped claims', async () => {
    await withServer('docs/examples/jasper.yaml', async (url) => {
      const first = await samlSignIn(url, ...jasper);
      expect(first.code).toBe(1);
      expect(first.out).toContain("sign-in stopped on Entra's error page: AADSTS7000112: Application '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d'(Jasper AI) is disabled.");

      // The walkthrough's curl command (fetch where curl is missing); both answer with the switches.
      const flipped = hasCurl
        ? (await exec('curl', ['-s', '-X', 'POST', '--cacert', CA, `${url}/_mock/switches/sso-enabled`])).stdout
        : await (await fetch(`${url}/_mock/switches/sso-enabled`, { method: 'POST' })).text();
      expect(JSON.parse(flipped)).toEqual({ switches: { 'sso-enabled': true } });

      const retry = await samlSignIn(url, ...jasper);
      expect(retry.code, retry.out).toBe(0);
      expect(retry.out).toContain('POST to the Reply URL https://jasper.example.test/saml/acs');
      expect(retry.out).toContain('Status        urn:oasis:names:tc:SAML:2.0:status:Success');
      expect(retry.out).toContain('Audience      https://jasper.example.test/saml/metadata');
      for (const line of ['mail = ada@contoso.onmicrosoft.com', 'givenname = Ada', 'userprincipalname = ada@contoso.onmicrosoft.com', 'surname = Lovelace']) {
        expect(retry.out).toContain(line);
      }

      const grace = await samlSignIn(url, '--idp', '--app-id', '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d', '--user', 'grace@contoso.onmicrosoft.com');
      expect(grace.out).toContain('AADSTS50105: Your administrator has configured the application Jasper AI');
    });
  });

  it('the App Federation Metadata URL names the issuer and the sign-on URL', async () => {
    await withServer('docs/examples/jasper.yaml', async (url) => {
      const xml = await (await fetch(`${url}/4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36/federationmetadata/2007-06/federationmetadata.xml?appid=6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d`)).text();
      expect(xml).toContain('entityID="https://sts.windows.net/4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36/"');
      expect(xml).toContain(`Location="${url}/4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36/saml2"`);
    });
  });
});
