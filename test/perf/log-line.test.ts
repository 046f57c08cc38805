/** The JSON request log line, written member by member, is exactly JSON.stringify of the record without its artifacts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime, jsonLine, type RequestRecord } from '../../src/server/log.js';
import { requestRecord } from '../helpers/records.js';

const record = requestRecord();

describe('the JSON log line', () => {
  it('is JSON.stringify of the record, artifacts left out, for any path, user or rule name', () => {
    fc.assert(
      fc.property(record, (r) => {
        const withArtifacts: RequestRecord = { ...r, artifacts: [{ name: 'id_token', kind: 'jwt', value: 'x.y.z', direction: 'response' }] };
        expect(jsonLine(withArtifacts)).toBe(`${JSON.stringify(r)}\n`);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the request log's time", () => {
  it('is toISOString of the request time, whatever order the times come in (a second, a millisecond, years apart)', () => {
    const near = fc.integer({ min: -1500, max: 1500 });
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 0, 1) }), fc.array(near, { maxLength: 60 }), (start, steps) => {
        let t = start;
        for (const step of [0, ...steps]) {
          t += step;
          expect(isoTime(t)).toBe(new Date(t).toISOString());
        }
      }),
      { numRuns: 300 },
    );
  });
});
