/**
 * The request log writes its records a batch at a time: every request's JSON line reaches stdout
 * once, in order, and what idp.requests() answers is the same records, pending ones included.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MockEntra } from '../../src/index.js';
import type { RequestRecord } from '../../src/server/log.js';
import { startMock } from '../helpers/server.js';

describe('the JSON request log', () => {
  let idp: MockEntra;
  const written: string[] = [];
  beforeAll(async () => {
    idp = await startMock({ logFormat: 'json' });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await idp.stop();
  });

  it('prints each request once, in order, as the records idp.requests() answers (more than a batch, and a batch still pending)', async () => {
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.startsWith('{"time"')) {
        written.push(text);
        return true;
      }
      return write(chunk, ...(rest as []));
    }) as typeof process.stdout.write);
    const paths: string[] = [];
    // 300 requests: one full batch of 256 goes out at once, the rest waits for its timer or a reader.
    for (let i = 0; i < 300; i++) {
      const path = i % 3 === 0 ? `/${idp.tenantId}/v2.0/.well-known/openid-configuration` : i % 3 === 1 ? `/${idp.tenantId}/discovery/v2.0/keys` : `/nowhere/${i}/ü`;
      paths.push(path);
      const res = await fetch(`${idp.url}${path}`);
      await res.arrayBuffer();
    }
    const kept = idp.requests().filter((r) => !r.path.startsWith('/_mock'));
    expect(kept.map((r) => r.path)).toEqual(paths.slice(-kept.length).map((p) => new URL(`${idp.url}${p}`).pathname));
    expect(kept.length).toBeGreaterThanOrEqual(300);
    const printed: RequestRecord[] = written.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestRecord);
    // Everything kept was printed by the time it was read, each once, in the same order.
    const tail = printed.slice(-kept.length);
    expect(tail).toEqual(kept.map(({ artifacts: _a, ...r }) => r));
    expect(new Set(printed.map((r) => r.traceId)).size).toBe(printed.length);
    expect(kept.filter((r) => r.path.startsWith('/nowhere/')).every((r) => r.status === 404 && r.aadsts === 90023)).toBe(true);
  });
});
