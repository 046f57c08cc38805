import { describe, expect, it } from 'vitest';
import { CookieJar, follow } from '../helpers/browserless.js';
import { ADA, GRACE, TENANT_DOMAIN, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra();

function authorizeUrl(params: Record<string, string>, tenant = TENANT_ID): string {
  const u = new URL(`${idp.url}/${tenant}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile', state: 'st', ...params }).toString();
  return u.toString();
}

/** The code on Entra's error page ("Message: AADSTSnnnn: …"). */
function pageCode(html: string | undefined): string | undefined {
  return /data-field="code">AADSTS(\d+)/.exec(html ?? '')?.[1];
}

describe('authorize: errors Entra shows on its own page, never redirecting', () => {
  it('an unregistered redirect URI gets the AADSTS50011 page (HTTP 200) and no redirect', async () => {
    const res = await fetch(authorizeUrl({ redirect_uri: 'https://evil.example/callback', login_hint: ADA.upn }), { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    const html = await res.text();
    expect(pageCode(html)).toBe('50011');
    expect(html.replace(/&#39;/g, "'")).toContain("The redirect URI 'https://evil.example/callback' specified in the request does not match");
    expect(html).toMatch(/data-field="trace_id">[0-9a-f-]{36}/);
    expect(html).toMatch(/data-field="correlation_id">[0-9a-f-]{36}/);
    expect(html).toMatch(/data-field="timestamp">\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    expect(html).not.toContain('evil.example/callback?');
  });

  it('an unknown client ID gets the AADSTS700016 page', async () => {
    const res = await fetch(authorizeUrl({ client_id: '00000000-1111-4222-8333-444444444444' }), { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(pageCode(await res.text())).toBe('700016');
  });

  it('an unknown tenant gets the AADSTS90002 page', async () => {
    const res = await fetch(authorizeUrl({}, 'fabrikam.onmicrosoft.com'), { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(pageCode(await res.text())).toBe('90002');
  });
});

describe('authorize: errors that go back to the registered redirect URI', () => {
  it('a missing response_type is redirected as invalid_request AADSTS900144 with state', async () => {
    const u = new URL(authorizeUrl({}));
    u.searchParams.delete('response_type');
    const res = await fetch(u, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(WEB.redirectUri);
    expect(to.searchParams.get('error')).toBe('invalid_request');
    expect(to.searchParams.get('error_description')).toMatch(/^AADSTS900144: The request body must contain the following parameter: 'response_type'\.\r\nTrace ID: /);
    expect(to.searchParams.get('error_uri')).toBe(`${idp.url}/error?code=900144`);
    expect(to.searchParams.get('state')).toBe('st');
  });

  it('prompt=none without a session is login_required AADSTS50058', async () => {
    const done = await follow(authorizeUrl({ prompt: 'none' }));
    expect(done.url.searchParams.get('error')).toBe('login_required');
    expect(done.url.searchParams.get('error_description')).toMatch(/^AADSTS50058: /);
    expect(done.url.searchParams.get('state')).toBe('st');
  });

  it('an unknown scope of a known API is invalid_scope AADSTS70011', async () => {
    const done = await follow(authorizeUrl({ scope: 'openid api://sample-api/nope' }));
    expect(done.url.searchParams.get('error')).toBe('invalid_scope');
    expect(done.url.searchParams.get('error_description')).toMatch(/^AADSTS70011: /);
  });
});

describe('sign-in', () => {
  it('login_hint signs in without a page; the session cookie then makes prompt=none work', async () => {
    const jar = new CookieJar();
    const first = await follow(authorizeUrl({ login_hint: ADA.upn }), { jar });
    expect(first.url.searchParams.get('code')).toBeTruthy();
    expect(first.url.searchParams.get('session_state')).toMatch(/^[0-9a-f-]{36}$/);
    const silent = await follow(authorizeUrl({ prompt: 'none' }), { jar });
    expect(silent.url.searchParams.get('error')).toBeNull();
    expect(silent.url.searchParams.get('code')).toBeTruthy();
  });

  it('without login_hint the account picker is shown, then the password form; a wrong password says so', async () => {
    const picker = await follow(authorizeUrl({}));
    expect(picker.html).toContain('Pick an account');
    expect(picker.html).toContain(ADA.upn);
    expect(picker.html).toContain(GRACE.upn);
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(picker.html!)![1]!, picker.url);
    const pwdForm = await follow(action.toString(), { jar: picker.jar, method: 'POST', body: new URLSearchParams({ username: ADA.upn }) });
    expect(pwdForm.html).toContain('Enter password');
    expect(pwdForm.html).toMatch(/<label for="password">Password<\/label>/);
    const wrong = await follow(action.toString(), { jar: picker.jar, method: 'POST', body: new URLSearchParams({ username: ADA.upn, password: 'nope' }) });
    expect(wrong.html).toContain('Your account or password is incorrect');
    const ok = await follow(action.toString(), { jar: picker.jar, method: 'POST', body: new URLSearchParams({ username: ADA.upn, password: ADA.password }) });
    expect(`${ok.url.origin}${ok.url.pathname}`).toBe(WEB.redirectUri);
    expect(ok.url.searchParams.get('code')).toBeTruthy();
  });

  it('prompt=login asks for the password even with a login_hint', async () => {
    const page = await follow(authorizeUrl({ login_hint: ADA.upn, prompt: 'login' }));
    expect(page.html).toContain('Enter password');
    expect(page.html).toContain(ADA.upn);
  });

  it('prompt=select_account shows the account picker', async () => {
    const page = await follow(authorizeUrl({ login_hint: ADA.upn, prompt: 'select_account' }));
    expect(page.html).toContain('Pick an account');
  });

  it('the tenant domain works as an authority; /common and /organizations refuse a single-tenant app with AADSTS50194', async () => {
    const done = await follow(authorizeUrl({ login_hint: ADA.upn }, TENANT_DOMAIN));
    expect(done.url.searchParams.get('code')).toBeTruthy();
    for (const t of ['common', 'organizations']) {
      const refused = await follow(authorizeUrl({ login_hint: ADA.upn }, t));
      expect(refused.url.searchParams.get('error'), t).toBe('invalid_request');
      expect(refused.url.searchParams.get('error_description'), t).toMatch(/^AADSTS50194: Application '2f6c9e1a-8b3d-4c7e-a5f0-1d2e3f4a5b6c'\(sample-web\) is not configured as a multi-tenant application/);
    }
  });

  it('a multi-tenant app signs in through /common and /organizations, getting tokens of the home tenant', async () => {
    await idp.useScenario({ ...idp.scenario, apps: idp.scenario.apps.map((a) => (a.name === 'sample-web' ? { ...a, signInAudience: 'AzureADMultipleOrgs' } : a)) } as never);
    try {
      for (const t of ['common', 'organizations']) {
        const done = await follow(authorizeUrl({ login_hint: ADA.upn }, t));
        expect(done.url.searchParams.get('code'), t).toBeTruthy();
      }
    } finally {
      await idp.useScenario('scenarios/default.yaml');
    }
  });

  it('logout ends the session and returns to the registered post_logout_redirect_uri', async () => {
    const jar = new CookieJar();
    await follow(authorizeUrl({ login_hint: ADA.upn }), { jar });
    const out = await follow(`${idp.url}/${TENANT_ID}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(WEB.postLogoutRedirectUri)}&client_id=${WEB.clientId}`, { jar });
    // Entra signs out without asking; our page auto-submits, so post the form as a browser would.
    let final = out;
    if (out.html) {
      const action = new URL(/action="([^"]+)"/.exec(out.html)![1]!.replace(/&amp;/g, '&'), out.url);
      const fields = new URLSearchParams([...out.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m): [string, string] => [m[1]!, m[2]!]));
      final = await follow(action.toString(), { jar, method: 'POST', body: fields });
    }
    expect(final.url.toString()).toBe(WEB.postLogoutRedirectUri);
    const silent = await follow(authorizeUrl({ prompt: 'none' }), { jar });
    expect(silent.url.searchParams.get('error')).toBe('login_required');
  });
});

describe('MSAL helper endpoints', () => {
  it('instance discovery names the tenant discovery endpoint and this host', async () => {
    const res = await fetch(`${idp.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`)}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { tenant_discovery_endpoint: string; metadata: Array<{ aliases: string[] }> };
    expect(body.tenant_discovery_endpoint).toBe(`${idp.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`);
    expect(body.metadata[0]!.aliases).toContain(new URL(idp.url).host);
  });

  it('home realm discovery says a tenant user is Managed', async () => {
    const body = (await (await fetch(`${idp.url}/common/userrealm/${encodeURIComponent(ADA.upn)}?api-version=1.0`)).json()) as Record<string, string>;
    expect(body).toMatchObject({ account_type: 'Managed', domain_name: TENANT_DOMAIN });
  });

  it('v1 and alias discovery documents carry the issuer Entra publishes', async () => {
    const v1 = (await (await fetch(`${idp.url}/${TENANT_ID}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(v1.issuer).toBe(`https://sts.windows.net/${TENANT_ID}/`);
    expect(v1.token_endpoint).toBe(`${idp.url}/${TENANT_ID}/oauth2/token`);
    const common = (await (await fetch(`${idp.url}/common/v2.0/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(common.issuer).toBe(`${idp.url}/{tenantid}/v2.0`);
    expect(common.tenant_region_scope).toBeNull();
    expect(common.authorization_endpoint).toBe(`${idp.url}/common/oauth2/v2.0/authorize`);
  });
});

describe('bad input never crashes the server', () => {
  it('answers malformed requests with Entra-shaped errors and keeps serving', async () => {
    const token = `${idp.url}/${TENANT_ID}/oauth2/v2.0/token`;
    const cases: Array<[RequestInit, number, number]> = [
      [{ method: 'POST', body: new URLSearchParams({}) }, 400, 900144],
      [{ method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) }, 400, 900144],
      [{ method: 'POST', body: 'x'.repeat(300 * 1024), headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 413, 90023],
      [{ method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: WEB.clientId }) }, 401, 7000218],
    ];
    for (const [init, status, code] of cases) {
      const res = await fetch(token, init);
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error_codes: number[]; error_description: string };
      expect(body.error_codes).toEqual([code]);
      expect(body.error_description).not.toMatch(/at .*\.(ts|js):\d+/);
    }
    const dup = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize?client_id=a&client_id=b&response_type=code`, { redirect: 'manual' });
    expect(dup.status).toBe(200);
    expect(await dup.text()).toContain("AADSTS90023: The request is not valid. The parameter &#39;client_id&#39; was given more than once.");
    const res = await fetch(`${idp.url}/%E0%A4%A/oauth2/v2.0/token`, { method: 'POST' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect((await fetch(`${idp.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`)).status).toBe(200);
  });
});
