/**
 * A sign-in that needs no page (auto sign-in with login_hint, single sign-on) is answered by the
 * authorize request itself: one redirect, straight back to the app with the code, as Entra answers
 * a browser it already knows. Anything that asks for a page still gets one.
 */
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import type { SignInEvent } from '../../src/index.js';
import { CookieJar } from '../helpers/browserless.js';
import { ADA, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra();

const authorizeUrl = (extra: Record<string, string> = {}) => {
  const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile offline_access', state: 'st-1', ...extra }).toString();
  return u.toString();
};

/** One request, no redirect followed: what the browser gets back from /authorize. */
async function authorizeOnce(extra: Record<string, string> = {}, jar = new CookieJar()) {
  const res = await fetch(authorizeUrl(extra), { redirect: 'manual', headers: { cookie: jar.header() } });
  jar.store(res);
  const location = res.headers.get('location');
  return { status: res.status, location: location ? new URL(location, idp.url) : undefined, html: location ? undefined : await res.text(), jar };
}

const redeem = async (code: string) => {
  const res = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: WEB.redirectUri, client_id: WEB.clientId, client_secret: WEB.secret }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
};

const collect = () => {
  const signins: SignInEvent[] = [];
  const off = idp.events.on('signin', (e) => signins.push(e));
  return { signins, off };
};

describe('sign-ins without a page', () => {
  it('authorize with a known login_hint redirects straight to the app with the code, which redeems for Ada’s tokens', async () => {
    const { signins, off } = collect();
    const answer = await authorizeOnce({ login_hint: ADA.upn });
    off();
    expect([302, 303]).toContain(answer.status);
    expect(`${answer.location?.origin}${answer.location?.pathname}`).toBe(WEB.redirectUri);
    expect(answer.location?.searchParams.get('state')).toBe('st-1');
    const code = answer.location?.searchParams.get('code');
    expect(code).toMatch(/./);
    expect(signins).toEqual([expect.objectContaining({ upn: ADA.upn, by: 'login_hint', endpoint: 'authorize' })]);
    const tokens = await redeem(code!);
    expect(tokens.status).toBe(200);
    expect(decodeJwt(tokens.body.id_token!)).toMatchObject({ preferred_username: ADA.upn, aud: WEB.clientId, tid: TENANT_ID });
    expect(tokens.body.refresh_token).toMatch(/./);
  });

  it('the single sign-on session alone (no login_hint) signs the browser in to the next authorize the same way', async () => {
    const first = await authorizeOnce({ login_hint: ADA.upn });
    // Only Entra's cross-protocol session cookie goes along, not the provider's own session.
    const sso = new CookieJar();
    for (const [name, value] of first.jar.cookies) if (name.startsWith('estsauth.')) sso.cookies.set(name, value);
    expect(sso.cookies.size).toBeGreaterThan(0);
    const { signins, off } = collect();
    const again = await authorizeOnce({}, sso);
    off();
    expect(`${again.location?.origin}${again.location?.pathname}`).toBe(WEB.redirectUri);
    expect(again.location?.searchParams.get('code')).toMatch(/./);
    expect(signins).toEqual([expect.objectContaining({ upn: ADA.upn, by: 'session' })]);
  });

  it.each(['login', 'select_account'])('prompt=%s still shows Entra’s sign-in page', async (prompt) => {
    const answer = await authorizeOnce({ login_hint: ADA.upn, prompt });
    expect(answer.location?.pathname).toMatch(new RegExp(`^/${TENANT_ID}/login/`));
  });

  it('prompt=none signs no one in: the app gets login_required (AADSTS50058)', async () => {
    const answer = await authorizeOnce({ login_hint: ADA.upn, prompt: 'none' });
    expect(`${answer.location?.origin}${answer.location?.pathname}`).toBe(WEB.redirectUri);
    expect(answer.location?.searchParams.get('code')).toBeNull();
    expect(answer.location?.searchParams.get('error')).toBe('login_required');
    expect(answer.location?.searchParams.get('error_description')).toMatch(/^AADSTS50058:/);
  });

  it('a user-scoped fault that fires when single sign-on names the user is shown on Entra’s page; the app gets nothing', async () => {
    const first = await authorizeOnce({ login_hint: ADA.upn });
    const sso = new CookieJar();
    for (const [name, value] of first.jar.cookies) if (name.startsWith('estsauth.')) sso.cookies.set(name, value);
    idp.use({ when: { endpoint: 'authorize', user: ADA.upn }, then: { error: 50076 } });
    const answer = await authorizeOnce({}, sso);
    expect(answer.location).toBeUndefined();
    expect(answer.status).toBe(200);
    expect(answer.html).toContain('AADSTS50076');
  });
});
