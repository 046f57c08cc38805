/**
 * Sign-in interactions: login_hint auto sign-in (CI needs no browser), single sign-on, the account
 * picker and the password form. Each says once who signed in (tx.identify), which evaluates the
 * user-scoped fault rules for them.
 */
import type { Context } from 'koa';
import type { Tenant, User } from '../directory/model.js';
import { findApp, findUser, isAssigned } from '../directory/lookup.js';
import { SIGN_IN_PAGE_TEXT } from '../entra/aadsts.js';
import { EntraError } from '../entra/errors.js';
import type { IdentifiedBy } from '../server/events.js';
import { readSso, writeSso } from '../server/session.js';
import type { Transaction } from '../server/transaction.js';
import { loginPage } from '../ui/pages.js';
import type { Engine } from './provider.js';

type Details = Awaited<ReturnType<Engine['interactionDetails']>>;
type Session = Awaited<ReturnType<Engine['Session']['get']>>;


function wants(details: Details, prompt: string): boolean {
  return String(details.params.prompt ?? '').split(' ').includes(prompt);
}

/** Who signs in without a page: the login_hint's user (auto sign-in), else the single sign-on session's; undefined: the page. */
function signsInWithoutPage(ctx: Context, tenant: Tenant, loginHint: string | undefined, prompts: string[]): { user: User; by: IdentifiedBy } | undefined {
  if (prompts.includes('login') || prompts.includes('select_account')) return undefined;
  const hinted = findUser(tenant, loginHint);
  if (hinted && tenant.autoSignIn) return { user: hinted, by: 'login_hint' };
  // Single sign-on: signed in already (another app, SAML too) and no one else asked for.
  const sso = readSso(ctx, tenant);
  if (sso && (!hinted || hinted.id === sso.user.id)) return { user: sso.user, by: 'session' };
  return undefined;
}

/** The user signed in: say so once (user-scoped fault rules), check the assignment, keep the single sign-on session. */
async function signedIn(ctx: Context, tx: Transaction, tenant: Tenant, user: User, by: IdentifiedBy): Promise<void> {
  await tx.identify(user, by);
  const app = tx.app;
  // Entra shows its error page after sign-in; the app gets nothing (50105 is a page-only error).
  if (app && !isAssigned(app, user)) throw new EntraError(50105, { params: { appName: app.name, appId: app.clientId } });
  writeSso(ctx, tenant, user);
}

async function finish(ctx: Context, tx: Transaction, engine: Engine, user: User, by: IdentifiedBy): Promise<void> {
  await signedIn(ctx, tx, engine.tenant, user, by);
  const result = { login: { accountId: user.id, amr: ['pwd'], remember: true }, select_account: {} };
  const returnTo = await engine.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.redirect(returnTo);
}

/**
 * When no page is needed (auto sign-in, single sign-on), the authorize request signs the user in
 * itself, as Entra answers a browser it knows: straight back to the app with the code, with no
 * sign-in page and no second authorize request in between. The provider calls this with the
 * request's session before it checks its prompts (provider.ts); a session that has an account
 * already is left as it is, and so is prompt=none (it never signs anyone in).
 */
export async function signInAtAuthorize(ctx: Context, engine: Engine, session: Session): Promise<void> {
  if (session.accountId) return;
  const tx = ctx.state.tx;
  const prompts = typeof ctx.query.prompt === 'string' ? ctx.query.prompt.split(' ') : [];
  if (prompts.includes('none')) return;
  const who = signsInWithoutPage(ctx, engine.tenant, tx.userHint, prompts);
  if (!who) return;
  try {
    await signedIn(ctx, tx, engine.tenant, who.user, who.by);
  } catch (err) {
    // A failure after sign-in is shown on Entra's page, as the sign-in page shows it (reference §6).
    tx.channel = { kind: 'page' };
    throw err;
  }
  session.loginAccount({ accountId: who.user.id, amr: ['pwd'] });
}

function page(ctx: Context, tenant: Tenant, details: Details, extra: { user?: User; username?: string; error?: string }) {
  ctx.type = 'html';
  ctx.body = loginPage({ tenant, action: ctx.path, appName: findApp(tenant, details.params.client_id as string)?.name, ...extra });
}

/**
 * Entra consents per app, not per request: when the provider still asks (it always does for
 * native clients), consent to what was requested and carry on.
 */
async function consent(ctx: Context, engine: Engine, details: Details): Promise<void> {
  const { Grant } = engine;
  const grant = (details.grantId && (await Grant.find(details.grantId))) || new Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
  const requested = String(details.params.scope ?? '');
  grant.addOIDCScope(requested.split(' ').filter((s) => ['openid', 'profile', 'email', 'offline_access'].includes(s)).join(' '));
  for (const indicator of Object.keys((details.prompt.details as { missingResourceScopes?: Record<string, string[]> }).missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, requested);
  }
  const grantId = await grant.save();
  const returnTo = await engine.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  ctx.redirect(returnTo);
}

/** What the interaction is about: the app and login_hint of the authorize request it continues. */
async function details(ctx: Context, tx: Transaction, engine: Engine): Promise<Details> {
  let d: Details;
  try {
    d = await engine.interactionDetails(ctx.req, ctx.res);
  } catch {
    // The interaction cookie did not come back, or the sign-in is over an hour old.
    throw new EntraError(90023, { params: { detail: 'This sign-in has expired or its cookie was not sent back: start the sign-in again from the application, in a browser that keeps cookies for this site.' } });
  }
  tx.app = findApp(engine.tenant, d.params.client_id as string);
  tx.userHint = d.params.login_hint as string | undefined;
  return d;
}

export async function showLogin(ctx: Context, tx: Transaction, engine: Engine): Promise<void> {
  const d = await details(ctx, tx, engine);
  const tenant = engine.tenant;
  if (d.prompt.name === 'consent' && d.session?.accountId) return consent(ctx, engine, d);
  const who = signsInWithoutPage(ctx, tenant, tx.userHint, String(d.params.prompt ?? '').split(' '));
  if (who) return finish(ctx, tx, engine, who.user, who.by);
  if (wants(d, 'select_account')) return page(ctx, tenant, d, {});
  const hinted = findUser(tenant, tx.userHint);
  page(ctx, tenant, d, hinted ? { user: hinted } : {});
}

export async function submitLogin(ctx: Context, tx: Transaction, engine: Engine): Promise<void> {
  const d = await details(ctx, tx, engine);
  const tenant = engine.tenant;
  const { username, password } = tx.body;
  if (!username) return page(ctx, tenant, d, { error: SIGN_IN_PAGE_TEXT.noUsername });
  const user = findUser(tenant, username);
  if (!user) {
    tx.userHint = username;
    tx.showedError(50034, { EmailHidden: username, tenant: tenant.domain });
    return page(ctx, tenant, d, { error: SIGN_IN_PAGE_TEXT.unknownUser });
  }
  if (password === undefined) return page(ctx, tenant, d, { user });
  if (user.password !== password) {
    tx.userHint = username;
    tx.showedError(50126);
    return page(ctx, tenant, d, { username, error: SIGN_IN_PAGE_TEXT.wrongPassword });
  }
  return finish(ctx, tx, engine, user, 'password');
}
