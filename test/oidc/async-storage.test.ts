/**
 * oidc-provider's AsyncLocalStorage (read only by a feature the mock leaves off) must not run: on
 * Node 20 and 22 a running one hooks every promise of the process, and everything gets slower
 * after the first authorize request. This fails when an oidc-provider upgrade moves the helper the
 * patch in src/oidc/no-async-storage.ts replaces, so the patch can follow it.
 */
import { describe, expect, it } from 'vitest';
import { follow } from '../helpers/browserless.js';
import { ADA, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra();

describe("oidc-provider's AsyncLocalStorage", () => {
  it('is never entered, and sign-ins still complete', async () => {
    const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
    u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid', login_hint: ADA.upn }).toString();
    const done = await follow(u.toString());
    expect(new URL(done.url).searchParams.get('code')).toBeTruthy();
    const { default: als } = (await import('oidc-provider/lib/helpers/als.js' as string)) as { default: { run: (s: unknown, cb: () => unknown) => unknown; getStore: () => unknown } };
    let seen: unknown = 'not called';
    expect(als.run({ marker: true }, () => (seen = als.getStore()))).toBeUndefined();
    expect(seen).toBeUndefined();
  });
});
