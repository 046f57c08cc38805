// Baseline for bench/run.js: the least a token server can do. node:https with the mock's TLS
// key/cert, a static discovery document, and POST /token signing an Entra-shaped RS256 JWT
// with jose (a KeyObject, one signature per request).
// Usage: node bench/baseline-server.js <port> <certsDir>
import { createHash, createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { SignJWT } from 'jose';

const [port, certsDir] = [Number(process.argv[2]), process.argv[3]];
const pem = (name) => readFileSync(join(certsDir, name), 'utf8');
const tenant = '4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36';
const clientId = '2f6c9e1a-8b3d-4c7e-a5f0-1d2e3f4a5b6c';
const apiId = '7c1e4b2d-5a6f-4d8e-b9c0-2a3b4c5d6e7f';
const origin = `https://localhost:${port}`;
const issuer = `${origin}/${tenant}/v2.0`;
const signingKey = createPrivateKey(pem('signing-1-key.pem'));
const kid = createHash('sha1').update(new X509Certificate(pem('signing-1.pem')).raw).digest('base64url');
const discovery = JSON.stringify({
  issuer,
  token_endpoint: `${origin}/${tenant}/oauth2/v2.0/token`,
  jwks_uri: `${origin}/${tenant}/discovery/v2.0/keys`,
  id_token_signing_alg_values_supported: ['RS256'],
});

async function token(body) {
  const form = new URLSearchParams(body);
  if (form.get('client_id') !== clientId || form.get('client_secret') !== 'sample-web-secret') return [401, { error: 'invalid_client' }];
  const now = Math.floor(Date.now() / 1000);
  const sub = randomUUID();
  const accessToken = await new SignJWT({
    aud: apiId, iss: issuer, iat: now, nbf: now, exp: now + 3599, aio: randomUUID(), azp: clientId, azpacr: '1',
    idtyp: 'app', oid: sub, rh: '0.AS306LmwfToqbXQ8sjhp9NnweSy1ab02OucAqO0xdbn8.', roles: ['Data.Read'], sub, tid: tenant,
    uti: randomUUID().slice(0, 22), ver: '2.0',
  }).setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid }).sign(signingKey);
  return [200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken }];
}

const server = createServer({ key: pem('tls-key.pem'), cert: pem('tls.pem') + pem('ca.pem') }, (req, res) => {
  const send = (status, json) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(json);
  if (req.method === 'GET') return send(200, discovery);
  let body = '';
  req.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => {
    token(body).then(([status, json]) => send(status, JSON.stringify(json)), (err) => send(500, JSON.stringify({ error: String(err) })));
  });
});
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ msg: 'listening', url: origin })}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
