/**
 * Interrupted sign-ins: a sign-in started (the sign-in page shown, a SAML request's page, a device
 * code issued) and not finished within its flow's lifetime is one Interrupted record; one finished
 * leaves none; MFA and consent interrupts are Interrupted, not Failure. The log turns expired
 * attempts into records when it is read, so the tests move the clock (Date only: the server's
 * timers keep running) instead of waiting an hour.
 */
import { ConfidentialClientApplication, PublicClientApplication } from '@azure/msal-node';
import { SAML } from '@node-saml/node-saml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SignInRecord } from '../../src/index.js';
import { pendingSignIn, SIGN_IN_LIMIT, SignInLog } from '../../src/server/signins.js';
import { follow } from '../helpers/browserless.js';
import { ADA, CLI, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { appCertPem, browse, SAML_APP, samlEndpoint } from '../saml/support.js';

const idp = useMockEntra();
const MINUTE = 60_000;

afterEach(async () => {
  vi.useRealTimers();
  await idp.useScenario('scenarios/default.yaml');
});

/** From now on, the server's clock reads `minutes` later than the real one. */
function later(minutes: number) {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + minutes * MINUTE });
}

function authorizeUrl(params: Record<string, string> = {}) {
  const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile', ...params }).toString();
  return u.toString();
}

const admin = async (query = ''): Promise<SignInRecord[]> => {
  const res = await fetch(`${idp.url}/_mock/signins${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { signIns: SignInRecord[] }).signIns;
};

/** What the log holds now; `since` leaves the records in it out (a test's own records are the rest). */
const logged = async () => new Set((await admin()).map((r) => r.id));
const since = (records: SignInRecord[], before: Set<string>) => records.filter((r) => !before.has(r.id));

describe('a sign-in started and abandoned', () => {
  it('is one Interrupted record once the flow has expired, on the admin API and in Graph, dated when it started', async () => {
    const started = Date.now();
    const before = await logged();
    const page = await follow(authorizeUrl({ state: 'left-open' }));
    expect(page.html, 'the sign-in page is shown').toContain('<form method="post"');
    // Still going: no record yet, whatever the filter.
    expect(since(await admin(), before)).toEqual([]);
    later(30);
    expect(since(await admin('?status=interrupted'), before)).toEqual([]);

    later(61);
    const interrupted = since(await admin('?status=interrupted'), before);
    expect(interrupted).toHaveLength(1);
    const [r] = interrupted;
    expect(r).toMatchObject({
      appId: WEB.clientId,
      appDisplayName: 'sample-web',
      clientAppUsed: 'Browser',
      isInteractive: true,
      status: { errorCode: 50089, failureReason: expect.stringContaining('Flow token expired') },
      authenticationDetails: [],
      mockEntra: { flow: 'authorizationCode', outcome: 'Interrupted', tenantId: TENANT_ID, rule: null },
    });
    expect(r!.status.additionalDetails).toMatch(/nobody finished the sign-in within the flow's lifetime \(60 minutes\)/);
    expect(r!.status.additionalDetails).toMatch(/submit the sign-in page, or send login_hint/);
    expect(Date.parse(r!.createdDateTime)).toBeLessThan(started + 60_000);
    expect(r!.mockEntra.request.ended.parameters).toMatchObject({ state: 'left-open', client_id: WEB.clientId });
    // Once: reading again does not add it twice.
    expect(since(await admin('?status=interrupted'), before)).toHaveLength(1);
    expect(idp.signIns({ status: 'interrupted', code: 50089 }).map((x) => x.id)).toContain(r!.id);

    // Graph's signIn resource carries the same status (errorCode, failureReason, additionalDetails).
    const base = idp.scenario;
    await idp.useScenario({ ...base, apps: base.apps.map((a) => (a.name === 'sample-web' ? { ...a, permissions: { ...a.permissions, 'Microsoft Graph': ['AuditLog.Read.All'] } } : a)) } as never);
    const cca = new ConfidentialClientApplication({ auth: { clientId: WEB.clientId, clientSecret: WEB.secret, authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] } });
    const token = (await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'], skipCache: true }))!.accessToken;
    const res = await fetch(`${idp.url}/v1.0/auditLogs/signIns?$filter=${encodeURIComponent('status/errorCode eq 50089')}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const graph = ((await res.json()) as { value: SignInRecord[] }).value.find((x) => x.id === r!.id);
    expect(graph?.status).toEqual(r!.status);
    expect(graph).toMatchObject({ appId: WEB.clientId, correlationId: r!.correlationId, createdDateTime: r!.createdDateTime });
  });

  it('a sign-in finished on the page leaves no Interrupted record, only its Success', async () => {
    const before = await logged();
    const picker = await follow(authorizeUrl());
    const action = /<form method="post" action="([^"]+)"/.exec(picker.html ?? '')?.[1];
    expect(action).toBeDefined();
    const done = await follow(new URL(action!, picker.url).toString(), { jar: picker.jar, method: 'POST', body: new URLSearchParams({ username: ADA.upn, password: ADA.password }) });
    expect(done.url.searchParams.get('code')).toMatch(/./);
    later(120);
    const mine = since(await admin(), before);
    expect(mine.map((r) => [r.mockEntra.outcome, r.userPrincipalName])).toEqual([['Success', ADA.upn]]);
  });

  it("a SAML AuthnRequest whose sign-in page nobody answers is Interrupted after the SAML flow's 15 minutes", async () => {
    const before = await logged();
    const sp = new SAML({ entryPoint: samlEndpoint(idp), issuer: SAML_APP.identifier, audience: SAML_APP.identifier, callbackUrl: SAML_APP.acs, idpCert: await appCertPem(idp), wantAssertionsSigned: true, wantAuthnResponseSigned: false });
    const answer = await browse(await sp.getAuthorizeUrlAsync('relay-abandoned', undefined, {}));
    expect(answer.status).toBe(200);
    expect(answer.samlResponse, 'the sign-in page, not a response').toBeUndefined();
    later(10);
    expect(since(await admin(), before)).toEqual([]);
    later(16);
    const [r, ...more] = since(await admin(), before);
    expect(more).toEqual([]);
    expect(r).toMatchObject({ appId: SAML_APP.clientId, resourceId: SAML_APP.clientId, status: { errorCode: 50089 }, mockEntra: { flow: 'samlSpInitiated', outcome: 'Interrupted' } });
    expect(r!.status.additionalDetails).toContain('(15 minutes)');
  });

  it('a device code nobody signs in with is Interrupted with 70020 once it expires; one signed in with is a Success only', async () => {
    const before = await logged();
    const issue = () => fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/devicecode`, { method: 'POST', body: new URLSearchParams({ client_id: CLI.clientId, scope: 'User.Read' }) });
    const left = (await (await issue()).json()) as { expires_in: number };
    expect(left.expires_in).toBeGreaterThan(60);

    // The other one, through MSAL, signed in at /devicelogin by a person.
    const pca = new PublicClientApplication({ auth: { clientId: CLI.clientId, authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] } });
    const result = await pca.acquireTokenByDeviceCode({
      scopes: ['User.Read'],
      deviceCodeCallback: (d) => {
        void (async () => {
          const login = await (await fetch(`${idp.url}/devicelogin`, { method: 'POST', body: new URLSearchParams({ otc: d.userCode }) })).text();
          const action = /<form method="post" action="([^"]+)"/.exec(login)![1]!;
          await fetch(new URL(action, idp.url), { method: 'POST', body: new URLSearchParams({ username: ADA.upn, password: ADA.password }) });
        })();
      },
    });
    expect(result?.account?.username).toBe(ADA.upn);
    expect(since(await admin(`?app=${CLI.clientId}`), before).map((r) => r.mockEntra.outcome)).toEqual(['Success']);

    later(left.expires_in / 60 + 1);
    const records = since(await admin(`?app=${CLI.clientId}`), before);
    expect(records.map((r) => [r.mockEntra.outcome, r.status.errorCode])).toEqual([['Success', 0], ['Interrupted', 70020]]);
    expect(records[1]).toMatchObject({ clientAppUsed: 'Mobile Apps and Desktop clients', mockEntra: { flow: 'deviceCode' }, status: { failureReason: expect.stringContaining('This device code has expired') } });
    expect(records[1]!.status.additionalDetails).toMatch(/nobody signed in with it at \/devicelogin/);
  });
});

describe('MFA and consent interrupts', () => {
  const ropc = (upn: string, password: string) =>
    new ConfidentialClientApplication({ auth: { clientId: WEB.clientId, clientSecret: WEB.secret, authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] } }).acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: upn, password });

  it.each([
    ['mfa-required', 50076, 'mfa'],
    ['consent-required', 65001, 'no-consent-password'],
  ])('%s: the rule that stops the sign-in makes an Interrupted record with its code (%i), not a Failure', async (name, code, rule) => {
    await idp.useScenario(`scenarios/${name}.yaml`);
    const err = await ropc(ADA.upn, ADA.password).then(() => undefined, (e: unknown) => e as { errorNo?: string });
    expect(String(err?.errorNo)).toBe(String(code));
    const [r] = await admin(`?user=${encodeURIComponent(ADA.upn)}&code=${code}&top=1`);
    expect(r).toMatchObject({ status: { errorCode: code }, mockEntra: { outcome: 'Interrupted', rule } });
    expect(await admin(`?status=interrupted&code=${code}&top=1`)).toEqual([r]);
    expect(await admin(`?status=failure&code=${code}`)).toEqual([]);
  });
});

describe('the pending list', () => {
  const record = (i: number, at: number): SignInRecord =>
    ({ id: `id-${i}`, createdDateTime: new Date(at + i).toISOString(), userPrincipalName: null, appId: null, appDisplayName: null, status: { errorCode: 50089 }, mockEntra: { outcome: 'Interrupted' } }) as unknown as SignInRecord;

  it(`holds at most ${SIGN_IN_LIMIT} started sign-ins, the oldest dropped first; expired ones become records, in date order`, () => {
    const log = new SignInLog();
    const at = Date.now();
    for (let i = 0; i < 3 * SIGN_IN_LIMIT; i++) log.add(pendingSignIn(record(i, at), `flow-${i}`, at + 60 * MINUTE));
    expect(log.pendingCount).toBe(SIGN_IN_LIMIT);
    expect(log.newest()).toEqual([]);
    later(61);
    expect(log.pendingCount).toBe(0);
    const ids = log.newest().map((r) => r.id);
    expect(ids).toHaveLength(SIGN_IN_LIMIT);
    // The newest started, newest first: the oldest 2,000 were dropped while pending.
    expect(ids[0]).toBe(`id-${3 * SIGN_IN_LIMIT - 1}`);
    expect(ids.at(-1)).toBe(`id-${2 * SIGN_IN_LIMIT}`);
  });
});
