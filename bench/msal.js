// The request shape of @azure/msal-node's auth code flow with PKCE, taken from msal-node itself:
// one real sign-in against the mock (getAuthCodeUrl, the redirects, acquireTokenByCode) through a
// network client that records what msal-node sends. The sign-in load then replays that shape with a
// fresh PKCE pair, state and client-request-id per sign-in, so the load generator does not spend
// its CPU inside msal-node (its token cache, its telemetry) while the servers are being measured.
import { ConfidentialClientApplication, CryptoProvider } from '@azure/msal-node';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ADA, API, TENANT, WEB } from './ids.js';

/**
 * Runs one msal-node sign-in against `base` (the mock) with `send` as its transport, following
 * the authorize redirects with `follow`; returns the templates to replay and msal's result.
 * send(method, url, { headers, body }) -> { status, headers, body (text) }.
 */
export async function recordMsalShape(base, send, follow) {
  let tokenRequest;
  const forward = async (method, url, options = {}) => {
    if (method === 'POST') {
      // The length is the recorded body's; each replayed body has its own.
      const headers = Object.fromEntries(Object.entries(options.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'content-length'));
      tokenRequest = { url, headers, body: options.body };
    }
    const res = await send(method, url, { headers: options.headers, body: options.body });
    return { status: res.status, headers: res.headers, body: JSON.parse(res.body) };
  };
  const app = new ConfidentialClientApplication({
    auth: { clientId: WEB.clientId, clientSecret: WEB.secret, authority: `${base}/${TENANT}`, knownAuthorities: [new URL(base).host] },
    system: { networkClient: { sendGetRequestAsync: (u, o) => forward('GET', u, o), sendPostRequestAsync: (u, o) => forward('POST', u, o) } },
  });
  const scopes = [`${API.uri}/${API.scope}`];
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const authorizeUrl = await app.getAuthCodeUrl({ scopes, redirectUri: WEB.redirectUri, loginHint: ADA.upn, codeChallenge: challenge, codeChallengeMethod: 'S256', state: 'bench-state' });
  const code = await follow(authorizeUrl);
  const result = await app.acquireTokenByCode({ code, scopes, redirectUri: WEB.redirectUri, codeVerifier: verifier });
  if (!tokenRequest) throw new Error('msal-node sent no token request');
  const authorize = new URL(authorizeUrl);
  return {
    result,
    authorizePath: authorize.pathname,
    authorizeParams: [...authorize.searchParams],
    tokenPath: new URL(tokenRequest.url).pathname,
    tokenHeaders: tokenRequest.headers,
    tokenParams: [...new URLSearchParams(tokenRequest.body)],
  };
}

const PER_REQUEST = new Set(['code_challenge', 'state', 'client-request-id']);

/** One sign-in's requests in that shape: its authorize URL, and the token request for its code. */
export function msalSignIn(shape, base) {
  const verifier = randomBytes(32).toString('base64url');
  const fresh = {
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    state: randomUUID(),
    'client-request-id': randomUUID(),
  };
  const query = new URLSearchParams(shape.authorizeParams.map(([k, v]) => [k, PER_REQUEST.has(k) ? fresh[k] : v]));
  return {
    authorizeUrl: `${base}${shape.authorizePath}?${query}`,
    state: fresh.state,
    token(code) {
      const body = new URLSearchParams(shape.tokenParams.map(([k, v]) => [k, k === 'code' ? code : k === 'code_verifier' ? verifier : v]));
      const headers = { ...shape.tokenHeaders, 'client-request-id': fresh['client-request-id'] };
      return { url: `${base}${shape.tokenPath}`, headers, body: body.toString() };
    },
  };
}
