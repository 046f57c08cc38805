/**
 * Issue 13's "done when": a failed sign-in of each kind the shipped scenarios produce appears in the
 * sign-in log with its code, reason and fix — in idp.signIns(), on the admin API, on the dashboard's
 * Sign-in logs page (list filtered by code, then the record's detail) and from Graph's
 * /v1.0/auditLogs/signIns. Each case triggers the failure the scenario's header names, the way the
 * header's client would on the wire; scenarios whose sign-ins succeed at Entra (the app is what fails:
 * clock skew, missing claims, groups overage, key rollover, untrusted TLS) are not failures here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { SignInRecord } from '../../src/index.js';
import { follow } from '../helpers/browserless.js';
import { ADA, API, GRACE, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { browse, pageCode, SAML_APP } from '../saml/support.js';

const idp = useMockEntra();

const token = (body: Record<string, string>) => fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(body) });
const ropc = (user: { upn: string; password: string }) =>
  token({ grant_type: 'password', client_id: WEB.clientId, client_secret: WEB.secret, username: user.upn, password: user.password, scope: 'User.Read' });
const appToken = () => token({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: `${API.uri}/.default` });
const codesOf = async (res: Response) => ((await res.json()) as { error_codes?: number[] }).error_codes ?? [];
const authorize = (params: Record<string, string>) => {
  const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile', ...params }).toString();
  return follow(u.toString());
};
const samlTestSignIn = (upn: string) => browse(`${idp.url}/api/signin/${SAML_APP.clientId}?${new URLSearchParams({ tenantId: TENANT_ID, login_hint: upn })}`);

interface Case {
  scenario: string;
  code: number;
  outcome: 'Failure' | 'Interrupted';
  /** Makes the failure happen and returns the codes the client saw (on the wire or on the page). */
  trigger: () => Promise<number[]>;
  user?: string;
}

const CASES: Case[] = [
  { scenario: 'conditional-access-blocked', code: 53003, outcome: 'Failure', user: GRACE.upn, trigger: async () => codesOf(await ropc(GRACE)) },
  { scenario: 'consent-required', code: 65001, outcome: 'Interrupted', user: ADA.upn, trigger: async () => codesOf(await ropc(ADA)) },
  { scenario: 'mfa-required', code: 50076, outcome: 'Interrupted', user: ADA.upn, trigger: async () => codesOf(await ropc(ADA)) },
  { scenario: 'user-not-assigned', code: 50105, outcome: 'Failure', user: ADA.upn, trigger: async () => codesOf(await ropc(ADA)) },
  { scenario: 'expired-client-secret', code: 7000222, outcome: 'Failure', trigger: async () => codesOf(await appToken()) },
  { scenario: 'invalid-client-secret', code: 7000215, outcome: 'Failure', trigger: async () => codesOf(await appToken()) },
  { scenario: 'unknown-identifier', code: 700016, outcome: 'Failure', trigger: async () => codesOf(await appToken()) },
  { scenario: 'throttled', code: 50196, outcome: 'Failure', trigger: async () => [...(await codesOf(await appToken())), ...(await codesOf(await appToken()))] },
  { scenario: 'outage', code: 90033, outcome: 'Failure', trigger: async () => codesOf(await appToken()) },
  {
    scenario: 'first-test-failure',
    code: 7000112,
    outcome: 'Failure',
    user: ADA.upn,
    trigger: async () => [Number(pageCode((await samlTestSignIn(ADA.upn)).html))],
  },
  {
    scenario: 'wrong-redirect-uri',
    code: 50011,
    outcome: 'Failure',
    trigger: async () => {
      const page = await authorize({ redirect_uri: 'https://localhost:9443/core/auth/openid/callback/', login_hint: ADA.upn });
      return [Number(/AADSTS(\d+)/.exec(page.html ?? '')?.[1])];
    },
  },
];

/** The dashboard's HTML as text a person reads: tags and line-break hints out, entities decoded. */
const readable = (html: string) =>
  html
    .replace(/<wbr>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

const seen = new Map<string, SignInRecord>();

afterAll(async () => {
  await idp.useScenario('scenarios/default.yaml');
});

describe('a failed sign-in of each kind in the shipped scenarios is in the sign-in log', () => {
  for (const c of CASES) {
    it(`scenarios/${c.scenario}.yaml: AADSTS${c.code} is one ${c.outcome} record with its reason and fix, in idp.signIns(), the admin API and the dashboard`, async () => {
      await idp.useScenario(`scenarios/${c.scenario}.yaml`);
      const before = new Set(idp.signIns().map((r) => r.id));
      expect(await c.trigger(), 'the client saw the scenario’s code').toContain(c.code);

      const fresh = idp.signIns({ code: c.code }).filter((r) => !before.has(r.id));
      expect(fresh, `one new record with ${c.code}`).toHaveLength(1);
      const r = fresh[0]!;
      expect(r.status.errorCode).toBe(c.code);
      expect(r.mockEntra.outcome).toBe(c.outcome);
      expect(r.status.failureReason, 'the catalogue’s text').toMatch(/\w{3,}/);
      expect(r.status.additionalDetails, 'what to fix').toMatch(/\w{3,}/);
      if (c.user) expect(r.userPrincipalName).toBe(c.user);
      seen.set(c.scenario, r);

      const admin = await fetch(`${idp.url}/_mock/signins?code=${c.code}`);
      expect(admin.status).toBe(200);
      const listed = ((await admin.json()) as { signIns: SignInRecord[] }).signIns.find((x) => x.id === r.id);
      expect(listed).toMatchObject({ status: { errorCode: c.code, failureReason: r.status.failureReason, additionalDetails: r.status.additionalDetails } });

      const list = readable(await (await fetch(`${idp.url}/signins?code=${c.code}`)).text());
      expect(list).toContain(String(c.code));
      const detail = await fetch(`${idp.url}/signins/${r.id}`);
      expect(detail.status).toBe(200);
      const page = readable(await detail.text());
      expect(page).toContain(String(c.code));
      expect(page).toContain(r.status.failureReason!.slice(0, 60));
      expect(page).toContain(r.status.additionalDetails!.slice(0, 60));
    });
  }

  it('Graph’s /v1.0/auditLogs/signIns returns each of those records, filtered by its code, to an app with AuditLog.Read.All', async () => {
    expect([...seen.keys()].sort(), 'every case above ran').toEqual(CASES.map((c) => c.scenario).sort());
    const base = (await idp.useScenario('scenarios/default.yaml'), idp.scenario);
    await idp.useScenario({ ...base, apps: base.apps.map((a) => (a.name === 'sample-web' ? { ...a, permissions: { ...a.permissions, 'Microsoft Graph': ['AuditLog.Read.All'] } } : a)) } as never);
    const graphToken = (await (
      await token({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: 'https://graph.microsoft.com/.default' })
    ).json()) as { access_token: string };
    for (const [scenario, r] of seen) {
      const filter = encodeURIComponent(`status/errorCode eq ${r.status.errorCode}`);
      const res = await fetch(`${idp.url}/v1.0/auditLogs/signIns?$filter=${filter}`, { headers: { authorization: `Bearer ${graphToken.access_token}` } });
      expect(res.status, scenario).toBe(200);
      const { value } = (await res.json()) as { value: SignInRecord[] };
      expect(value.find((x) => x.id === r.id), `${scenario}'s record in Graph`).toMatchObject({
        status: { errorCode: r.status.errorCode, failureReason: r.status.failureReason, additionalDetails: r.status.additionalDetails },
        correlationId: r.correlationId,
        createdDateTime: r.createdDateTime,
      });
    }
  });
});
