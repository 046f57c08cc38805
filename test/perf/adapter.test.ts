/**
 * The provider's in-memory store stays bounded under endless sign-ins: sessions and codes keep the
 * 5,000 most recent per tenant, refresh tokens far more; reads are copies, consume() is stored.
 */
import { describe, expect, it } from 'vitest';
import { MemoryAdapter } from '../../src/oidc/adapter.js';
import { Runtime } from '../../src/server/runtime.js';

const TENANT = '4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36';

describe('the provider store', () => {
  it('keeps the 5,000 most recent sessions of a tenant, and more refresh tokens', async () => {
    const Adapter = MemoryAdapter.for(new Runtime(), TENANT);
    const sessions = new Adapter('Session');
    const refresh = new Adapter('RefreshToken');
    for (let i = 0; i < 5_050; i++) {
      await sessions.upsert(`s${i}`, { uid: `u${i}`, accountId: 'ada' }, 3600);
      await refresh.upsert(`r${i}`, { grantId: `g${i}` }, 3600);
    }
    expect(await sessions.find('s0')).toBeUndefined();
    expect(await sessions.findByUid('u49')).toBeUndefined();
    expect(await sessions.findByUid('u50')).toEqual({ uid: 'u50', accountId: 'ada' });
    expect(await sessions.find('s5049')).toEqual({ uid: 'u5049', accountId: 'ada' });
    expect(await refresh.find('r0')).toEqual({ grantId: 'g0' });
  });

  it('gives copies: changing what find() returned changes nothing until upsert; consume() is kept', async () => {
    const codes = new (MemoryAdapter.for(new Runtime(), TENANT))('AuthorizationCode');
    await codes.upsert('c1', { grantId: 'g1', scope: 'openid' }, 600);
    const found = (await codes.find('c1'))!;
    found.scope = 'changed';
    expect((await codes.find('c1'))!.scope).toBe('openid');
    await codes.consume('c1');
    expect((await codes.find('c1'))!.consumed).toBeTypeOf('number');
    await codes.revokeByGrantId('g1');
    expect(await codes.find('c1')).toBeUndefined();
  });

  it('an expired entry is gone', async () => {
    const s = new (MemoryAdapter.for(new Runtime(), TENANT))('Session');
    await s.upsert('old', { uid: 'x' }, 1);
    const now = Date.now;
    Date.now = () => now() + 2000;
    try {
      expect(await s.find('old')).toBeUndefined();
      expect(await s.findByUid('x')).toBeUndefined();
    } finally {
      Date.now = now;
    }
  });
});
