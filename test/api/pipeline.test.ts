/**
 * The surface of the one pipeline: typed events for what was issued, a throwing listener that
 * changes nothing a client sees, Entra-shaped admin errors, every URL the discovery document
 * prints served by a route, and two servers in one process sharing no state.
 */
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import type { FaultEvent, SamlResponseEvent, SignInEvent, TokenEvent } from '../../src/index.js';
import { start } from '../../src/index.js';
import { follow } from '../helpers/browserless.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { ADA, API, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { authnRequest, browse, readForm, redirectUrl } from '../saml/support.js';

const idp = useMockEntra();

const clientCredentials = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: `${API.uri}/.default` }),
  });

describe('typed events', () => {
  it("a sign-in emits 'signin' with the user and how they signed in, and 'token' for each token, with the claims the client got", async () => {
    const signins: SignInEvent[] = [];
    const tokens: TokenEvent[] = [];
    const offSignin = idp.events.on('signin', (e) => signins.push(e));
    const offToken = idp.events.on('token', (e) => tokens.push(e));
    const answer = await idp.signIn({ user: ADA.upn, app: 'sample-web', scopes: ['openid', 'profile', `${API.uri}/${API.scope}`] });
    offSignin();
    offToken();
    expect(signins).toEqual([expect.objectContaining({ upn: ADA.upn, appId: WEB.clientId, by: 'login_hint', tenantId: TENANT_ID, endpoint: 'authorize' })]);
    expect(tokens.map((t) => t.kind).sort()).toEqual(['access_token', 'id_token']);
    const access = tokens.find((t) => t.kind === 'access_token')!;
    expect(access.token).toBe(answer.access_token);
    expect(access.claims).toEqual(decodeJwt(answer.access_token));
    expect(access).toMatchObject({ appId: WEB.clientId, upn: ADA.upn, endpoint: 'token', header: { alg: 'RS256', typ: 'JWT' } });
    expect(tokens.find((t) => t.kind === 'id_token')!.token).toBe(answer.id_token);
  });

  it("a fault emits 'fault' with the rule's name and words, and the token it shaped names the rule", async () => {
    const faults: FaultEvent[] = [];
    const tokens: TokenEvent[] = [];
    const off = [idp.events.on('fault', (e) => faults.push(e)), idp.events.on('token', (e) => tokens.push(e))];
    idp.use({ name: 'no-roles', when: { app: 'sample-web', endpoint: 'token' }, then: { removeClaims: ['roles'] } });
    const res = await clientCredentials(idp.url);
    for (const f of off) f();
    const body = (await res.json()) as { access_token: string };
    expect(decodeJwt(body.access_token).roles).toBeUndefined();
    expect(faults).toEqual([expect.objectContaining({ name: 'no-roles', endpoint: 'token', appId: WEB.clientId, explain: expect.stringContaining('leave out roles') })]);
    expect(tokens).toEqual([expect.objectContaining({ kind: 'access_token', rule: 'no-roles', token: body.access_token })]);
    expect(tokens[0]!.claims.roles).toBeUndefined();
  });

  it("a SAML sign-in emits 'saml.response' with the XML the SP receives", async () => {
    const responses: SamlResponseEvent[] = [];
    const off = idp.events.on('saml.response', (e) => responses.push(e));
    const { id, xml } = authnRequest();
    const page = await browse(redirectUrl(idp, xml, { login_hint: ADA.upn }));
    off();
    const posted = readForm(page.html);
    expect(posted?.fields.SAMLResponse).toBeDefined();
    expect(responses).toHaveLength(1);
    expect(Buffer.from(posted!.fields.SAMLResponse!, 'base64').toString('utf8')).toBe(responses[0]!.xml);
    expect(responses[0]).toMatchObject({ inResponseTo: id, upn: ADA.upn, status: 'Success' });
  });

  it("'request' carries the same record as idp.requests(), with the app and user the transaction knew", async () => {
    let seen: unknown;
    const off = idp.events.on('request', (r) => {
      if (r.path.endsWith('/token')) seen = r;
    });
    await clientCredentials(idp.url);
    off();
    expect(seen).toEqual(idp.requests().at(-1));
    expect(seen).toMatchObject({ clientId: WEB.clientId, app: 'sample-web', status: 200 });
  });
});

describe('listeners and the admin API cannot break a request', () => {
  it('a throwing onRequest callback and a throwing listener leave the answer as it was (200 with a token)', async () => {
    const noisy = await start({
      certsDir: TEST_CERTS_DIR,
      onRequest: () => {
        throw new Error('listener bug');
      },
    });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      noisy.events.on('token', () => {
        throw new Error('another listener bug');
      });
      const res = await clientCredentials(noisy.url);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { access_token?: string }).access_token).toMatch(/^eyJ/);
      expect(errors.length).toBeGreaterThanOrEqual(2);
    } finally {
      console.error = original;
      await noisy.stop();
    }
  });

  it.each([
    ['/_mock/rules', 'POST', '{not json', 'invalid_json'],
    ['/_mock/rules', 'POST', '[1,2]', 'invalid_json'],
    ['/_mock/rules', 'POST', '{"then":{"error":"soon"}}', 'invalid_rule'],
    ['/_mock/switches/nope', 'POST', '{"on":"yes"}', 'invalid_json'],
    ['/_mock/devicecodes/ABCDEFGHJ/approve', 'POST', '{}', 'unknown_device_code'],
  ])('%s %s with %s answers an Entra-shaped 4xx (%s), never a 500', async (path, method, body, error) => {
    const res = await fetch(`${idp.url}${path}`, { method, body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const json = (await res.json()) as Record<string, unknown>;
    expect(json).toMatchObject({ error, error_codes: [90023], trace_id: res.headers.get('x-ms-request-id') });
    expect(String(json.error_description)).toMatch(/^AADSTS90023: /);
  });
});

describe('the route table', () => {
  it('serves every endpoint the v2 and v1 discovery documents name (kerberos and check_session are only advertised, as Entra does)', async () => {
    const unserved = new Set(['issuer', 'kerberos_endpoint', 'check_session_iframe']);
    for (const doc of ['v2.0/.well-known/openid-configuration', '.well-known/openid-configuration']) {
      const meta = (await (await fetch(`${idp.url}/${TENANT_ID}/${doc}`)).json()) as Record<string, unknown>;
      const urls = Object.entries(meta).filter(([k, v]) => typeof v === 'string' && v.startsWith(idp.url) && !unserved.has(k));
      expect(urls.length).toBeGreaterThanOrEqual(6);
      for (const [k, u] of urls) {
        const res = await fetch(String(u), { method: k === 'token_endpoint' || k === 'device_authorization_endpoint' ? 'POST' : 'GET', redirect: 'manual' });
        expect(res.status, `${k} ${u}`).not.toBe(404);
        expect(res.status, `${k} ${u}`).toBeLessThan(500);
      }
    }
  });
});

describe('two servers in one process', () => {
  it('share no state: a code from one is unknown to the other (AADSTS70008), and a rule on one does not fire on the other', async () => {
    const other = await start({ certsDir: TEST_CERTS_DIR });
    try {
      const verifier = 'v'.repeat(43);
      const authorize = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
      authorize.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid', login_hint: ADA.upn, code_challenge: verifier, code_challenge_method: 'plain' }).toString();
      const landed = await follow(authorize.toString());
      expect(`${landed.url.origin}${landed.url.pathname}`).toBe(WEB.redirectUri);
      const code = landed.url.searchParams.get('code');
      expect(code).toMatch(/./);
      const redeem = (base: string) =>
        fetch(`${base}/${TENANT_ID}/oauth2/v2.0/token`, {
          method: 'POST',
          body: new URLSearchParams({ grant_type: 'authorization_code', client_id: WEB.clientId, client_secret: WEB.secret, code: code!, redirect_uri: WEB.redirectUri, code_verifier: verifier }),
        });
      const elsewhere = await redeem(other.url);
      expect(elsewhere.status).toBe(400);
      expect(((await elsewhere.json()) as { error_codes: number[] }).error_codes).toEqual([70008]);
      expect((await redeem(idp.url)).status).toBe(200);

      other.use({ when: { app: 'sample-web' }, then: { error: 53003 } });
      expect((await clientCredentials(idp.url)).status).toBe(200);
      expect((await clientCredentials(other.url)).status).toBe(400);
    } finally {
      await other.stop();
    }
  });
});
