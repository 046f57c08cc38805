/** fast-check arbitraries of the request log's records (log line, recent requests). */
import fc from 'fast-check';
import type { Artifact, RequestRecord } from '../../src/server/log.js';

export const text = fc.string({ unit: 'binary', maxLength: 60 });

export const artifact: fc.Arbitrary<Artifact> = fc.record({
  name: fc.constantFrom('id_token', 'access_token', 'SAMLResponse'),
  kind: fc.constantFrom('jwt', 'saml'),
  value: text,
  direction: fc.constantFrom('request', 'response'),
}) as fc.Arbitrary<Artifact>;

/** A record as the request log writes it; `path` and `artifacts` as given (artifacts: none unless asked for). */
export function requestRecord(o: { path?: fc.Arbitrary<string>; artifacts?: boolean } = {}): fc.Arbitrary<RequestRecord> {
  return fc.record(
    {
      time: fc.date({ min: new Date('2000-01-01'), max: new Date('2099-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      method: fc.constantFrom('GET', 'POST', 'OPTIONS'),
      path: o.path ?? text,
      status: fc.integer({ min: 100, max: 599 }),
      ms: fc.double({ min: 0, max: 1e6, noNaN: true }).map((x) => Math.round(x * 10) / 10),
      traceId: fc.uuid(),
      aadsts: fc.integer({ min: 1, max: 9_999_999 }),
      rule: text,
      clientId: text,
      app: text,
      user: text,
      ...(o.artifacts ? { artifacts: fc.array(artifact, { minLength: 1, maxLength: 2 }) } : {}),
    },
    { requiredKeys: ['time', 'method', 'path', 'status', 'ms', 'traceId'] },
  ) as fc.Arbitrary<RequestRecord>;
}
