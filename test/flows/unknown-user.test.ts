/**
 * A user name the directory does not have: the sign-in pages say "This username may be incorrect"
 * and the sign-in log records a Failure with AADSTS50034 for the name typed; ROPC (msal-node)
 * answers 50034 rather than 50126, so a test can tell a typo in the user from a wrong password.
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { follow } from '../helpers/browserless.js';
import { TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra();
const NOBODY = 'nobody@contoso.onmicrosoft.com';

async function typeUser(username: string, password?: string) {
  const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile' }).toString();
  const picker = await follow(u.toString());
  const action = /<form method="post" action="([^"]+)"/.exec(picker.html ?? '')?.[1];
  expect(action, 'the sign-in page has a form').toBeDefined();
  return follow(new URL(action!, picker.url).toString(), { jar: picker.jar, method: 'POST', body: new URLSearchParams({ username, ...(password === undefined ? {} : { password }) }) });
}

describe('a user the directory does not have', () => {
  it('on the sign-in page: the page says the user name may be wrong, the sign-in log has 50034 with its fix', async () => {
    const page = await typeUser(NOBODY, 'whatever');
    expect(page.html).toContain('This username may be incorrect');
    const [r] = idp.signIns({ user: NOBODY, code: 50034 });
    expect(r).toMatchObject({
      userPrincipalName: NOBODY,
      userId: null,
      appDisplayName: 'sample-web',
      status: { errorCode: 50034, failureReason: expect.stringContaining(`The user account ${NOBODY} does not exist in the contoso.onmicrosoft.com directory`) },
      mockEntra: { flow: 'authorizationCode', outcome: 'Failure' },
    });
    expect(r!.status.additionalDetails).toMatch(/not an account of this tenant/);
    expect(idp.requests().find((q) => q.traceId === r!.id)).toMatchObject({ status: 200, aadsts: 50034 });
  });

  it('the user name step alone (no password yet) is recorded the same way', async () => {
    const before = idp.signIns({ code: 50034 }).length;
    const page = await typeUser('typo@contoso.onmicrosoft.com');
    expect(page.html).toContain('This username may be incorrect');
    expect(idp.signIns({ code: 50034 })).toHaveLength(before + 1);
    expect(idp.signIns({ code: 50034 })[0]!.userPrincipalName).toBe('typo@contoso.onmicrosoft.com');
  });

  it('ROPC with msal-node answers 50034, not 50126', async () => {
    const app = new ConfidentialClientApplication({ auth: { clientId: WEB.clientId, clientSecret: WEB.secret, authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] } });
    const err = await app.acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: NOBODY, password: 'x' }).then(
      () => undefined,
      (e: unknown) => e as { errorNo?: string; errorMessage?: string },
    );
    expect(String(err?.errorNo)).toBe('50034');
    expect(err?.errorMessage).toContain('does not exist in the contoso.onmicrosoft.com directory');
    expect(idp.signIns({ user: NOBODY, code: 50034 }).some((r) => r.mockEntra.flow === 'ropc')).toBe(true);
  });
});
