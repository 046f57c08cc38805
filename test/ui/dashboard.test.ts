/** The dashboard's HTML (no browser): what it shows, that it needs no script, escaping, and who may change state. */
import { createHash, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { refuseAccess } from '../../src/server/admin.js';
import { follow } from '../helpers/browserless.js';
import { ADA, API, CLI, TENANT_DOMAIN, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { appCertPem, authnRequest, deflate64, SAML_APP, scenario } from '../saml/support.js';

const idp = useMockEntra();

async function page(path: string): Promise<{ status: number; html: string; type: string }> {
  const res = await fetch(`${idp.url}${path}`);
  return { status: res.status, html: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** The page as a browser without JavaScript sees it, without the line-break hints (<wbr>) URLs carry. */
const withoutScript = (html: string) => html.replace(/<script>[\s\S]*?<\/script>/g, '').replace(/<wbr>/g, '');
const unescapeHtml = (s: string) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const token = () => `${idp.url}/${TENANT_ID}/oauth2/v2.0/token`;

describe('overview (/)', () => {
  let html: string;
  beforeAll(async () => {
    const res = await page('/');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/html/);
    html = withoutScript(res.html);
  });

  it('shows the tenant ID, domain and every app client ID, without JavaScript', () => {
    for (const value of [TENANT_ID, TENANT_DOMAIN, WEB.clientId, API.clientId, CLI.clientId, SAML_APP.clientId]) expect(html).toContain(value);
    expect(html).toContain('<html lang="en">');
  });

  it('shows every OIDC endpoint URL an app registration lists', () => {
    const t = `${idp.url}/${TENANT_ID}`;
    for (const url of [
      `${t}/v2.0/.well-known/openid-configuration`,
      `${t}/oauth2/v2.0/authorize`,
      `${t}/oauth2/v2.0/token`,
      `${t}/oauth2/v2.0/logout`,
      `${t}/discovery/v2.0/keys`,
      `${idp.url}/oidc/userinfo`,
      `${t}/.well-known/openid-configuration`,
    ]) {
      expect(html).toContain(`<code>${url}</code>`);
    }
    expect(html).toContain(`<code>${WEB.redirectUri}</code>`);
  });

  it('shows the SAML app as the portal does: Identifier, Reply URLs, App Federation Metadata URL, User access URL, claims', () => {
    const text = unescapeHtml(html);
    expect(text).toContain(`<code>${SAML_APP.identifier}</code>`);
    expect(text).toContain(`<code>${SAML_APP.acs}</code>`);
    expect(text).toContain(`<code>${idp.url}/${TENANT_ID}/federationmetadata/2007-06/federationmetadata.xml?appid=${SAML_APP.clientId}</code>`);
    expect(text).toContain(`<code>${idp.url}/api/signin/${SAML_APP.clientId}?tenantId=${TENANT_ID}</code>`);
    // Entra's default claims of a non-gallery app, with their sources.
    expect(text).toMatch(/http:\/\/schemas\.xmlsoap\.org\/ws\/2005\/05\/identity\/claims\/givenname<\/code><\/td><td><code>user\.givenname/);
    expect(text).toMatch(/identity\/claims\/name<\/code><\/td><td><code>user\.userprincipalname/);
  });

  it("shows the thumbprint of the certificate in the app's federation metadata (SHA-1, upper-case hex) and its expiry", async () => {
    const cert = new X509Certificate(await appCertPem(idp));
    const thumbprint = createHash('sha1').update(cert.raw).digest('hex').toUpperCase();
    expect(html).toContain(`<code>${thumbprint}</code>`);
    expect(html).toContain(`expires <time datetime="${new Date(cert.validTo).toISOString()}">`);
  });

  it('shows copy buttons only once the script unhides them', () => {
    const buttons = html.match(/<button type="button" class="copy"[^>]*>/g) ?? [];
    expect(buttons.length).toBeGreaterThan(20);
    for (const b of buttons) expect(b).toMatch(/ hidden>$/);
  });

  it('never shows a client secret, only its hint', () => {
    expect(html).not.toContain(WEB.secret);
    expect(html).toContain(`<code>${WEB.secret.slice(0, 3)}***</code>`);
  });
});

describe('request log (/requests)', () => {
  it('lists a token request with its app, user and a link to the decoded tokens; no secret or password is kept', async () => {
    const res = await fetch(token(), {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', client_id: WEB.clientId, client_secret: WEB.secret, username: ADA.upn, password: ADA.password, scope: 'openid profile' }),
    });
    expect(res.status).toBe(200);
    const record = idp.requests().findLast((r) => r.path.endsWith('/oauth2/v2.0/token'))!;
    expect(record).toMatchObject({ clientId: WEB.clientId, app: 'sample-web', user: ADA.upn, status: 200 });
    expect(record.artifacts?.map((a) => a.name)).toEqual(['id_token', 'access_token']);
    expect(JSON.stringify(idp.requests())).not.toContain(WEB.secret);
    expect(JSON.stringify(idp.requests())).not.toContain(ADA.password);

    const list = withoutScript((await page('/requests')).html);
    expect(list).toContain(`<a href="/requests/${record.traceId}">/${TENANT_ID}/oauth2/v2.0/token</a>`);
    const detail = await page(`/requests/${record.traceId}`);
    expect(detail.status).toBe(200);
    expect(unescapeHtml(detail.html)).toContain(`"preferred_username": "${ADA.upn}"`);
  });

  it('names the client of a client-credentials request authenticated with HTTP Basic, without keeping the secret', async () => {
    const basic = Buffer.from(`${WEB.clientId}:${WEB.secret}`).toString('base64');
    await (
      await fetch(token(), { method: 'POST', headers: { authorization: `Basic ${basic}` }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: `${API.uri}/.default` }) })
    ).arrayBuffer();
    const record = idp.requests().findLast((r) => r.path.endsWith('/oauth2/v2.0/token'))!;
    expect(record).toMatchObject({ clientId: WEB.clientId, app: 'sample-web', status: 200 });
    expect(record.user).toBeUndefined();
    expect(JSON.stringify(record)).not.toContain(basic);
  });

  it('keeps the AuthnRequest of a SAML request as XML and names the app by its Issuer', async () => {
    const { xml } = authnRequest();
    await (await fetch(`${idp.url}/${TENANT_ID}/saml2?${new URLSearchParams({ SAMLRequest: deflate64(xml) })}`)).arrayBuffer();
    const record = idp.requests().findLast((r) => r.path.endsWith('/saml2'))!;
    expect(record).toMatchObject({ clientId: SAML_APP.clientId, app: SAML_APP.name });
    expect(record.artifacts).toEqual([{ name: 'SAMLRequest', kind: 'saml', value: xml, direction: 'request' }]);
    expect(unescapeHtml((await page(`/requests/${record.traceId}`)).html)).toContain(`<saml:Issuer>${SAML_APP.identifier}</saml:Issuer>`);
  });

  it('keeps the ID token of a hybrid-flow form_post answer and of an implicit-flow fragment redirect', async () => {
    const withImplicit = scenario();
    withImplicit.apps = withImplicit.apps!.map((a) => (a.clientId === WEB.clientId ? { ...a, implicitGrant: { idTokens: true } } : a));
    await idp.useScenario(withImplicit);
    try {
      for (const [responseType, responseMode] of [['code id_token', 'form_post'], ['id_token', 'fragment']] as const) {
        const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
        u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: responseType, response_mode: responseMode, nonce: 'n', redirect_uri: WEB.redirectUri, scope: 'openid profile', login_hint: ADA.upn }).toString();
        await follow(u.toString());
        const record = idp.requests().at(-1)!;
        expect(record, responseMode).toMatchObject({ clientId: WEB.clientId, user: ADA.upn });
        expect(record.artifacts?.map((a) => a.name), responseMode).toEqual(['id_token']);
      }
    } finally {
      await idp.useScenario('scenarios/default.yaml');
    }
  });

  it('escapes what requests bring: a login_hint with markup shows as text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
    u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid', login_hint: evil }).toString();
    await (await fetch(u, { redirect: 'manual' })).arrayBuffer();
    const html = (await page('/requests')).html;
    expect(html).not.toContain(evil);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('does not log the dashboard viewing itself, and answers 404 for a trace ID not in the log', async () => {
    const discovery = `/${TENANT_ID}/v2.0/.well-known/openid-configuration`;
    await page('/');
    await page('/requests');
    await (await fetch(`${idp.url}${discovery}`)).arrayBuffer();
    const missing = await page('/requests/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('keeps the last 500 requests');
    // The Entra request between the page views is logged; the page views are not.
    expect(idp.requests().at(-1)).toMatchObject({ method: 'GET', path: discovery, status: 200 });
    expect(idp.requests().filter((r) => r.path === '/' || r.path.startsWith('/requests'))).toEqual([]);
  });
});

describe('changing state from the dashboard', () => {
  const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${idp.url}/_mock/ui/switches`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams(body) });

  it('the switch form flips a switch for a loopback caller and sends the browser back to the overview', async () => {
    await idp.useScenario('scenarios/first-test-failure.yaml');
    try {
      const before = withoutScript((await page('/')).html);
      expect(before).toContain('sso-not-enabled-yet: saml requests for app sample-saml: fail with AADSTS7000112');
      expect(before).toMatch(/<button type="submit" name="on" value="sso-enabled">Turn on/);
      const res = await post({ on: 'sso-enabled' }, { origin: idp.url });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/#switches');
      const state = (await (await fetch(`${idp.url}/_mock/scenario`)).json()) as { switches: Record<string, boolean> };
      expect(state.switches).toEqual({ 'sso-enabled': true });
      expect((await post({ off: 'sso-enabled' })).status).toBe(303);
      expect(((await (await fetch(`${idp.url}/_mock/scenario`)).json()) as { switches: Record<string, boolean> }).switches).toEqual({ 'sso-enabled': false });
      expect((await post({ on: 'no-such-switch' })).status).toBe(404);
    } finally {
      await idp.useScenario('scenarios/default.yaml');
    }
  });

  it('refuses a form posted from another site', async () => {
    expect((await post({ on: 'x' }, { origin: 'https://evil.example' })).status).toBe(403);
  });

  describe('refuseAccess: the rule of the admin API and the dashboard', () => {
    const own = ['https://localhost:8443'];
    const req = (o: Partial<Parameters<typeof refuseAccess>[0]>) => ({ authorization: '', origin: '', ownOrigins: own, host: 'localhost:8443', ...o });
    const rule = (adminToken?: string) => ({ adminToken, hostnames: ['localhost'] });

    it('without an admin token, allows loopback callers only', () => {
      expect(refuseAccess(req({ remoteAddress: '127.0.0.1' }), rule())).toBeUndefined();
      expect(refuseAccess(req({ remoteAddress: '::1' }), rule())).toBeUndefined();
      expect(refuseAccess(req({ remoteAddress: '::ffff:127.0.0.1' }), rule())).toBeUndefined();
      expect(refuseAccess(req({ remoteAddress: '192.168.1.20' }), rule())).toMatch(/loopback/);
      expect(refuseAccess(req({ remoteAddress: '::ffff:10.0.0.2' }), rule())).toMatch(/loopback/);
      expect(refuseAccess(req({}), rule())).toMatch(/loopback/);
    });

    it('without an admin token, refuses a loopback caller whose Host names another server (DNS rebinding)', () => {
      expect(refuseAccess(req({ remoteAddress: '127.0.0.1', host: 'evil.example:8443', origin: 'https://evil.example:8443', ownOrigins: [...own, 'https://evil.example:8443'] }), rule())).toMatch(/DNS rebinding/);
      expect(refuseAccess(req({ remoteAddress: '127.0.0.1', host: 'evil.example:8443' }), rule())).toMatch(/DNS rebinding/);
      expect(refuseAccess(req({ remoteAddress: '127.0.0.1', host: '127.0.0.1:8443' }), rule())).toBeUndefined();
      expect(refuseAccess(req({ remoteAddress: '::1', host: '[::1]:8443' }), rule())).toBeUndefined();
    });

    it('with an admin token, allows anyone presenting it (Bearer, Basic password or the form field) and no one else', () => {
      expect(refuseAccess(req({ remoteAddress: '10.0.0.2', authorization: 'Bearer s3cret' }), rule('s3cret'))).toBeUndefined();
      expect(refuseAccess(req({ remoteAddress: '10.0.0.2', authorization: `Basic ${Buffer.from('me:s3cret').toString('base64')}` }), rule('s3cret'))).toBeUndefined();
      expect(refuseAccess(req({ remoteAddress: '10.0.0.2', formToken: 's3cret' }), rule('s3cret'))).toBeUndefined();
      expect(refuseAccess(req({ remoteAddress: '10.0.0.2', formToken: 'nope' }), rule('s3cret'))).toMatch(/admin token/);
      expect(refuseAccess(req({ remoteAddress: '127.0.0.1' }), rule('s3cret'))).toMatch(/admin token/);
    });

    it('refuses requests from another origin, even on loopback', () => {
      expect(refuseAccess(req({ remoteAddress: '127.0.0.1', origin: 'https://localhost:8443' }), rule())).toBeUndefined();
      expect(refuseAccess(req({ remoteAddress: '127.0.0.1', origin: 'https://evil.example' }), rule())).toMatch(/another site/);
      expect(refuseAccess(req({ remoteAddress: '127.0.0.1', origin: 'null' }), rule())).toMatch(/another site/);
    });
  });
});
