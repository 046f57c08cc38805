// Child process of hosts.test.ts: msal-node exactly as an app configures it for Entra (default
// authority, no knownAuthorities, instance discovery on), run where /etc/hosts maps Microsoft's names
// to the mock. Prints one JSON line with what it got.
import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import { followToRedirectUri } from './follow.mjs';

const { TENANT_ID, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USER } = process.env;
const app = new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, authority: `https://login.microsoftonline.com/${TENANT_ID}` } });

const appOnly = await app.acquireTokenByClientCredential({ scopes: ['api://sample-api/.default'] });

// The auth-code flow, the browser's part done with fetch: login_hint signs the user in without a page.
const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
const authorizeUrl = await app.getAuthCodeUrl({ scopes: ['openid', 'profile', 'email'], redirectUri: REDIRECT_URI, loginHint: USER, codeChallenge: challenge, codeChallengeMethod: 'S256' });
const url = await followToRedirectUri(authorizeUrl, REDIRECT_URI);
const code = url.searchParams.get('code');
if (!code) throw new Error(`no code in ${url.href}`);
const user = await app.acquireTokenByCode({ code, scopes: ['openid', 'profile', 'email'], redirectUri: REDIRECT_URI, codeVerifier: verifier });

process.stdout.write(`${JSON.stringify({ appOnly: appOnly.accessToken, authorizeUrl, idToken: user.idToken, accessToken: user.accessToken, username: user.account?.username, environment: user.account?.environment })}\n`);
