// Child process of hosts.test.ts: msal-node exactly as an app configures it for Entra (default
// authority, no knownAuthorities, instance discovery on), run where /etc/hosts maps Microsoft's names
// to the mock. Prints one JSON line with what it got.
import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';

const { TENANT_ID, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USER } = process.env;
const app = new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, authority: `https://login.microsoftonline.com/${TENANT_ID}` } });

const appOnly = await app.acquireTokenByClientCredential({ scopes: ['api://sample-api/.default'] });

// The auth-code flow, the browser's part done with fetch: login_hint signs the user in without a page.
const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
let url = new URL(await app.getAuthCodeUrl({ scopes: ['openid', 'profile', 'email'], redirectUri: REDIRECT_URI, loginHint: USER, codeChallenge: challenge, codeChallengeMethod: 'S256' }));
const authorizeUrl = url.href;
const cookies = new Map();
for (let hop = 0; hop < 10 && !url.href.startsWith(REDIRECT_URI); hop++) {
  const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
  const location = res.headers.get('location');
  if (!location) throw new Error(`authorize stopped at ${url.href} with HTTP ${res.status}`);
  url = new URL(location, url);
}
const code = url.searchParams.get('code');
if (!code) throw new Error(`no code in ${url.href}`);
const user = await app.acquireTokenByCode({ code, scopes: ['openid', 'profile', 'email'], redirectUri: REDIRECT_URI, codeVerifier: verifier });

process.stdout.write(`${JSON.stringify({ appOnly: appOnly.accessToken, authorizeUrl, idToken: user.idToken, accessToken: user.accessToken, username: user.account?.username, environment: user.account?.environment })}\n`);
