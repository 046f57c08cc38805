import { PublicClientApplication } from '@azure/msal-node';
import { beforeEach, describe, expect, it } from 'vitest';
import { follow } from '../helpers/browserless.js';
import { ADA, CLI, TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra();
// One test switches to mfa-required; reset() does not switch back.
beforeEach(() => idp.useScenario('scenarios/default.yaml'));

describe('public clients and interactive sign-in', () => {
  it('a desktop app redirecting to http://localhost on any port signs in with PKCE (msal-node PublicClientApplication)', async () => {
    const app = new PublicClientApplication({ auth: { clientId: CLI.clientId, authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] } });
    const { verifier, challenge } = await (await import('@azure/msal-node')).CryptoProvider.prototype.generatePkceCodes.call(new (await import('@azure/msal-node')).CryptoProvider());
    const redirectUri = 'http://localhost:53187';
    const url = await app.getAuthCodeUrl({ scopes: ['User.Read'], redirectUri, loginHint: ADA.upn, codeChallenge: challenge, codeChallengeMethod: 'S256' });
    const done = await follow(url);
    expect(done.url.origin).toBe(redirectUri);
    const result = await app.acquireTokenByCode({ code: done.url.searchParams.get('code')!, scopes: ['User.Read'], redirectUri, codeVerifier: verifier });
    expect(result.account?.username).toBe(ADA.upn);
  });

  it('a fault for a user applies when the user is picked on the sign-in page, not only by login_hint', async () => {
    await idp.useScenario('scenarios/mfa-required.yaml');
    const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
    u.search = new URLSearchParams({ client_id: CLI.clientId, response_type: 'code', redirect_uri: 'http://localhost', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }).toString();
    const picker = await follow(u.toString());
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(picker.html!)![1]!, picker.url);
    const signedIn = await follow(action.toString(), { jar: picker.jar, method: 'POST', body: new URLSearchParams({ username: ADA.upn, password: ADA.password }) });
    expect(signedIn.html ?? '').toContain('AADSTS50076');
  });
});
