/** One sign-in session across protocols, as Entra keeps it: sign in once, OIDC or SAML, and other apps do not ask again. */
import { describe, expect, it } from 'vitest';
import { CookieJar, follow } from '../helpers/browserless.js';
import { ADA, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { authnRequest, browse, redirectUrl } from '../saml/support.js';

const idp = useMockEntra();

const authorize = (extra: Record<string, string> = {}) => {
  const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile', ...extra }).toString();
  return u.toString();
};

describe('single sign-on across OIDC and SAML', () => {
  it('after an OIDC sign-in, the SAML app signs the same user in without a page', async () => {
    const jar = new CookieJar();
    const oidc = await follow(authorize({ login_hint: ADA.upn }), { jar });
    expect(oidc.url.searchParams.get('code')).toBeTruthy();
    const saml = await browse(redirectUrl(idp, authnRequest().xml), { jar });
    expect(saml.responseXml).toContain(`>${ADA.upn}</NameID>`);
  });

  it('after a SAML sign-in, an OIDC app signs the same user in without a page', async () => {
    const jar = new CookieJar();
    const saml = await browse(redirectUrl(idp, authnRequest().xml, { login_hint: ADA.upn }), { jar });
    expect(saml.samlResponse).toBeDefined();
    const oidc = await follow(authorize(), { jar });
    expect(oidc.url.searchParams.get('code')).toBeTruthy();
  });

  it('prompt=login still asks, and signing out of OIDC ends the session for SAML too', async () => {
    const jar = new CookieJar();
    await follow(authorize({ login_hint: ADA.upn }), { jar });
    expect((await follow(authorize({ prompt: 'login', login_hint: ADA.upn }), { jar })).html).toContain('Enter password');
    const out = await follow(`${idp.url}/${TENANT_ID}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(WEB.postLogoutRedirectUri)}&client_id=${WEB.clientId}`, { jar });
    if (out.html) {
      const action = new URL(/action="([^"]+)"/.exec(out.html)![1]!.replace(/&amp;/g, '&'), out.url);
      const fields = new URLSearchParams([...out.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m): [string, string] => [m[1]!, m[2]!]));
      await follow(action.toString(), { jar, method: 'POST', body: fields });
    }
    const saml = await browse(redirectUrl(idp, authnRequest().xml), { jar });
    expect(saml.samlResponse).toBeUndefined();
    expect(saml.html).toContain('Pick an account');
  });
});
