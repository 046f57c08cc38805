// The token answer of the client-credentials references (bench/baseline-server.js on node:https,
// bench/koa-token-server.js on koa): an Entra-shaped RS256 JWT signed with jose (a KeyObject, one
// signature per request). Both answer the same bytes, so the two differ only by their framework.
import { createHash, createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';

export const TENANT = '4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36';
const clientId = '2f6c9e1a-8b3d-4c7e-a5f0-1d2e3f4a5b6c';
const apiId = '7c1e4b2d-5a6f-4d8e-b9c0-2a3b4c5d6e7f';

export function tokenServer(port, certsDir) {
  const pem = (name) => readFileSync(join(certsDir, name), 'utf8');
  const origin = `https://localhost:${port}`;
  const issuer = `${origin}/${TENANT}/v2.0`;
  const signingKey = createPrivateKey(pem('signing-1-key.pem'));
  const kid = createHash('sha1').update(new X509Certificate(pem('signing-1.pem')).raw).digest('base64url');
  const discovery = JSON.stringify({
    issuer,
    token_endpoint: `${origin}/${TENANT}/oauth2/v2.0/token`,
    jwks_uri: `${origin}/${TENANT}/discovery/v2.0/keys`,
    id_token_signing_alg_values_supported: ['RS256'],
  });
  /** [status, JSON object] for a urlencoded client-credentials request body. */
  async function token(body) {
    const form = new URLSearchParams(body);
    if (form.get('client_id') !== clientId || form.get('client_secret') !== 'sample-web-secret') return [401, { error: 'invalid_client' }];
    const now = Math.floor(Date.now() / 1000);
    const sub = randomUUID();
    const accessToken = await new SignJWT({
      aud: apiId, iss: issuer, iat: now, nbf: now, exp: now + 3599, aio: randomUUID(), azp: clientId, azpacr: '1',
      idtyp: 'app', oid: sub, rh: '0.AS306LmwfToqbXQ8sjhp9NnweSy1ab02OucAqO0xdbn8.', roles: ['Data.Read'], sub, tid: TENANT,
      uti: randomUUID().slice(0, 22), ver: '2.0',
    }).setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid }).sign(signingKey);
    return [200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken }];
  }
  return { origin, discovery, token, tls: { key: pem('tls-key.pem'), cert: pem('tls.pem') + pem('ca.pem') } };
}
