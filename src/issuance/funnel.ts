/**
 * THE issuance funnel: every token and SAML Response the mock hands out passes here, once.
 * claims (from entra/) -> fault effects applied once -> signed once -> recorded as an artifact of
 * the request -> a typed event. Front-ends build claims and deliver the result; nothing decodes
 * and re-signs what was issued.
 */
import type { App, User } from '../directory/model.js';
import { samlAttributes } from '../entra/claims.js';
import { breakJwt, breakXmlSignature, shapeAttributes, shapeClaims } from '../faults/shape.js';
import { type JwtSignOptions, type SignedJwt, signJwt, signJwtAsync } from '../keys/signing.js';
import type { SigningKey } from '../keys/store.js';
import { hostileResponse } from '../saml/hostile.js';
import { buildResponse, type ResponseInput } from '../saml/response.js';
import type { Transaction } from '../server/transaction.js';

export interface JwtToIssue {
  kind: 'id_token' | 'access_token' | 'federated_token';
  claims: Record<string, unknown>;
  /** v1 tokens carry x5t; Microsoft Graph's access tokens a header nonce. */
  sign?: JwtSignOptions;
  /** The request it is issued for: its fault effects apply, and it records the token. None: the offline CLI. */
  tx?: Transaction;
  /** Default: the world's signing keys (the active one first). */
  keys?: SigningKey[];
}

function prepare(t: JwtToIssue): { claims: Record<string, unknown>; key: SigningKey } {
  const effects = t.tx?.flow.effects;
  const claims = effects ? shapeClaims(t.claims, effects) : t.claims;
  const key = effects?.rogueKey ?? (t.keys ?? t.tx!.world.keys.signing)[0]!;
  return { claims, key };
}

function finish(t: JwtToIssue, claims: Record<string, unknown>, signed: SignedJwt): string {
  const tx = t.tx;
  const token = tx?.flow.effects?.breakSignature ? breakJwt(signed.token) : signed.token;
  if (!tx) return token;
  tx.artifacts.push({ name: t.kind, kind: 'jwt', value: token, direction: 'response' });
  const fault = tx.flow.effects ? tx.flow.fault : undefined;
  const upn = tx.user?.upn;
  if (tx.events.listened('token')) {
    tx.events.emit('token', {
      traceId: tx.ids.traceId,
      kind: t.kind,
      token,
      // A copy: the signer's header object is shared by every token of its key.
      header: { ...signed.header },
      claims,
      ...(tx.app ? { appId: tx.app.clientId } : {}),
      ...(upn ? { upn } : {}),
      ...(tx.route?.endpoint ? { endpoint: tx.route.endpoint } : {}),
      ...(fault ? { rule: fault.name ?? fault.id } : {}),
    });
  }
  return token;
}

/** Back channel: the RSA work runs on libuv's thread pool. */
export async function issueJwt(t: JwtToIssue): Promise<string> {
  const { claims, key } = prepare(t);
  return finish(t, claims, await signJwtAsync(claims, key, t.sign));
}

/** Front channel: synchronous, because oidc-provider's authorization.success hook is. */
export function issueJwtSync(t: JwtToIssue): string {
  const { claims, key } = prepare(t);
  return finish(t, claims, signJwt(claims, key, t.sign));
}

/** What saml/response.ts builds from, less what the funnel supplies (attributes, issue time); `key` is the app's active certificate. */
export type SamlResponseToIssue = Omit<ResponseInput, 'attributes' | 'now'> & { tx: Transaction };

/** A signed SAML Response for a signed-in user: Entra's attributes, the request's fault effects, one signature pass (a hostile `samlResponse` kind aside). */
export async function issueSamlResponse(i: SamlResponseToIssue): Promise<string> {
  const effects = i.tx.flow.effects;
  const key = effects?.rogueKey ?? i.key;
  const { nameId, assertionId, ...input } = i;
  const build = async (user: User) => {
    const attributes = shapeAttributes(samlAttributes(i.tenant, i.app, user), effects);
    const now = Date.now() + (effects?.clockSkewSeconds ?? 0) * 1000;
    // The NameID and assertion ID the front-end made are the signed-in user's; another user's Response (unassigned-user) gets its own.
    const own = user === i.user ? { ...(nameId !== undefined ? { nameId } : {}), ...(assertionId !== undefined ? { assertionId } : {}) } : {};
    return (await buildResponse({ ...input, ...own, user, attributes, now, key })).xml;
  };
  const signed = await build(i.user);
  const kind = effects?.samlResponse;
  // The one effect that reads back what was signed: a hostile Response is an attacker's edit of the real one, signed again where the kind needs it.
  const shaped = kind
    ? await hostileResponse({ kind, xml: signed, key, signing: i.app.saml!.signing, runtime: i.tx.runtime, tenant: i.tenant, app: i.app, user: i.user, acsUrl: i.acsUrl, reissue: build })
    : signed;
  const xml = effects?.breakSignature ? breakXmlSignature(shaped) : shaped;
  recordSamlResponse(i.tx, { xml, app: i.app, user: i.user, acsUrl: i.acsUrl, inResponseTo: i.inResponseTo, status: 'Success' });
  i.tx.signedIn = true;
  return xml;
}

/** Records a Response the front-end built itself (a status Response: NoPassive) as the request's artifact. */
export function recordSamlResponse(tx: Transaction, r: { xml: string; app: App; user?: User; acsUrl: string; inResponseTo?: string; status: string }): void {
  tx.artifacts.push({ name: 'SAMLResponse', kind: 'saml', value: r.xml, direction: 'response' });
  const fault = tx.flow.effects ? tx.flow.fault : undefined;
  tx.events.emit('saml.response', {
    traceId: tx.ids.traceId,
    xml: r.xml,
    appId: r.app.clientId,
    ...(r.user ? { upn: r.user.upn } : {}),
    acsUrl: r.acsUrl,
    ...(r.inResponseTo ? { inResponseTo: r.inResponseTo } : {}),
    status: r.status,
    ...(fault ? { rule: fault.name ?? fault.id } : {}),
  });
}
