// Child process of hosts.test.ts: the JumpServer guide's sign-in (reference guide 001) with the URLs
// of its endpoint table, as JumpServer's OIDC client makes it: authorize with state and nonce, the
// code redeemed with Client Secret Basic, then userinfo with the access token. Prints one JSON line.
import { followToRedirectUri } from './follow.mjs';

const { TENANT_ID, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USER } = process.env;
const T = {
  provider: `https://login.microsoftonline.com/${TENANT_ID}/v2.0`,
  authorize: `https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/authorize`,
  token: `https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/token`,
  jwks: `https://login.microsoftonline.com/${TENANT_ID}/discovery/v2.0/keys`,
  userinfo: 'https://graph.microsoft.com/oidc/userinfo',
  endSession: `https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/logout`,
};
const discovery = await (await fetch(`${T.provider}/.well-known/openid-configuration`)).json();
const jwks = await (await fetch(T.jwks)).json();

const auth = new URL(T.authorize);
auth.search = new URLSearchParams({ client_id: CLIENT_ID, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid profile email', state: 'js-state', nonce: 'js-nonce', login_hint: USER }).toString();
const cookies = new Map();
const url = await followToRedirectUri(auth, REDIRECT_URI, cookies);
const callback = url.href;
const basic = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64');
const tokenRes = await fetch(T.token, {
  method: 'POST',
  headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'authorization_code', code: url.searchParams.get('code') ?? '', redirect_uri: REDIRECT_URI }),
});
const tokens = await tokenRes.json();
const userinfoRes = await fetch(T.userinfo, { headers: { authorization: `Bearer ${tokens.access_token}` } });
const userinfo = await userinfoRes.json();
const logout = await fetch(T.endSession, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
process.stdout.write(`${JSON.stringify({ table: T, discovery, jwks, callback, tokenStatus: tokenRes.status, tokens, userinfoStatus: userinfoRes.status, userinfo, logoutStatus: logout.status })}\n`);
