/** A resource server verifying the mock's tokens with jose, as it would verify Entra ID's. */
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { follow } from '../helpers/browserless.js';
import { ADA, API, TENANT_ID, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

interface Jwk {
  kty: string;
  use: string;
  kid: string;
  x5t: string;
  n: string;
  e: string;
  x5c: string[];
  issuer: string;
}

const idp = useMockEntra();
let issuer: string;
let tokenEndpoint: string;

beforeAll(() => {
  issuer = `${idp.url}/${TENANT_ID}/v2.0`;
  tokenEndpoint = `${idp.url}/${TENANT_ID}/oauth2/v2.0/token`;
});

const v2Keys = () => `${idp.url}/${TENANT_ID}/discovery/v2.0/keys`;
const v1Keys = () => `${idp.url}/common/discovery/keys`;
const b64url = (b: Buffer) => b.toString('base64url');

async function token(params: Record<string, string>): Promise<Record<string, string>> {
  const res = await fetch(tokenEndpoint, { method: 'POST', body: new URLSearchParams(params) });
  const body = (await res.json()) as Record<string, string>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function keysAt(url: string): Promise<Jwk[]> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return ((await res.json()) as { keys: Jwk[] }).keys;
}

/** Ada signs in to the web app (auth code + PKCE) and the app redeems the code with plain fetch. */
async function adaIdToken(nonce: string): Promise<string> {
  const verifier = b64url(randomBytes(32));
  const authorize = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
  authorize.search = new URLSearchParams({
    client_id: WEB.clientId,
    response_type: 'code',
    redirect_uri: WEB.redirectUri,
    scope: 'openid profile email',
    state: 'jose-test',
    nonce,
    login_hint: ADA.upn,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  }).toString();
  const done = await follow(authorize.href);
  const code = done.url.searchParams.get('code');
  expect(code, done.url.href).toBeTruthy();
  const body = await token({
    grant_type: 'authorization_code',
    client_id: WEB.clientId,
    client_secret: WEB.secret,
    code: code!,
    redirect_uri: WEB.redirectUri,
    code_verifier: verifier,
  });
  return body.id_token!;
}

describe('jose against the tenant JWKS', () => {
  it('verifies Ada’s ID token with the v2 issuer and the web app as audience', async () => {
    const nonce = b64url(randomBytes(16));
    const idToken = await adaIdToken(nonce);
    const { payload, protectedHeader } = await jwtVerify(idToken, createRemoteJWKSet(new URL(v2Keys())), {
      issuer,
      audience: WEB.clientId,
      algorithms: ['RS256'],
    });
    expect(payload.nonce).toBe(nonce);
    expect(payload.name).toBe(ADA.name);
    expect(payload.tid).toBe(TENANT_ID);
    expect(payload.ver).toBe('2.0');
    expect(protectedHeader.typ).toBe('JWT');
    expect(protectedHeader.alg).toBe('RS256');
    const kids = (await keysAt(v2Keys())).map((k) => k.kid);
    expect(kids).toContain(protectedHeader.kid);
  });

  it('verifies the v2 app token for the API with the API’s client ID as audience', async () => {
    const { access_token } = await token({
      grant_type: 'client_credentials',
      client_id: WEB.clientId,
      client_secret: WEB.secret,
      scope: `${API.uri}/.default`,
    });
    const { payload, protectedHeader } = await jwtVerify(access_token!, createRemoteJWKSet(new URL(v2Keys())), {
      issuer,
      audience: API.clientId,
      algorithms: ['RS256'],
    });
    expect(payload.ver).toBe('2.0');
    expect(payload.roles).toEqual([API.role]);
    expect(payload.azp).toBe(WEB.clientId);
    expect(protectedHeader.typ).toBe('JWT');
  });

  it('a v1 Graph token from a password grant has Entra\'s v1 claims, and like the real one a header nonce that makes it unverifiable by anyone but Graph', async () => {
    const { access_token } = await token({
      grant_type: 'password',
      client_id: WEB.clientId,
      client_secret: WEB.secret,
      username: ADA.upn,
      password: ADA.password,
      scope: 'openid profile offline_access User.Read',
    });
    const header = decodeProtectedHeader(access_token!);
    expect(header).toMatchObject({ typ: 'JWT', alg: 'RS256' });
    expect(header.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(header.x5t).toBe(header.kid);
    const payload = decodeJwt(access_token!);
    expect(payload).toMatchObject({ iss: `https://sts.windows.net/${TENANT_ID}/`, aud: 'https://graph.microsoft.com', ver: '1.0', upn: ADA.upn, unique_name: ADA.upn, appid: WEB.clientId, appidacr: '1', tid: TENANT_ID });
    expect(String(payload.scp).split(' ')).toContain('User.Read');
    // What every app that tries to validate a Graph token meets (IDX10511 in .NET).
    await expect(jwtVerify(access_token!, createRemoteJWKSet(new URL(v1Keys())))).rejects.toThrow(/signature verification failed/);
    // Graph itself accepts it.
    const me = await fetch(`${idp.url}/v1.0/me`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(me.status).toBe(200);
  });

  it('verifies a v1 ID token against the v1 keys and the sts.windows.net issuer; app-only Graph tokens carry the nonce too', async () => {
    const { access_token } = await token({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: 'https://graph.microsoft.com/.default' });
    expect(decodeProtectedHeader(access_token!).nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const v1 = await fetch(`${idp.url}/${TENANT_ID}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', client_id: WEB.clientId, client_secret: WEB.secret, username: ADA.upn, password: ADA.password, resource: 'api://sample-api' }) });
    const { id_token } = (await v1.json()) as { id_token: string };
    const { payload, protectedHeader } = await jwtVerify(id_token, createRemoteJWKSet(new URL(v1Keys())), { issuer: `https://sts.windows.net/${TENANT_ID}/`, audience: WEB.clientId, algorithms: ['RS256'] });
    expect(payload.ver).toBe('1.0');
    expect(protectedHeader.typ).toBe('JWT');
  });

  it.each([
    ['v2 tenant', v2Keys],
    ['v1 common', v1Keys],
  ])('%s keys are RSA signing keys whose kid is the SHA-1 thumbprint of their certificate', async (_name, url) => {
    const keys = await keysAt(url());
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(k.kty).toBe('RSA');
      expect(k.use).toBe('sig');
      expect(k.kid).toMatch(/^[A-Za-z0-9_-]{27}$/);
      expect(k.x5t).toBe(k.kid);
      expect(k.n).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(k.e).toBe('AQAB');
      expect(k.x5c).toHaveLength(1);
      const cert = new X509Certificate(Buffer.from(k.x5c[0]!, 'base64'));
      expect(b64url(createHash('sha1').update(cert.raw).digest())).toBe(k.kid);
      expect(cert.publicKey.export({ format: 'jwk' }).n).toBe(k.n);
      expect(typeof k.issuer).toBe('string');
    }
  });

  it('rejects a token whose header names a kid that is not in the JWKS', async () => {
    const { access_token } = await token({
      grant_type: 'client_credentials',
      client_id: WEB.clientId,
      client_secret: WEB.secret,
      scope: `${API.uri}/.default`,
    });
    const jwks = createRemoteJWKSet(new URL(v2Keys()));
    const options = { issuer, audience: API.clientId };
    await expect(jwtVerify(access_token!, jwks, options)).resolves.toMatchObject({ payload: { aud: API.clientId, roles: [API.role] } });

    const [, payload, signature] = access_token!.split('.');
    const header = { ...decodeProtectedHeader(access_token!), kid: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA' };
    const tampered = [b64url(Buffer.from(JSON.stringify(header))), payload, signature].join('.');
    await expect(jwtVerify(tampered, jwks, options)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });
});
