/**
 * The memory store (the default) keeps the semantics the Redis store has: a code redeemed twice at
 * once gets tokens once (the other AADSTS54005), a device code is redeemed once.
 */
import { describe, expect, it } from 'vitest';
import { TENANT_ID, ADA, CLI } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { codeFrom, form, own, redeem } from './support.js';

describe('the memory store', () => {
  const idp = useMockEntra({ store: 'memory' });

  it('two redemptions of one code at once: one gets tokens, the other AADSTS54005', async () => {
    const code = await codeFrom(idp);
    const answers = await Promise.all([redeem(idp, code), redeem(idp, code)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(((await answers.find((r) => r.status === 400)!.json()) as { error_codes: number[] }).error_codes).toEqual([54005]);
  });

  it('an approved device code polled twice at once is redeemed once', async () => {
    const issued = (await (await fetch(`${own(idp)}/${TENANT_ID}/oauth2/v2.0/devicecode`, form({ client_id: CLI.clientId, scope: 'openid' }))).json()) as { device_code: string; user_code: string };
    await idp.approveDeviceCode(issued.user_code, ADA.upn);
    const poll = () => fetch(`${own(idp)}/${TENANT_ID}/oauth2/v2.0/token`, form({ grant_type: 'device_code', client_id: CLI.clientId, device_code: issued.device_code }));
    const answers = await Promise.all([poll(), poll()]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
    await expect(idp.approveDeviceCode(issued.user_code, ADA.upn)).rejects.toThrow(/no pending device code/);
  });
});
