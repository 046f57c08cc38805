// Reference for cold start, idle RSS and sign-ins in bench/run.js: a bare oidc-provider 9, as
// little as can run the same flows. One client (sample-web's ID, secret and redirect URI), the
// mock's cached signing key, node:https with the mock's TLS key and certificate, Entra's paths for
// authorize, token and keys. Its sign-in step completes the login from login_hint at once (no
// page), and consent is granted as the login happens (loadExistingGrant), as the mock does; access
// tokens are RS256 JWTs for the resource the scopes name (Graph, or the API), so a redemption signs
// an ID token and an access token, as the mock's does.
// Usage: node bench/provider-server.js <port> <certsDir>
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { ADA, API, TENANT, WEB } from './ids.js';

const [port, certsDir] = [Number(process.argv[2]), process.argv[3]];
const pem = (name) => readFileSync(join(certsDir, name), 'utf8');
const origin = `https://localhost:${port}`;
const kid = createHash('sha1').update(new X509Certificate(pem('signing-1.pem')).raw).digest('base64url');
const jwk = { ...createPrivateKey(pem('signing-1-key.pem')).export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
const ACCOUNT = { id: 'b3c1f0a2-7d4e-4f6a-9b8c-0d1e2f3a4b5c', upn: ADA.upn, name: ADA.name };
const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const GRAPH = 'https://graph.microsoft.com';
const loginPath = new RegExp(`^/${TENANT}/login/([\\w-]+)$`);

const resources = {
  [GRAPH]: { scope: [...OIDC_SCOPES, 'User.Read'].join(' '), audience: GRAPH },
  [API.uri]: { scope: [...OIDC_SCOPES, `${API.uri}/${API.scope}`].join(' '), audience: API.clientId },
};

const provider = new Provider(`${origin}/${TENANT}/v2.0`, {
  clients: [{
    client_id: WEB.clientId,
    client_secret: WEB.secret,
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [WEB.redirectUri],
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['bench-provider-cookie-key'] },
  routes: {
    authorization: `/${TENANT}/oauth2/v2.0/authorize`,
    token: `/${TENANT}/oauth2/v2.0/token`,
    jwks: `/${TENANT}/discovery/v2.0/keys`,
  },
  scopes: OIDC_SCOPES,
  pkce: { required: () => false },
  ttl: { AccessToken: 3600, AuthorizationCode: 600, IdToken: 3600, Interaction: 3600, Session: 86400, Grant: 86400, RefreshToken: 86400 },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      useGrantedResource: () => true,
      defaultResource: (ctx) => (String(ctx.oidc.params?.scope ?? '').includes(`${API.uri}/`) ? API.uri : GRAPH),
      getResourceServerInfo: (_ctx, indicator) => ({ ...resources[indicator], accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
    },
  },
  loadExistingGrant: async (ctx) => {
    const accountId = ctx.oidc.session?.accountId;
    if (!accountId) return undefined;
    const clientId = ctx.oidc.client.clientId;
    const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
    const requested = String(ctx.oidc.params?.scope ?? '');
    grant.addOIDCScope(requested.split(' ').filter((s) => OIDC_SCOPES.includes(s)).join(' '));
    for (const indicator of Object.keys(ctx.oidc.resourceServers ?? {})) grant.addResourceScope(indicator, requested);
    await grant.save();
    return grant;
  },
  findAccount: async (_ctx, id) => (id === ACCOUNT.id ? {
    accountId: id,
    claims: async () => ({ sub: id, oid: id, tid: TENANT, name: ACCOUNT.name, preferred_username: ACCOUNT.upn }),
  } : undefined),
  claims: { openid: ['sub', 'oid', 'tid'], profile: ['name', 'preferred_username'] },
  interactions: { url: (_ctx, interaction) => `/${TENANT}/login/${interaction.uid}` },
});

// The sign-in step: login_hint names the one account, so the login completes without a page.
async function login(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (String(details.params.login_hint ?? '').toLowerCase() !== ACCOUNT.upn) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown login_hint');
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: ACCOUNT.id } }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
const server = createServer({ key: pem('tls-key.pem'), cert: pem('tls.pem') + pem('ca.pem') }, (req, res) => {
  if (req.method === 'GET' && loginPath.test(req.url)) {
    login(req, res).catch((err) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)));
    return;
  }
  callback(req, res);
});
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ msg: 'listening', url: origin })}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
