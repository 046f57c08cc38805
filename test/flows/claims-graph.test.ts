import { ConfidentialClientApplication } from '@azure/msal-node';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADA, API, GRACE, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';
const idp = useMockEntra();

// The scenario builds on the default one as the server parsed it, so it is switched to once the server runs.
beforeAll(async () => {
  const base = idp.scenario;
  await idp.useScenario({
    ...base,
    tokens: { accessTokenLifetime: 600, idTokenLifetime: 900 },
    users: base.users.map((u) => (u.upn === ADA.upn ? { ...u, appRoles: { 'sample-api': ['Data.Read'] }, directoryRoles: ['Global Administrator'] } : u)),
    apps: base.apps.map((a) =>
      a.name === 'sample-web'
        ? { ...a, groupMembershipClaims: 'SecurityGroup', optionalClaims: { idToken: ['upn', 'family_name', 'given_name', 'auth_time'], accessToken: [] }, permissions: { ...a.permissions, 'Microsoft Graph': ['User.Read.All'] } }
        : a,
    ),
  } as never);
});

const web = () => new ConfidentialClientApplication({ auth: { clientId: WEB.clientId, clientSecret: WEB.secret, authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] } });
const ropc = (scopes: string[], upn = ADA.upn) => web().acquireTokenByUsernamePassword({ scopes, username: upn, password: ADA.password });
const graph = (path: string, token: string, init: RequestInit = {}) => fetch(`${idp.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });

describe('claims', () => {
  it('the ID token carries groups (object IDs), optional claims, and the scenario\'s lifetime', async () => {
    const r = await ropc(['openid', 'profile', 'User.Read']);
    const id = r!.idTokenClaims as Record<string, unknown>;
    const engineering = idp.directory.tenants[0]!.groups.find((g) => g.name === 'Engineering')!.id;
    expect(id.groups).toEqual([engineering]);
    expect(id).toMatchObject({ upn: ADA.upn, family_name: 'Lovelace', given_name: 'Ada' });
    expect(typeof id.auth_time).toBe('number');
    expect((id.exp as number) - (id.iat as number)).toBe(900 + 300);
  });

  it('a user access token for the API carries the user\'s app roles next to scp', async () => {
    const r = await ropc([`${API.uri}/${API.scope}`]);
    const at = decodeJwt(r!.accessToken);
    expect(at).toMatchObject({ aud: API.clientId, scp: API.scope, roles: ['Data.Read'] });
    expect((at.exp as number) - (at.iat as number)).toBe(600 + 300);
    const graceToken = decodeJwt((await ropc([`${API.uri}/${API.scope}`], GRACE.upn))!.accessToken);
    expect(graceToken.roles).toBeUndefined();
  });

  it('Graph tokens carry wids: the directory roles plus the default member role', async () => {
    const at = decodeJwt((await ropc(['User.Read']))!.accessToken);
    expect(at.wids).toEqual([GLOBAL_ADMIN, 'b79fbf4d-3ef9-4689-8143-76b194e85509']);
  });
});

describe('a small Microsoft Graph', () => {
  it('GET /v1.0/me with the token msal-node got for User.Read', async () => {
    const token = (await ropc(['User.Read']))!.accessToken;
    const res = await graph('/v1.0/me', token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ '@odata.context': `${idp.url}/v1.0/$metadata#users/$entity`, displayName: ADA.name, userPrincipalName: ADA.upn, givenName: 'Ada', surname: 'Lovelace', businessPhones: [] });
  });

  it('GET /v1.0/users/{upn} needs User.ReadBasic.All (403 Authorization_RequestDenied with User.Read); yourself is fine', async () => {
    const token = (await ropc(['User.Read']))!.accessToken;
    const other = await graph(`/v1.0/users/${encodeURIComponent(GRACE.upn)}`, token);
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ error: { code: 'Authorization_RequestDenied' } });
    expect((await graph(`/v1.0/users/${encodeURIComponent(ADA.upn)}`, token)).status).toBe(200);
    const wider = (await ropc(['User.ReadBasic.All']))!.accessToken;
    expect(await (await graph(`/v1.0/users/${encodeURIComponent(GRACE.upn)}`, wider)).json()).toMatchObject({ displayName: GRACE.name });
  });

  it('an app-only token with the User.Read.All role reads users; /me is a 400 for it', async () => {
    const token = (await web().acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }))!.accessToken;
    expect(decodeJwt(token).roles).toEqual(['User.Read.All']);
    expect((await graph(`/v1.0/users/${encodeURIComponent(GRACE.upn)}`, token)).status).toBe(200);
    expect((await graph('/v1.0/me', token)).status).toBe(400);
  });

  it('memberOf, getMemberObjects and getMemberGroups list the groups (and roles)', async () => {
    const token = (await ropc(['GroupMember.Read.All']))!.accessToken;
    const member = (await (await graph('/v1.0/me/memberOf', token)).json()) as { value: Array<Record<string, string>> };
    expect(member.value.map((v) => v['@odata.type'])).toEqual(['#microsoft.graph.group', '#microsoft.graph.directoryRole']);
    expect(member.value[0]!.displayName).toBe('Engineering');
    const objects = (await (await graph('/v1.0/me/getMemberObjects', token, { method: 'POST', body: JSON.stringify({ securityEnabledOnly: false }) })).json()) as { value: string[] };
    expect(objects.value).toHaveLength(2);
    const groups = (await (await graph('/v1.0/me/getMemberGroups', token, { method: 'POST', body: JSON.stringify({ securityEnabledOnly: true }) })).json()) as { value: string[] };
    expect(groups.value).toEqual([member.value[0]!.id]);
  });

  it('answers 401 InvalidAuthenticationToken without a token, or with a token for another API', async () => {
    expect((await fetch(`${idp.url}/v1.0/me`)).status).toBe(401);
    const apiToken = (await ropc([`${API.uri}/${API.scope}`]))!.accessToken;
    const res = await graph('/v1.0/me', apiToken);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
  });
});

describe('signing keys', () => {
  it('several keys are published; after a rollover tokens use the other kid and a JWKS-refreshing client keeps working', async () => {
    const jwks = (await (await fetch(`${idp.url}/${TENANT_ID}/discovery/v2.0/keys`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.length).toBeGreaterThanOrEqual(2);
    const before = decodeProtectedHeader((await web().acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`], skipCache: true }))!.accessToken).kid;
    const res = await fetch(`${idp.url}/_mock/keys/rotate`, { method: 'POST' });
    expect(res.status).toBe(200);
    const token = (await web().acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`], skipCache: true }))!.accessToken;
    const after = decodeProtectedHeader(token).kid;
    expect(after).not.toBe(before);
    expect(jwks.keys.map((k) => k.kid)).toContain(after);
    await expect(jwtVerify(token, createRemoteJWKSet(new URL(`${idp.url}/${TENANT_ID}/discovery/v2.0/keys`)), { audience: API.clientId })).resolves.toMatchObject({
      protectedHeader: { kid: after },
      payload: { aud: API.clientId, roles: [API.role] },
    });
    idp.rotateKeys();
  });
});
