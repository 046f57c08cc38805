import { describe, expect, it } from 'vitest';
import { signInsPage, skipTokenOf } from '../../src/graph/signins.js';
import type { SignInRecord } from '../../src/index.js';
import { REDACTED, redactParams } from '../../src/server/signins.js';

describe('redacting a sign-in request', () => {
  it('keeps names, replaces secrets with (redacted) and caps long values', () => {
    const p = redactParams({ client_id: 'abc', Password: 'hunter2', code: 'c0de' }, { client_secret: 's', refresh_token: 'r', SAMLResponse: 'PHNhbWw+', scope: 'x'.repeat(5000) });
    expect(p).toMatchObject({ client_id: 'abc', Password: REDACTED, code: REDACTED, client_secret: REDACTED, refresh_token: REDACTED, SAMLResponse: REDACTED });
    expect(JSON.stringify(p)).not.toMatch(/hunter2|c0de/);
    expect(p.scope!.length).toBeLessThan(1100);
    expect(Object.keys(redactParams(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`p${i}`, 'v'])))).length).toBe(40);
  });
});

describe("Graph's signIns paging", () => {
  const records = Array.from({ length: 5 }, (_, i) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, createdDateTime: new Date(Date.UTC(2026, 0, 1, 0, 0, 5 - i)).toISOString(), status: { errorCode: 0 }, mockEntra: { artifacts: [{ name: 'id_token' }] } }) as unknown as SignInRecord);
  const base = 'https://graph.test/v1.0';

  it('pages by $top with @odata.nextLink and $skiptoken until the last page, leaving tokens out', () => {
    const first = signInsPage(records, { $top: '2' }, base);
    expect(first.value.map((r) => r.id)).toEqual([records[0]!.id, records[1]!.id]);
    expect(first.value[0]!.mockEntra.artifacts).toEqual([]);
    const next = new URL(first['@odata.nextLink']!);
    expect(next.searchParams.get('$skiptoken')).toBe(skipTokenOf(records[1]!.id));
    const second = signInsPage(records, { $top: '2', $skiptoken: next.searchParams.get('$skiptoken')! }, base);
    expect(second.value.map((r) => r.id)).toEqual([records[2]!.id, records[3]!.id]);
    const last = signInsPage(records, { $top: '2', $skiptoken: skipTokenOf(records[3]!.id) }, base);
    expect(last.value.map((r) => r.id)).toEqual([records[4]!.id]);
    expect(last['@odata.nextLink']).toBeUndefined();
    expect(signInsPage(records, {}, base)['@odata.nextLink']).toBeUndefined();
  });

  it('answers an invalid $skiptoken with Graph\'s 400 BadRequest', () => {
    expect(() => signInsPage(records, { $skiptoken: 'garbage!' }, base)).toThrow(expect.objectContaining({ status: 400, code: 'BadRequest' }));
    expect(() => signInsPage(records, { $skiptoken: skipTokenOf('11111111-1111-4111-8111-111111111111') }, base)).toThrow(/Invalid \$skiptoken/);
  });
});
