import { createHash, X509Certificate } from 'node:crypto';
import { ConfidentialClientApplication, ServerError } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADA, API, TENANT_ID, WEB } from '../helpers/ids.js';
import { keyAndCertificate } from '../helpers/credentials.js';
import { useMockEntra } from '../helpers/mock.js';

const DAEMON = '6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d';
const idp = useMockEntra();
let certPem: string;
let keyPem: string;
let otherKeyPem: string;

// The daemon's certificate is made here, so the scenario is switched to once the server runs.
beforeAll(async () => {
  const [daemon, other] = await Promise.all([keyAndCertificate('daemon'), keyAndCertificate('someone else')]);
  ({ certPem, keyPem } = daemon);
  otherKeyPem = other.keyPem;
  const base = idp.scenario;
  await idp.useScenario({
    ...base,
    apps: [
      // sample-api becomes a middle tier: it has a secret and calls Graph on the user's behalf.
      ...base.apps.map((a) => (a.name === 'sample-api' ? { ...a, secrets: ['sample-api-secret'] } : a)),
      { name: 'daemon', clientId: DAEMON, certificates: [certPem], permissions: { 'sample-api': ['Data.Read'] } },
    ],
  } as never);
});

const authority = () => ({ authority: `${idp.url}/${TENANT_ID}`, knownAuthorities: [new URL(idp.url).host] });
const thumbprints = () => {
  const raw = new X509Certificate(certPem).raw;
  return { sha1: createHash('sha1').update(raw).digest('hex'), sha256: createHash('sha256').update(raw).digest('hex') };
};

describe('certificate credentials', () => {
  it('msal-node with a SHA-256 thumbprint (PS256, x5t#S256) gets an app token with azpacr 2', async () => {
    const app = new ConfidentialClientApplication({ auth: { clientId: DAEMON, clientCertificate: { thumbprintSha256: thumbprints().sha256, privateKey: keyPem }, ...authority() } });
    const result = await app.acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] });
    expect(decodeJwt(result!.accessToken)).toMatchObject({ aud: API.clientId, azp: DAEMON, azpacr: '2', roles: [API.role], idtyp: 'app' });
  });

  it('msal-node with a SHA-1 thumbprint (RS256, x5t) works too', async () => {
    const app = new ConfidentialClientApplication({ auth: { clientId: DAEMON, clientCertificate: { thumbprint: thumbprints().sha1, privateKey: keyPem }, ...authority() } });
    const result = await app.acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] });
    expect(decodeJwt(result!.accessToken).azpacr).toBe('2');
  });

  it('an assertion signed by another key is invalid_client AADSTS700027', async () => {
    const app = new ConfidentialClientApplication({ auth: { clientId: DAEMON, clientCertificate: { thumbprintSha256: thumbprints().sha256, privateKey: otherKeyPem }, ...authority() } });
    const err = (await app.acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }).catch((e: unknown) => e)) as ServerError;
    expect(err).toBeInstanceOf(ServerError);
    expect(err.errorCode).toBe('invalid_client');
    expect(String(err.errorNo)).toBe('700027');
    expect(err.status).toBe(401);
  });

  it('a certificate not registered on the app is AADSTS700027 "The key was not found."', async () => {
    const app = new ConfidentialClientApplication({ auth: { clientId: DAEMON, clientCertificate: { thumbprint: 'ab'.repeat(20), privateKey: keyPem }, ...authority() } });
    const err = (await app.acquireTokenByClientCredential({ scopes: [`${API.uri}/.default`] }).catch((e: unknown) => e)) as ServerError;
    expect(String(err.errorNo)).toBe('700027');
    expect(err.errorMessage).toContain('The key was not found.');
  });
});

describe('on-behalf-of', () => {
  async function userTokenForApi(): Promise<string> {
    const web = new ConfidentialClientApplication({ auth: { clientId: WEB.clientId, clientSecret: WEB.secret, ...authority() } });
    const r = await web.acquireTokenByUsernamePassword({ scopes: [`${API.uri}/${API.scope}`], username: ADA.upn, password: ADA.password });
    return r!.accessToken;
  }
  const api = () => new ConfidentialClientApplication({ auth: { clientId: API.clientId, clientSecret: 'sample-api-secret', ...authority() } });

  it('the API trades the user token for a Graph token for the same user', async () => {
    const incoming = await userTokenForApi();
    const result = await api().acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: ['User.Read'] });
    const claims = decodeJwt(result!.accessToken);
    expect(claims).toMatchObject({ aud: 'https://graph.microsoft.com', appid: API.clientId, upn: ADA.upn, oid: decodeJwt(incoming).oid });
    expect(String(claims.scp)).toContain('User.Read');
  });

  it('an assertion for another audience is invalid_grant AADSTS50013', async () => {
    const web = new ConfidentialClientApplication({ auth: { clientId: WEB.clientId, clientSecret: WEB.secret, ...authority() } });
    const graphToken = (await web.acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: ADA.upn, password: ADA.password }))!.accessToken;
    const err = (await api().acquireTokenOnBehalfOf({ oboAssertion: graphToken, scopes: ['User.Read'] }).catch((e: unknown) => e)) as ServerError;
    expect(err.errorCode).toBe('invalid_grant');
    expect(String(err.errorNo)).toBe('50013');
    expect(err.errorMessage).toContain('Assertion audience does not match');
  });

  it('an expired assertion is AADSTS500133', async () => {
    idp.use({ when: { endpoint: 'token', app: 'sample-web' }, then: { clockSkewSeconds: -7200 } }, { once: true });
    const expired = await userTokenForApi();
    const err = (await api().acquireTokenOnBehalfOf({ oboAssertion: expired, scopes: ['User.Read'] }).catch((e: unknown) => e)) as ServerError;
    expect(String(err.errorNo)).toBe('500133');
  });

  it('a forged assertion is AADSTS50013', async () => {
    const incoming = await userTokenForApi();
    const [h, p] = incoming.split('.');
    const forged = `${h}.${p}.${Buffer.from('not a signature').toString('base64url')}`;
    const err = (await api().acquireTokenOnBehalfOf({ oboAssertion: forged, scopes: ['User.Read'] }).catch((e: unknown) => e)) as ServerError;
    expect(String(err.errorNo)).toBe('50013');
  });
});
