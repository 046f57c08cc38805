/**
 * Single logout as Entra does it (reference §10.4, §6): signing out of one app ends the sign-in
 * session and reaches every other app the user signed in to in it, through the browser
 * (front-channel): each SAML app's Logout URL gets a signed LogoutRequest (HTTP-Redirect, with
 * the NameID and SessionIndex its assertion carried), each OIDC app's front-channel logout URL
 * gets `iss` and `sid`. Entra does this from a page with hidden iframes and then sends the browser
 * on (to the originator's Logout URL with the LogoutResponse, or the post_logout_redirect_uri)
 * (unverified: the markup and the wait are the mock's). Used by the SAML front-end (a
 * LogoutRequest) and by OIDC sign-out (oidc/shape.ts).
 *
 * Where public reports of Entra's "broadcast" differ, the mock does what a correct IdP does, so an
 * SP's own tests prove its handling of a correct message (unverified whether Entra still differs):
 * reports (azure-docs issues 29978, 41409, 2019) show broadcast LogoutRequests whose NameID has no
 * Format and another value than the assertion's — the mock sends the assertion's NameID and
 * Format; reports (19955, 41237) show Entra refusing the LogoutResponse an SP sends back to a
 * broadcast, and telling the originator too — the mock acknowledges the answer (it arrives in a
 * hidden frame) and leaves the originator out.
 */
import { createSign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { Context } from 'koa';
import type { App } from '../directory/model.js';
import { EntraError } from '../entra/errors.js';
import { errorUri, type Origins, v1Issuer, v2Issuer } from '../entra/urls.js';
import type { SigningKey } from '../keys/store.js';
import { clearSso, endProviderSession, type SsoSession } from '../server/session.js';
import type { Transaction } from '../server/transaction.js';
import { esc, layout } from '../ui/pages.js';
import type { LogoutRequestInfo } from './request.js';
import { buildLogoutRequest, buildLogoutResponse } from './response.js';
import { appCerts, SIG_ALGS } from './signing.js';
import { childElements } from './xml.js';

/**
 * How long the sign-out page waits for the apps' frames before it moves on regardless: an app that
 * does not answer must not keep the user on the page (Entra's wait (unverified)).
 */
export const FRONT_CHANNEL_WAIT_MS = 5000;

/**
 * A SAML message for the HTTP-Redirect binding, signed as the binding signs: over
 * "SAMLRequest|SAMLResponse=…&RelayState=…&SigAlg=…" exactly as sent, with the app's certificate.
 */
export function signedRedirect(target: string, param: 'SAMLRequest' | 'SAMLResponse', xml: string, relayState: string | undefined, key: SigningKey, algorithm: 'sha256' | 'sha1'): string {
  const query = new URLSearchParams({ [param]: deflateRawSync(Buffer.from(xml)).toString('base64'), ...(relayState !== undefined ? { RelayState: relayState } : {}) });
  query.set('SigAlg', SIG_ALGS[algorithm]);
  const signature = createSign(algorithm === 'sha1' ? 'RSA-SHA1' : 'RSA-SHA256').update(query.toString()).sign(key.privateKey, 'base64');
  query.set('Signature', signature);
  return `${target}${target.includes('?') ? '&' : '?'}${query}`;
}

/** The frames of the sign-out page: one URL per other app of the ended session that has somewhere to be told. */
async function frontChannelUrls(tx: Transaction, ended: SsoSession, except: App | undefined): Promise<string[]> {
  const tenant = tx.tenant!;
  const urls: string[] = [];
  for (const p of ended.apps) {
    if (p.app === except?.clientId) continue;
    const app = tenant.apps.find((a) => a.clientId === p.app);
    if (!app) continue; // not in this scenario (any more)
    if (p.kind === 'saml') {
      const target = app.saml?.logoutUrl;
      if (!target) continue; // an app without a Logout URL cannot be told (as in Entra)
      const xml = buildLogoutRequest(tenant, target, { value: p.nameId, format: p.format }, p.sessionIndex);
      tx.artifacts.push({ name: 'SAMLRequest', kind: 'saml', value: xml, direction: 'response' });
      const { active } = await appCerts(tx.runtime, tx.world.keys.certsDir, app);
      urls.push(signedRedirect(target, 'SAMLRequest', xml, undefined, active, app.saml!.signing.algorithm));
    } else if (app.frontchannelLogoutUrl) {
      const u = new URL(app.frontchannelLogoutUrl);
      u.searchParams.set('iss', p.v === 1 ? v1Issuer(tenant.id) : v2Issuer(tx.world.origin, tenant.id));
      u.searchParams.set('sid', p.sid);
      urls.push(u.toString());
    }
  }
  return urls;
}

/** JSON inside a script element: `<` escaped, so no value can close the element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

/**
 * The sign-out page: a hidden iframe per app, then the browser goes on to `next` once every frame
 * loaded (or after FRONT_CHANNEL_WAIT_MS). Without script, a link does it.
 */
export function frontChannelPage(urls: string[], next: string): string {
  const frames = urls.map((u) => `<iframe src="${esc(u)}" title="Signing out of an application" onload="mockEntraFrameDone()"></iframe>`).join('');
  const script = `<script>(function(){var left=${urls.length},next=${scriptJson(next)},gone=false;function go(){if(!gone){gone=true;location.replace(next);}}window.mockEntraFrameDone=function(){if(--left<=0)go();};setTimeout(go,${FRONT_CHANNEL_WAIT_MS});})();</script>`;
  const body = `<h1>Signing you out</h1><p>Signing you out of the other applications you used in this session. This takes a moment; you are sent on when it is done.</p><p><noscript><a href="${esc(next)}">Continue</a></noscript></p>${script}<div hidden>${frames}</div>`;
  return layout('Sign out', body);
}

/**
 * After the session ended: the other apps get the front-channel page, which then moves on to
 * `next`; with no app to tell, the browser goes to `next` at once (a plain redirect, unless the
 * response already is one: the provider's 303 after OIDC sign-out stays as it was).
 */
export async function finishSingleLogout(ctx: Context, tx: Transaction, ended: SsoSession | undefined, except: App | undefined, next: string, o: { redirected?: boolean } = {}): Promise<void> {
  const urls = ended ? await frontChannelUrls(tx, ended, except) : [];
  if (urls.length === 0) {
    if (!o.redirected) ctx.redirect(next);
    return;
  }
  ctx.status = 200;
  ctx.remove('Location');
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store, no-cache');
  ctx.body = frontChannelPage(urls, next);
}

/**
 * SP-initiated logout, the request already verified: end the session (ours and the OIDC
 * provider's), tell the other apps, then the LogoutResponse (Success, signed HTTP-Redirect) to
 * the app's Logout URL. Entra ignores the NameID (reference §10.4): a request for a session that
 * is gone, or someone else's NameID, still ends whatever session the browser has and is answered
 * with Success (unverified: SAML lets an IdP answer either way; SPs treat Success as signed out).
 * An app without a Logout URL cannot get its answer: the user is signed out all the same, and
 * Entra's error page says what to register (AADSTS500113 (unverified)).
 */
export async function samlLogout(ctx: Context, tx: Transaction, app: App, request: LogoutRequestInfo, relayState: string | undefined, origin: Origins): Promise<void> {
  const tenant = tx.tenant!;
  const ended = clearSso(ctx, tenant);
  await endProviderSession(ctx, tx);
  const target = app.saml!.logoutUrl;
  let next: string;
  if (target) {
    const xml = buildLogoutResponse(origin, tenant, target, request.id);
    tx.artifacts.push({ name: 'SAMLResponse', kind: 'saml', value: xml, direction: 'response' });
    const { active } = await appCerts(tx.runtime, tx.world.keys.certsDir, app);
    next = signedRedirect(target, 'SAMLResponse', xml, relayState, active, app.saml!.signing.algorithm);
  } else {
    const noLogoutUrl = new EntraError(500113);
    if (!ended || ended.apps.every((p) => p.app === app.clientId)) throw noLogoutUrl;
    // The other apps are still told; the browser then ends on the error's lookup page.
    next = errorUri(origin.login, noLogoutUrl.code);
  }
  await finishSingleLogout(ctx, tx, ended, app, next);
}

/** What the mock reads from a LogoutResponse an app sent back (to a LogoutRequest of single logout). */
export interface LogoutResponseInfo {
  issuer: string;
  inResponseTo?: string;
  status?: string;
}

export function readLogoutResponse(doc: Document): LogoutResponseInfo {
  const root = doc.documentElement;
  const invalid = (detail: string) => new EntraError(75005, { params: { detail } });
  if (root.localName !== 'LogoutResponse') throw invalid(`Expected a LogoutResponse, got '${root.localName}'.`);
  const children = childElements(root);
  const issuer = children.find((c) => c.localName === 'Issuer')?.textContent?.trim();
  if (!issuer) throw invalid("The LogoutResponse has no 'Issuer' element.");
  const status = children.find((c) => c.localName === 'Status');
  const code = status ? childElements(status).find((c) => c.localName === 'StatusCode')?.getAttribute('Value') : undefined;
  return { issuer, inResponseTo: root.getAttribute('InResponseTo') ?? undefined, status: code ?? undefined };
}

/**
 * An app's LogoutResponse, arriving in a frame of the sign-out page: nothing more to do. The
 * answer is plain text, so no page of ours needs to be framable.
 */
export function acknowledgeLogoutResponse(ctx: Context): void {
  ctx.status = 200;
  ctx.type = 'text/plain; charset=utf-8';
  ctx.set('Cache-Control', 'no-store, no-cache');
  ctx.body = 'Signed out.';
}
