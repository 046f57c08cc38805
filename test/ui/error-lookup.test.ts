/** Entra's error lookup: the page a token error's `error_uri` points at, for every code of the catalogue. */
import * as client from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AADSTS } from '../../src/entra/aadsts.js';
import { ADA, GRACE, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra();

afterEach(async () => {
  await idp.useScenario('scenarios/default.yaml');
});

async function page(url: string): Promise<{ status: number; type: string; html: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', html: await res.text() };
}

/** The error_uri of a real token error: openid-client's client credentials grant with a wrong secret. */
async function errorUriOfWrongSecret(): Promise<string> {
  const config = await client.discovery(new URL(`${idp.url}/${TENANT_ID}/v2.0`), WEB.clientId, 'not-the-secret', client.ClientSecretPost('not-the-secret'));
  try {
    await client.clientCredentialsGrant(config, { scope: 'api://sample-api/.default' });
  } catch (error) {
    const body = (error instanceof client.ResponseBodyError ? error.cause : await (error as client.WWWAuthenticateChallengeError).response.json()) as Record<string, unknown>;
    expect(body.error_codes).toEqual([7000215]);
    return String(body.error_uri);
  }
  throw new Error('expected the wrong secret to be refused');
}

const field = (html: string, name: string) => html.match(new RegExp(`<dd data-field="${name}">(.*?)</dd>`, 's'))?.[1];

describe('error lookup (/error?code=N)', () => {
  it("a wrong secret's error_uri answers a page with the code, Entra's message and the fix", async () => {
    const uri = await errorUriOfWrongSecret();
    expect(uri).toBe(`${idp.url}/error?code=7000215`);
    const p = await page(uri);
    expect(p.status).toBe(200);
    expect(p.type).toMatch(/^text\/html/);
    expect(p.html).toContain('<h1>AADSTS7000215</h1>');
    expect(field(p.html, 'error')).toContain('invalid_client');
    // Entra's text, its placeholder shown as a placeholder.
    expect(field(p.html, 'message')).toBe('Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app &#39;<var title="filled in per request">{appId}</var>&#39;.');
    expect(field(p.html, 'fix')).toContain('Certificates &amp; secrets');
    expect(p.html).toContain('No rule or setting of');
  });

  it('every code of the catalogue has a page with its message and a fix', async () => {
    for (const code of Object.keys(AADSTS)) {
      const p = await page(`${idp.url}/error?code=${code}`);
      expect(p.html, code).toContain(`<h1>AADSTS${code}</h1>`);
      expect(field(p.html, 'message'), code).toBeTruthy();
      expect(field(p.html, 'fix'), code).toBeTruthy();
    }
  });

  it("names the scenario's rule that produces the code, with its switch", async () => {
    await idp.useScenario('scenarios/first-test-failure.yaml');
    const { html } = await page(`${idp.url}/error?code=7000112`);
    expect(html).toContain('This scenario produces it');
    expect(html).toContain("rule &#39;sso-not-enabled-yet&#39;: saml requests for app sample-saml: fail with AADSTS7000112, until switch &#39;sso-enabled&#39; is turned on.");
    expect(html).toContain('Switch &#39;sso-enabled&#39; is off: the rule fires.');
  });

  it('names the settings that produce it: assignment required, with the users it blocks', async () => {
    await idp.useScenario('scenarios/user-not-assigned.yaml');
    const { html } = await page(`${idp.url}/error?code=AADSTS50105`);
    expect(html).toContain(`setting: app &#39;sample-web&#39; requires assignment; not assigned: ${ADA.upn}.`);
    expect(html).not.toContain(`not assigned: ${GRACE.upn}`);
  });

  it('a run-time rule counts too', async () => {
    idp.use({ name: 'ca', when: { endpoint: 'token' }, then: { error: 53003 } });
    const { html } = await page(`${idp.url}/error?code=53003`);
    expect(html).toContain('rule &#39;ca&#39; (added at run time)');
  });

  it('an unknown code says it is not in the catalogue and links to the list, with 200 as Entra does', async () => {
    const p = await page(`${idp.url}/error?code=12345`);
    expect(p.status).toBe(200);
    expect(p.html).toContain('<h1>Error code not found</h1>');
    expect(p.html).toContain('AADSTS12345 is not in the mock');
    expect(p.html).toContain('<a href="/error">All error codes</a>');
  });

  it('a malformed code is escaped, never reflected as markup', async () => {
    const p = await page(`${idp.url}/error?code=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(p.status).toBe(200);
    expect(p.html).toContain("'&lt;script&gt;alert(1)&lt;/script&gt;' is not an error code");
    expect(p.html).not.toContain('<script>');
  });

  it('without a code lists every code, each linking to its page', async () => {
    const p = await page(`${idp.url}/error`);
    expect(p.status).toBe(200);
    expect(p.html).toContain('<h1>Error codes</h1>');
    const links = [...p.html.matchAll(/<a href="\/error\?code=(\d+)">AADSTS\1<\/a>/g)].map((m) => m[1]);
    expect(links.sort()).toEqual(Object.keys(AADSTS).sort());
  });
});
