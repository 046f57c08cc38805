/**
 * The sign-in log: one record per sign-in attempt, in Graph's signIn shape, read from idp.signIns(),
 * the admin API and Graph's /v1.0/auditLogs/signIns, after real sign-ins with real clients.
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { SignInRecord } from '../../src/index.js';
import { follow } from '../helpers/browserless.js';
import { ADA, API, CLI, GRACE, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { browse, pageCode, SAML_APP } from '../saml/support.js';

const idp = useMockEntra();

const webApp = () => new ConfidentialClientApplication({ auth: { clientId: WEB.clientId, clientSecret: WEB.secret, authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] } });
const ropc = (upn: string, password: string) => webApp().acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: upn, password });
const rejection = (p: Promise<unknown>) => p.then(() => { throw new Error('expected the call to fail'); }, (e: unknown) => e as { errorNo?: string });

function authorizeUrl(params: Record<string, string> = {}) {
  const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: 'openid profile', ...params }).toString();
  return u.toString();
}

/** A person on the sign-in page: the account picker, then the password typed. */
async function typePassword(password: string) {
  const picker = await follow(authorizeUrl());
  const action = /<form method="post" action="([^"]+)"/.exec(picker.html ?? '')?.[1];
  expect(action, 'the sign-in page has a form').toBeDefined();
  return follow(new URL(action!, picker.url).toString(), { jar: picker.jar, method: 'POST', body: new URLSearchParams({ username: ADA.upn, password }) });
}

const admin = async (query: string): Promise<SignInRecord[]> => {
  const res = await fetch(`${idp.url}/_mock/signins${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { signIns: SignInRecord[] }).signIns;
};

describe('sign-in log records', () => {
  it("a wrong password on the sign-in page is Ada's failed sign-in to sample-web with 50126, its reason and the fix", async () => {
    const page = await typePassword('not-her-password');
    expect(page.html).toContain('Your account or password is incorrect');
    const [r] = idp.signIns({ user: ADA.upn, app: 'sample-web', code: 50126 });
    expect(r).toMatchObject({
      userPrincipalName: ADA.upn,
      userDisplayName: ADA.name,
      appId: WEB.clientId,
      appDisplayName: 'sample-web',
      clientAppUsed: 'Browser',
      isInteractive: true,
      status: { errorCode: 50126, failureReason: 'Error validating credentials due to invalid username or password.' },
      authenticationDetails: [{ authenticationMethod: 'Password', succeeded: false }],
      mockEntra: { flow: 'authorizationCode', outcome: 'Failure', tenantId: TENANT_ID },
    });
    expect(r!.status.additionalDetails).toMatch(/user name or password is wrong/);
    // The request log now says so too (it answered 200 with a page).
    expect(idp.requests().find((q) => q.traceId === r!.id)).toMatchObject({ status: 200, aadsts: 50126, user: ADA.upn });
  });

  it('ROPC with a wrong password is a failure with 50126 from a desktop client, on the admin API', async () => {
    const err = await rejection(ropc(ADA.upn, 'wrong'));
    expect(String(err.errorNo)).toBe('50126');
    const [r] = await admin(`?user=${encodeURIComponent(ADA.upn)}&status=failure&code=50126&top=1`);
    expect(r).toMatchObject({ appDisplayName: 'sample-web', clientAppUsed: 'Mobile Apps and Desktop clients', status: { errorCode: 50126 }, mockEntra: { flow: 'ropc' } });
    expect(r!.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a Conditional Access rule (53003) is a failure naming the rule as the policy that blocked', async () => {
    await idp.useScenario('scenarios/conditional-access-blocked.yaml');
    try {
      const err = await rejection(ropc(GRACE.upn, GRACE.password));
      expect(String(err.errorNo)).toBe('53003');
    } finally {
      await idp.useScenario('scenarios/default.yaml');
    }
    const [r] = idp.signIns({ user: GRACE.upn, top: 1 });
    expect(r).toMatchObject({
      status: { errorCode: 53003, failureReason: expect.stringContaining('Access has been blocked by Conditional Access policies') },
      conditionalAccessStatus: 'failure',
      appliedConditionalAccessPolicies: [{ displayName: 'ca-block', result: 'failure', enforcedGrantControls: ['Block'] }],
      mockEntra: { outcome: 'Failure', rule: 'ca-block', ruleDescription: expect.stringMatching(/./) },
    });
    expect(r!.status.additionalDetails).toContain("Scenario rule 'ca-block'");
  });

  it('a successful auth code sign-in is one Success record from a browser, for all its requests', async () => {
    const before = idp.signIns().length;
    const done = await follow(authorizeUrl({ login_hint: ADA.upn }));
    const code = done.url.searchParams.get('code');
    expect(code).toMatch(/./);
    const res = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, client_id: WEB.clientId, client_secret: WEB.secret, redirect_uri: WEB.redirectUri, scope: 'openid profile' }),
    });
    expect(res.status).toBe(200);
    expect(idp.signIns().length).toBe(before + 1);
    expect(idp.signIns()[0]).toMatchObject({
      userPrincipalName: ADA.upn,
      appId: WEB.clientId,
      clientAppUsed: 'Browser',
      status: { errorCode: 0, failureReason: null },
      authenticationMethodsUsed: ['Password'],
      mockEntra: { flow: 'authorizationCode', outcome: 'Success' },
    });
  });

  it('client credentials is a Success for the service principal, from other clients, for the API asked for', async () => {
    const r = await webApp().acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`], skipCache: true });
    expect(r?.accessToken).toBeTruthy();
    expect(idp.signIns({ app: WEB.clientId, top: 1 })[0]).toMatchObject({
      userPrincipalName: null,
      clientAppUsed: 'Other clients',
      signInEventTypes: ['servicePrincipal'],
      servicePrincipalName: 'sample-web',
      resourceId: API.clientId,
      resourceDisplayName: 'sample-api',
      authenticationMethodsUsed: ['Client secret'],
      status: { errorCode: 0 },
      mockEntra: { flow: 'clientCredentials', outcome: 'Success' },
    });
  });

  it("a record read long after its request (records are built when first read) carries that answer's trace and correlation IDs, the parameters as sent, and reads the same twice", async () => {
    const res = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: 'not-the-secret', scope: `${API.uri}/.default` }),
    });
    expect(res.status).toBe(401);
    const answer = (await res.json()) as { error_codes: number[]; trace_id: string; correlation_id: string };
    expect(answer.error_codes).toEqual([7000215]);
    // Other sign-ins come and go first.
    for (let i = 0; i < 3; i++) await webApp().acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`], skipCache: true });
    const [r] = idp.signIns({ code: 7000215, top: 1 });
    expect(r).toMatchObject({
      id: answer.trace_id,
      correlationId: answer.correlation_id,
      appDisplayName: 'sample-web',
      authenticationDetails: [{ authenticationMethod: 'Client secret', succeeded: false, authenticationStepResultDetail: 'Invalid client credential' }],
      mockEntra: { flow: 'clientCredentials', outcome: 'Failure', traceId: answer.trace_id, request: { ended: { method: 'POST', parameters: { client_id: WEB.clientId, client_secret: '(redacted)', grant_type: 'client_credentials' } } } },
    });
    expect(idp.signIns({ code: 7000215, top: 1 })[0]).toEqual(r);
  });

  it('the admin API says what to send when a filter is malformed', async () => {
    const res = await fetch(`${idp.url}/_mock/signins?status=broken`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('success, failure or interrupted');
  });
});

describe("Graph's GET /v1.0/auditLogs/signIns", () => {
  const graphToken = async () => (await webApp().acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'], skipCache: true }))!.accessToken;
  const graph = (path: string, token: string) => fetch(`${idp.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  afterAll(async () => {
    await idp.useScenario('scenarios/default.yaml');
  });

  it('without AuditLog.Read.All the caller gets 403 Authentication_MSGraphPermissionMissing', async () => {
    const res = await graph('/v1.0/auditLogs/signIns', await graphToken());
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'Authentication_MSGraphPermissionMissing', message: 'Calling principal does not have required MSGraph permissions AuditLog.Read.All' } });
  });

  it('with the application permission, $filter and $top read the records newest first', async () => {
    const base = idp.scenario;
    await idp.useScenario({ ...base, apps: base.apps.map((a) => (a.name === 'sample-web' ? { ...a, permissions: { ...a.permissions, 'Microsoft Graph': ['AuditLog.Read.All'] } } : a)) } as never);
    await rejection(ropc(ADA.upn, 'wrong'));
    await ropc(GRACE.upn, GRACE.password);
    const token = await graphToken();
    const q = (filter: string, top?: number) => `/v1.0/auditLogs/signIns?$filter=${encodeURIComponent(filter)}${top ? `&$top=${top}` : ''}`;

    const failed = await graph(q(`userPrincipalName eq '${ADA.upn}' and status/errorCode eq 50126`), token);
    expect(failed.status).toBe(200);
    const body = (await failed.json()) as { '@odata.context': string; value: SignInRecord[] };
    expect(body['@odata.context']).toMatch(/\$metadata#auditLogs\/signIns$/);
    expect(body.value.length).toBeGreaterThan(0);
    expect(body.value.every((r) => r.userPrincipalName === ADA.upn && r.status.errorCode === 50126)).toBe(true);
    const times = body.value.map((r) => Date.parse(r.createdDateTime));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const grace = (await (await graph(q(`startsWith(userPrincipalName,'grace') and appId eq '${WEB.clientId}'`, 1), token)).json()) as { value: SignInRecord[] };
    expect(grace.value).toHaveLength(1);
    expect(grace.value[0]).toMatchObject({ userPrincipalName: GRACE.upn, status: { errorCode: 0 } });

    const future = (await (await graph(q('createdDateTime ge 2999-01-01T00:00:00Z'), token)).json()) as { value: SignInRecord[] };
    expect(future.value).toEqual([]);
    const since = (await (await graph(q(`createdDateTime ge ${new Date(Date.now() - 3600_000).toISOString()}`), token)).json()) as { value: SignInRecord[] };
    expect(since.value.length).toBeGreaterThan(1);

    const one = await graph(`/v1.0/auditLogs/signIns/${grace.value[0]!.id}`, token);
    expect(await one.json()).toMatchObject({ id: grace.value[0]!.id, userPrincipalName: GRACE.upn });
    expect((await graph('/v1.0/auditLogs/signIns/00000000-0000-0000-0000-000000000000', token)).status).toBe(404);

    const bad = await graph(q("userPrincipalName ne 'x'"), token);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BadRequest', message: expect.stringContaining('Invalid filter clause') } });
    expect((await graph('/v1.0/auditLogs/signIns?$top=5000', token)).status).toBe(400);
  });
});

describe('device code sign-ins', () => {
  const devicecode = (body: Record<string, string>) => fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/devicecode`, { method: 'POST', body: new URLSearchParams(body) });
  const poll = (device_code: string) => fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'device_code', client_id: CLI.clientId, device_code }) });

  it('a device code sign-in blocked at /devicelogin is one failed record, though the device gets the error on its next poll', async () => {
    idp.use({ name: 'block-grace-devices', when: { endpoint: 'authorize', app: 'sample-cli', user: GRACE.upn }, then: { error: 53003 } });
    const { device_code, user_code } = (await (await devicecode({ client_id: CLI.clientId, scope: 'User.Read' })).json()) as Record<string, string>;
    const login = await (await fetch(`${idp.url}/devicelogin`, { method: 'POST', body: new URLSearchParams({ otc: user_code! }) })).text();
    const action = /<form method="post" action="([^"]+)"/.exec(login)![1]!;
    const page = await (await fetch(new URL(action, idp.url), { method: 'POST', body: new URLSearchParams({ username: GRACE.upn, password: GRACE.password }) })).text();
    expect(page).toContain('AADSTS53003');
    const polled = (await (await poll(device_code!)).json()) as { error_codes: number[] };
    expect(polled.error_codes).toEqual([53003]);
    // Every record of the app with that code, whoever it names: the poll must not add a second.
    const records = idp.signIns({ app: CLI.clientId, code: 53003 });
    expect(records).toHaveLength(1);
    expect(records[0]!.userPrincipalName).toBe(GRACE.upn);
    expect(records[0]).toMatchObject({ mockEntra: { flow: 'deviceCode', outcome: 'Failure', rule: 'block-grace-devices' }, appliedConditionalAccessPolicies: [{ displayName: 'block-grace-devices' }] });
  });
});

describe('SAML sign-ins', () => {
  const testSignIn = (upn: string) => browse(`${idp.url}/api/signin/${SAML_APP.clientId}?${new URLSearchParams({ tenantId: TENANT_ID, login_hint: upn })}`);

  it("the portal's Test sign-in (IdP-initiated) is a Success for ada and a Failure with 50105 for grace, who is not assigned", async () => {
    expect((await testSignIn(ADA.upn)).samlResponse).toBeDefined();
    expect(idp.signIns({ user: ADA.upn, app: SAML_APP.clientId, top: 1 })[0]).toMatchObject({ status: { errorCode: 0 }, clientAppUsed: 'Browser', resourceId: SAML_APP.clientId, mockEntra: { flow: 'samlIdpInitiated', outcome: 'Success' } });
    expect(pageCode((await testSignIn(GRACE.upn)).html)).toBe('50105');
    const [r] = idp.signIns({ user: GRACE.upn, app: SAML_APP.clientId, top: 1 });
    expect(r).toMatchObject({ status: { errorCode: 50105, failureReason: expect.stringContaining('block users unless they are specifically granted') }, mockEntra: { flow: 'samlIdpInitiated', outcome: 'Failure' } });
    expect(r!.status.additionalDetails).toMatch(/Assign the user/);
  });
});
