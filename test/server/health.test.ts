/**
 * GET /health: what a container's HEALTHCHECK, a CI wait loop or a script asks — unauthenticated,
 * JSON (status, scenario, uptime, version), outside the fault rules and the request log.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useMockEntra } from '../helpers/mock.js';

const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const idp = useMockEntra({ scenario: 'scenarios/first-test-failure.yaml', adminToken: 'health-test-token' });

describe('GET /health', () => {
  it('answers without the admin token: status ok, the scenario by name, uptime in seconds, the version', async () => {
    const res = await fetch(`${idp.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ status: 'ok', scenario: 'first-test-failure', uptime: expect.any(Number), version: VERSION });
    expect(Number.isInteger(body.uptime) && (body.uptime as number) >= 0).toBe(true);
    // The admin API next to it still wants the token.
    expect((await fetch(`${idp.url}/_mock/scenario`)).status).toBe(401);
  });

  it('is not faulted by a rule for every endpoint, and stays out of the request log', async () => {
    idp.use({ then: { status: 503 } });
    expect((await fetch(`${idp.url}/${idp.tenantId}/v2.0/.well-known/openid-configuration`)).status).toBe(503);
    const res = await fetch(`${idp.url}/health`);
    expect(res.status).toBe(200);
    expect(idp.requests().some((r) => r.path.includes('openid-configuration'))).toBe(true);
    expect(idp.requests().some((r) => r.path === '/health')).toBe(false);
  });

  it('names the scenario a switch put in force', async () => {
    await idp.useScenario('scenarios/clock-skew.yaml');
    try {
      expect(((await (await fetch(`${idp.url}/health`)).json()) as { scenario: string }).scenario).toBe('clock-skew');
    } finally {
      await idp.useScenario('scenarios/first-test-failure.yaml');
    }
  });
});
