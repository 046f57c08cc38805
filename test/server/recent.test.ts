/** The recent requests, kept as log-line bytes: what is read back is what was kept, newest `limit`, artifacts with their records. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonLine, type RequestRecord } from '../../src/server/log.js';
import { RecentRequests } from '../../src/server/recent.js';
import { requestRecord, text } from '../helpers/records.js';

const record = requestRecord({ path: fc.oneof(text, fc.string({ unit: 'grapheme', minLength: 0, maxLength: 3000 })), artifacts: true });

describe('the recent requests', () => {
  it('reads back the newest records as they were kept, oldest first, each with its own artifacts', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 120 }), fc.integer({ min: 1, max: 40 }), (records, limit) => {
        const recent = new RecentRequests(limit);
        for (const r of records) recent.add(r);
        expect(recent.list()).toEqual(records.slice(-limit));
      }),
      { numRuns: 200 },
    );
  });

  it('answers a line longer than a chunk, and non-ASCII paths, byte for byte', () => {
    const recent = new RecentRequests(3);
    const long: RequestRecord = { time: '2026-12-02T10:00:00.000Z', method: 'GET', path: `/${'ü'.repeat(20_000)}`, status: 404, ms: 1, traceId: '00000000-0000-4000-8000-000000000001', aadsts: 90023 };
    const short: RequestRecord = { ...long, path: '/ok 🙂', status: 200, traceId: '00000000-0000-4000-8000-000000000002' };
    delete short.aadsts;
    recent.add(short);
    recent.add(long);
    recent.add(short);
    expect(recent.list()).toEqual([short, long, short]);
  });

  it("keeps a batch as the request log encoded it; a small batch's bytes are copied out of Node's shared pool", () => {
    const recent = new RecentRequests(10);
    const a: RequestRecord = { time: '2026-12-02T10:00:00.000Z', method: 'GET', path: '/a', status: 200, ms: 0.1, traceId: '00000000-0000-4000-8000-000000000001' };
    const b: RequestRecord = { ...a, path: '/b', traceId: '00000000-0000-4000-8000-000000000002' };
    const bytes = Buffer.from(jsonLine(a) + jsonLine(b), 'utf8');
    expect(bytes.buffer.byteLength).toBeGreaterThan(bytes.length);
    recent.addBatch([a, b], bytes);
    // The pool's slab is reused by whoever allocates next: what was kept must not change with it.
    bytes.fill(0x20);
    expect(recent.list()).toEqual([a, b]);
    expect(recent.heldBytes).toBe(Buffer.byteLength(jsonLine(a) + jsonLine(b)));
  });

  it('holds a bounded number of bytes and artifacts however many requests pass, and nothing after clear()', () => {
    const recent = new RecentRequests(500);
    const base: RequestRecord = { time: '2026-12-02T10:00:00.000Z', method: 'POST', path: '/contoso.onmicrosoft.com/oauth2/v2.0/token', status: 200, ms: 3.2, traceId: '' };
    for (let i = 0; i < 50_000; i++) {
      recent.add({ ...base, traceId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, artifacts: [{ name: 'access_token', kind: 'jwt', value: `token-${i}`, direction: 'response' }] });
    }
    const list = recent.list();
    expect(list).toHaveLength(500);
    expect(list[0]!.traceId.endsWith(String(49_500).padStart(12, '0'))).toBe(true);
    expect(list.at(-1)!.artifacts).toEqual([{ name: 'access_token', kind: 'jwt', value: 'token-49999', direction: 'response' }]);
    // 500 lines of about 130 bytes (one record a chunk here), plus at most a batch on its way out.
    expect(recent.heldBytes).toBeLessThan(500 * 200 + 2 * 16 * 1024);
    expect(recent.heldArtifacts).toBeLessThan(500 + 200);
    recent.clear();
    expect(recent.list()).toEqual([]);
    expect(recent.heldBytes).toBe(0);
    expect(recent.heldArtifacts).toBe(0);
  });
});
