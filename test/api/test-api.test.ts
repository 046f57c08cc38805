import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { defineScenario, EntraResponseError } from '../../src/index.js';
import { ADA, API, GRACE, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { startMock } from '../helpers/server.js';

const idp = useMockEntra();

const jwks = () => createRemoteJWKSet(new URL(`${idp.url}/${TENANT_ID}/discovery/v2.0/keys`));

describe('idp.signIn: the auth-code flow without a browser', () => {
  it('returns an ID token for ada that verifies against the JWKS, with name, preferred_username and email', async () => {
    const tokens = await idp.signIn({ user: ADA.upn, app: 'sample-web' });
    expect(tokens.token_type).toBe('Bearer');
    const { payload } = await jwtVerify(tokens.id_token!, jwks(), { issuer: idp.issuer, audience: WEB.clientId });
    expect(payload).toMatchObject({ name: ADA.name, preferred_username: ADA.upn, email: ADA.upn, tid: TENANT_ID, ver: '2.0' });
  });

  it('accepts the client ID instead of the app name and an API scope, giving an access token for that API', async () => {
    const tokens = await idp.signIn({ user: ADA.upn, app: WEB.clientId, scopes: ['openid', 'profile', `${API.uri}/${API.scope}`] });
    const { payload } = await jwtVerify(tokens.access_token, jwks(), { issuer: idp.issuer, audience: API.clientId });
    expect(payload.scp).toBe(API.scope);
    expect(payload.azp).toBe(WEB.clientId);
    expect(tokens.scope).toContain(`${API.uri}/${API.scope}`);
  });

  it('gives a refresh token when offline_access is asked for', async () => {
    const tokens = await idp.signIn({ user: GRACE.upn, app: 'sample-web', scopes: 'openid offline_access' });
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  it('signs in to a public client with PKCE and no secret', async () => {
    const tokens = await idp.signIn({ user: ADA.upn, app: 'sample-cli' });
    expect(decodeJwt(tokens.id_token!).aud).toBe('9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d');
  });

  it('passes the nonce through to the ID token', async () => {
    const tokens = await idp.signIn({ user: ADA.upn, app: 'sample-web', nonce: 'n-123' });
    expect(decodeJwt(tokens.id_token!).nonce).toBe('n-123');
  });

  it('rejects with the AADSTS code of the token endpoint when the secret is wrong', async () => {
    const err = await idp.signIn({ user: ADA.upn, app: 'sample-web', secret: 'nope' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EntraResponseError);
    expect(err).toMatchObject({ code: 7000215, error: 'invalid_client', status: 401, stage: 'token' });
  });

  it('rejects with the code a run-time rule injects at /authorize (redirected error)', async () => {
    idp.use({ when: { endpoint: 'authorize', user: ADA.upn }, then: { error: 65001 } }, { once: true });
    await expect(idp.signIn({ user: ADA.upn, app: 'sample-web' })).rejects.toMatchObject({ code: 65001, error: 'consent_required', stage: 'authorize' });
    // once: the next sign-in works
    await expect(idp.signIn({ user: ADA.upn, app: 'sample-web' })).resolves.toHaveProperty('id_token');
  });

  it('says which users and apps exist when the names are wrong', async () => {
    await expect(idp.signIn({ user: 'nobody@contoso.onmicrosoft.com', app: 'sample-web' })).rejects.toThrow(/no user 'nobody@contoso.onmicrosoft.com'.*ada@contoso/);
    await expect(idp.signIn({ user: ADA.upn, app: 'nope' })).rejects.toThrow(/no app 'nope'.*sample-web/);
    await expect(idp.signIn({ user: ADA.upn, app: 'sample-api' })).rejects.toThrow(/has no redirect URI/);
  });
});

describe('idp.clientCredentials', () => {
  it('returns an app-only token with the granted app role', async () => {
    const tokens = await idp.clientCredentials({ app: 'sample-web', scope: `${API.uri}/.default` });
    expect(tokens.scope).toBeUndefined();
    const { payload } = await jwtVerify(tokens.access_token, jwks(), { issuer: idp.issuer, audience: API.clientId });
    expect(payload).toMatchObject({ roles: [API.role], idtyp: 'app', azp: WEB.clientId });
  });

  it('rejects a scope that is not .default with AADSTS1002012', async () => {
    await expect(idp.clientCredentials({ app: 'sample-web', scope: `${API.uri}/${API.scope}` })).rejects.toMatchObject({ code: 1002012, error: 'invalid_scope' });
  });
});

describe('start() with defineScenario and scenario switches', () => {
  it('signs in on an inline scenario with auto sign-in off, through the password form', async () => {
    const other = await startMock({
      scenario: defineScenario({
        tenant: { id: '11111111-2222-4333-8444-555555555555', domain: 'fabrikam.onmicrosoft.com' },
        signIn: { autoSignIn: false },
        users: [{ upn: 'kim@fabrikam.onmicrosoft.com', name: 'Kim Akers', password: 'S3cret!', mail: 'kim@fabrikam.onmicrosoft.com' }],
        apps: [{ name: 'web', secrets: ['s'], redirectUris: ['http://localhost:3000/cb'] }],
      }),
    });
    try {
      const tokens = await other.signIn({ user: 'kim@fabrikam.onmicrosoft.com', app: 'web' });
      expect(decodeJwt(tokens.id_token!)).toMatchObject({ preferred_username: 'kim@fabrikam.onmicrosoft.com', email: 'kim@fabrikam.onmicrosoft.com' });
    } finally {
      await other.stop();
    }
  });

  it('follows useScenario: user-not-assigned ends on the AADSTS50105 page for ada', async () => {
    const other = await startMock({ scenario: 'scenarios/user-not-assigned.yaml' });
    try {
      await expect(other.signIn({ user: ADA.upn, app: 'sample-web' })).rejects.toMatchObject({ code: 50105, stage: 'authorize' });
      await expect(other.signIn({ user: GRACE.upn, app: 'sample-web' })).resolves.toHaveProperty('id_token');
      await other.useScenario('scenarios/default.yaml');
      await expect(other.signIn({ user: ADA.upn, app: 'sample-web' })).resolves.toHaveProperty('id_token');
    } finally {
      await other.stop();
    }
  });

  it('expired-client-secret: the default secret is the expired one, so the token request fails with AADSTS7000222', async () => {
    await idp.useScenario('scenarios/expired-client-secret.yaml');
    try {
      await expect(idp.signIn({ user: ADA.upn, app: 'sample-web' })).rejects.toMatchObject({ code: 7000222, status: 401 });
    } finally {
      await idp.useScenario('scenarios/default.yaml');
    }
  });
});
