/**
 * The sign-in log: one record per sign-in attempt (not per HTTP request), in Microsoft Graph's
 * `signIn` resource shape (reference §15), written from the transaction of the request where the
 * attempt ended (an error answered, the authorize response to the app, tokens from the token
 * endpoint, a SAML Response), never from response bodies. The admin API (`GET /_mock/signins`),
 * `idp.signIns()`, the `signInLog` event and Graph's `GET /v1.0/auditLogs/signIns` read it.
 */
import type { App, Tenant, User } from '../directory/model.js';
import { findApp, findResource, findUser } from '../directory/lookup.js';
import { REMEDIATION, type AadstsCode, entryFor, formatText } from '../entra/aadsts.js';
import { GRAPH, isGraphAudience } from '../entra/urls.js';
import { randomUUID } from 'node:crypto';
import { describeRule } from '../faults/rules.js';
import { LOGGED } from './logged.js';
import type { Artifact } from './log.js';
import { SAML_PENDING_TTL_MS, SIGN_IN_TTL_MS } from './runtime.js';
import type { SignInFlow, Transaction } from './transaction.js';

/** The flow a sign-in used (the mock's extension: Entra's log shows it only partly, as "Authentication Protocol"). */
export type SignInFlowKind =
  | 'authorizationCode'
  | 'implicit'
  | 'ropc'
  | 'deviceCode'
  | 'samlSpInitiated'
  | 'samlIdpInitiated'
  | 'clientCredentials'
  | 'onBehalfOf'
  | 'refreshToken';

/** One step of how the user (or app) authenticated, as Graph's authenticationDetails. */
export interface AuthenticationDetail {
  authenticationStepDateTime: string;
  /** Password, Previously satisfied, Client secret, Client certificate. */
  authenticationMethod: string;
  authenticationMethodDetail: string | null;
  succeeded: boolean;
  authenticationStepResultDetail: string;
  authenticationStepRequirement: string;
}

/** One request of a sign-in as the detail pane shows it: method, path and parameters, secrets redacted. */
export interface SignInRequestParams {
  method: string;
  path: string;
  /** Query and form parameters (the form's win on a clash), each value capped; secrets read "(redacted)". */
  parameters: Record<string, string>;
}

/** A token or SAML message of the request that ended the attempt; one too large to keep has no value. */
export interface SignInArtifact {
  name: Artifact['name'];
  kind: Artifact['kind'];
  direction: Artifact['direction'];
  /** The compact JWT or the SAML XML; absent when it was larger than the record keeps (see `omitted`). */
  value?: string;
  /** Why the value is not kept. */
  omitted?: string;
}

/** One sign-in attempt, as Graph's `signIn` resource (reference §15) plus the mock's `mockEntra` member. */
export interface SignInRecord {
  id: string;
  createdDateTime: string;
  userDisplayName: string | null;
  userPrincipalName: string | null;
  userId: string | null;
  appId: string | null;
  appDisplayName: string | null;
  ipAddress: string;
  clientAppUsed: 'Browser' | 'Mobile Apps and Desktop clients' | 'Other clients';
  correlationId: string;
  /** success / failure / notApplied (Graph's conditionalAccessStatus). */
  conditionalAccessStatus: 'success' | 'failure' | 'notApplied';
  isInteractive: boolean;
  resourceDisplayName: string | null;
  resourceId: string | null;
  /** Beta's signInEventTypes: interactiveUser, nonInteractiveUser, servicePrincipal. */
  signInEventTypes: ('interactiveUser' | 'nonInteractiveUser' | 'servicePrincipal')[];
  /** For app-only sign-ins (client credentials): the service principal (beta's members). */
  servicePrincipalId: string | null;
  servicePrincipalName: string | null;
  status: { errorCode: number; failureReason: string | null; additionalDetails: string | null };
  authenticationDetails: AuthenticationDetail[];
  authenticationMethodsUsed: string[];
  appliedConditionalAccessPolicies: { id: string; displayName: string; enforcedGrantControls: string[]; enforcedSessionControls: string[]; result: 'success' | 'failure' | 'notApplied' }[];
  /** The mock's own member (not in Graph): the flow, the outcome in one word, the rule that fired and what to fix. */
  mockEntra: {
    flow: SignInFlowKind;
    outcome: 'Success' | 'Failure' | 'Interrupted';
    traceId: string;
    tenantId: string;
    rule: string | null;
    ruleDescription: string | null;
    remediation: string | null;
    /**
     * The request that ended the attempt, and (when another request ended it: the sign-in page,
     * the resumed authorize) the authorize or SAML request that started it. Secrets redacted.
     */
    request: { ended: SignInRequestParams; started?: SignInRequestParams };
    /** The tokens or SAML messages of the request that ended the attempt (bounded: see SIGN_IN_ARTIFACT_BYTES). */
    artifacts: SignInArtifact[];
  };
}

/**
 * What the sign-in log reads of the HTTP request besides the transaction: koa's context as it is
 * (`ip` and `query` are getters, read only when the request is part of a sign-in).
 */
export interface SignInRequest {
  readonly ip: string;
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string | string[] | undefined>;
}

/**
 * Parameters whose values are secrets (or bearer credentials): kept by name, valued "(redacted)".
 * Codes, refresh tokens and assertions let whoever reads them sign in; passwords and client
 * secrets are the user's and the app's. SAMLResponse carries a signed assertion (shown decoded
 * under the artifacts when this server issued it). Cookies are never read (headers are not kept).
 */
export const REDACTED_PARAMS: ReadonlySet<string> = new Set([
  'client_secret',
  'password',
  'code',
  'refresh_token',
  'client_assertion',
  'code_verifier',
  'assertion',
  'samlresponse',
  'device_code',
  'id_token',
  'access_token',
  'admintoken',
  'cookie',
]);
export const REDACTED = '(redacted)';
/** Bounds of one record's parameters: the log holds 1,000 records. */
const PARAM_COUNT = 40;
const PARAM_NAME_CHARS = 64;
const PARAM_VALUE_CHARS = 1024;
/** Bytes of tokens and SAML messages one record keeps (a signed SAML Response is a few KB, a JWT one or two). */
export const SIGN_IN_ARTIFACT_BYTES = 24 * 1024;

/**
 * A request's parameters for the sign-in log: secrets redacted (by name, case-insensitive), at
 * most 40 of them, names and values capped (a capped value ends with "… (truncated)").
 */
export function redactParams(...sources: Array<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const source of sources) {
    for (const [rawName, raw] of Object.entries(source)) {
      const name = rawName.slice(0, PARAM_NAME_CHARS);
      if (!(name in out) && n >= PARAM_COUNT) continue;
      const value = Array.isArray(raw) ? raw.map(String).join(', ') : raw === undefined || raw === null ? '' : String(raw);
      if (!(name in out)) n++;
      out[name] = REDACTED_PARAMS.has(name.toLowerCase()) ? REDACTED : value.length > PARAM_VALUE_CHARS ? `${value.slice(0, PARAM_VALUE_CHARS)}… (truncated)` : value;
    }
  }
  return out;
}

/** A request as the sign-in log shows it: `req`'s method, path and query, and the form it sent. */
export function requestParams(req: Pick<SignInRequest, 'method' | 'path' | 'query'>, form: Record<string, string>): SignInRequestParams {
  return { method: req.method, path: req.path.slice(0, 512), parameters: redactParams(req.query, form) };
}

/** The artifacts a record keeps: in order, while they fit the budget; the rest are named without their value. */
export function boundedArtifacts(artifacts: readonly Artifact[]): SignInArtifact[] {
  let left = SIGN_IN_ARTIFACT_BYTES;
  return artifacts.slice(0, 8).map((a) => {
    const base = { name: a.name, kind: a.kind, direction: a.direction };
    if (a.value.length > left) return { ...base, omitted: `${a.value.length} characters, more than the sign-in log keeps per record (${SIGN_IN_ARTIFACT_BYTES}); the request log may have it.` };
    left -= a.value.length;
    return { ...base, value: a.value };
  });
}

/** The flow's ID, made on first use: the key its pending start waits under (the same on every instance, as the flow travels with it). */
export function flowKey(flow: SignInFlow): string {
  return (flow.id ??= randomUUID());
}

/**
 * Codes that interrupt a sign-in rather than fail it: the user has more to do (MFA, consent,
 * "stay signed in", an interactive sign-in for a silent request). Entra's log shows these as
 * "Interrupted" (unverified for each code: the portal's documentation names MFA and consent).
 */
const INTERRUPTED = new Set<number>([50058, 50072, 50074, 50076, 50079, 50125, 50140, 65001]);
/** Conditional Access outcomes: the rule that produced one is shown as the policy that applied. */
const CONDITIONAL_ACCESS = new Set<number>([50076, 50079, 53000, 53001, 53002, 53003, 53004]);
/** Polling answers of the device code flow are not sign-in attempts. */
const NOT_ATTEMPTS = new Set<number>([70016]);

const TOKEN_GRANTS: Record<string, SignInFlowKind> = {
  authorization_code: 'authorizationCode',
  password: 'ropc',
  client_credentials: 'clientCredentials',
  refresh_token: 'refreshToken',
  // MSAL sends device_code; RFC 8628's clients the URN (Entra takes both).
  device_code: 'deviceCode',
  'urn:ietf:params:oauth:grant-type:device_code': 'deviceCode',
  'urn:ietf:params:oauth:grant-type:jwt-bearer': 'onBehalfOf',
};

function flowOf(tx: Transaction): SignInFlowKind | undefined {
  const route = tx.route;
  if (!route) return undefined;
  if (route.endpoint === 'saml') return route.name === 'saml.launch' ? 'samlIdpInitiated' : 'samlSpInitiated';
  if (route.name === 'deviceLogin.signIn') return 'deviceCode';
  if (route.endpoint === 'authorize') return (tx.flow.authorize?.responseType ?? (tx.param('response_type') || 'code')).split(' ').includes('code') ? 'authorizationCode' : 'implicit';
  if (route.endpoint === 'token' && route.name.startsWith('token.')) return TOKEN_GRANTS[tx.grantType ?? tx.body.grant_type ?? ''];
  return undefined;
}

/** Whether this request ended a sign-in attempt successfully. */
function succeeded(tx: Transaction, flow: SignInFlowKind): boolean {
  if (tx.route?.endpoint === 'token') {
    // The code's redemption completes the sign-in logged at authorize; Entra logs no second one.
    if (flow === 'authorizationCode') return false;
    return tx.artifacts.some((a) => a.direction === 'response' && a.name === 'access_token');
  }
  return tx.signedIn;
}

/** The API a request asked a token for: the v1 resource, else the first scope naming one; plain scopes are Graph's. */
function resourceOf(f: SignInFacts, tenant: Tenant | undefined, app: App | undefined, flow: SignInFlowKind): { id: string; name: string } | undefined {
  if (flow === 'samlSpInitiated' || flow === 'samlIdpInitiated') return app ? { id: app.clientId, name: app.name } : undefined;
  const named = f.resource;
  const scopes = f.scope.split(' ').filter(Boolean);
  const identifier = named || scopes.find((s) => s.includes('/'))?.replace(/\/[^/]*$/, '');
  if (identifier && !isGraphAudience(identifier)) {
    const api = tenant && findResource(tenant, identifier);
    return api ? { id: api.clientId, name: api.name } : undefined;
  }
  return identifier || scopes.length ? { id: GRAPH.appId, name: GRAPH.name } : undefined;
}

function authenticationOf(f: SignInFacts, flow: SignInFlowKind, at: string, ok: boolean, code: number): AuthenticationDetail[] {
  const step = (method: string, detail: string | null, success: boolean, result: string): AuthenticationDetail => ({
    authenticationStepDateTime: at,
    authenticationMethod: method,
    authenticationMethodDetail: detail,
    succeeded: success,
    authenticationStepResultDetail: result,
    authenticationStepRequirement: 'Primary authentication',
  });
  if (flow === 'clientCredentials' || (flow === 'onBehalfOf' && !f.user)) {
    const method = f.clientAuth === '2' ? 'Client certificate' : 'Client secret';
    return [step(method, null, ok || code !== 7000215, ok ? 'Correct client credential' : 'Invalid client credential')];
  }
  const by = f.by;
  if (code === 50126) return [step('Password', 'Password in the cloud', false, 'Invalid username or password or Invalid on-premise username or password.')];
  if (!by) return [];
  if (by === 'session') return [step('Previously satisfied', 'Single sign-on session', true, 'First factor requirement satisfied by claim in the token')];
  if (by === 'refresh_token' || by === 'on_behalf_of' || by === 'authorization_code') return [step('Previously satisfied', by === 'refresh_token' ? 'Refresh token' : by === 'on_behalf_of' ? 'On-behalf-of assertion' : 'Authorization code', true, 'First factor requirement satisfied by claim in the token')];
  // login_hint auto sign-in is the mock's stand-in for typing the password (CI needs no page).
  return [step('Password', by === 'login_hint' ? 'Password in the cloud (mock auto sign-in with login_hint)' : by === 'device_code' ? 'Password in the cloud (device code)' : 'Password in the cloud', true, 'Correct password')];
}

/**
 * A sign-in started and not finished: what the log records when nobody finishes it (server/signins.ts
 * keeps it pending until then). For a sign-in page left open, Entra itself logs nothing (the user
 * never got past the first factor) or, past the first factor, "Interrupted" with the last interrupt
 * shown (50140 "stay signed in?", 50074/50076 MFA); the mock has no such pages, so it records the
 * abandoned attempt as Interrupted with 50089 ("Flow token expired", what Entra logs when the user
 * comes back to an expired page), and a device code nobody entered as Interrupted with 70020 (what
 * the polling device is told). (unverified: the choice of code for an abandoned page.)
 */
const ABANDONED = { page: 50089, deviceCode: 70020 } as const;

/** Keys a record settles or waits under: the sign-in flow (OIDC, SAML), or the device code. */
type PendingKey = string;
/** What signInOf tells the log beside the record: what it settles, or what it waits under and until when. */
export interface SignInTag {
  settles: PendingKey[];
  pendingUntil?: number;
  key?: PendingKey;
}

/**
 * What a record is built from, taken when its request ended: what the transaction and the request
 * already hold (references and strings; nothing is built for the record then).
 */
interface SignInFacts {
  ids: Transaction['ids'];
  tenant?: Tenant;
  app?: App;
  user?: User;
  userHint?: string;
  by?: SignInFlow['by'];
  started?: SignInRequestParams;
  fault?: Transaction['fired'];
  failureReason?: string;
  clientAuth?: Transaction['clientAuth'];
  /** The v1 resource, or the `resource` parameter. */
  resource: string;
  scope: string;
  clientId: string;
  ip: string;
  method: string;
  path: string;
  query: SignInRequest['query'];
  body: Record<string, string>;
  artifacts: readonly Artifact[];
}

/** How signInOf's record is built: the facts, and what the request decided about the attempt. */
interface Pending {
  facts: SignInFacts;
  flow: SignInFlowKind;
  code: number;
  ok: boolean;
  starts: boolean;
  abandoned?: { outcome: 'Interrupted'; details: string };
}

/**
 * One record as the log holds it: built in Graph's shape when first read. Most records are never
 * read (a CI run reads a few): building each at request time, and keeping its thirty-odd objects
 * alive across collections, was a tenth of a token request's cost.
 */
export class LoggedSignIn {
  private built?: SignInRecord;
  private from?: Pending;
  /** Epoch milliseconds of createdDateTime: the log's order. */
  readonly time: number;

  private constructor(time: number, readonly tag: SignInTag, built?: SignInRecord, from?: Pending) {
    this.time = time;
    this.built = built;
    this.from = from;
  }

  /** A record already in Graph's shape (another instance's, with the tag it had there; a test's), with its tag. */
  static of(record: SignInRecord, tag: SignInTag = { settles: [] }): LoggedSignIn {
    return new LoggedSignIn(Date.parse(record.createdDateTime), tag, record);
  }

  /** @internal signInOf's: built on first read. */
  static later(from: Pending, tag: SignInTag): LoggedSignIn {
    return new LoggedSignIn(from.facts.ids.time, tag, undefined, from);
  }

  get record(): SignInRecord {
    if (!this.built) {
      const f = this.from!;
      this.built = recordOf(f.facts, f.flow, f.code, f.ok, f.starts, f.abandoned);
      this.from = undefined;
    }
    return this.built;
  }

  /** Held aside until its key settles or its time passes: a sign-in page shown, a device code issued. */
  get pending(): boolean {
    return this.tag.pendingUntil !== undefined;
  }
}

/** Marks `record` as a sign-in still going: the log holds it until `key` settles, and records it (Interrupted) after `until` (epoch ms). */
export function pendingSignIn(record: SignInRecord, key: PendingKey, until: number): LoggedSignIn {
  return LoggedSignIn.of(record, { settles: [], pendingUntil: until, key });
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} minutes`;

/**
 * The record of the sign-in attempt this request ended, or undefined when it ended none (documents,
 * a code redeemed, a device code still pending). A request that started a sign-in without ending
 * it (a sign-in page shown, a device code issued) gets a pending record: the log keeps it aside,
 * drops it when the attempt ends, and records it as Interrupted when the flow's lifetime passes.
 */
export function signInOf(tx: Transaction, req: SignInRequest): LoggedSignIn | undefined {
  const flow = flowOf(tx);
  if (!flow) {
    // A device code issued: the device polls while a person signs in at /devicelogin (or does not).
    const device = tx.deviceCode;
    if (device && tx.route?.name.startsWith('devicecode') && !tx.aadsts) {
      const abandoned = {
        outcome: 'Interrupted' as const,
        details: `A device code was issued at ${tx.ids.at.toISOString()} and nobody signed in with it at /devicelogin before it expired.`,
      };
      return LoggedSignIn.later({ facts: factsOf(tx, req), flow: 'deviceCode', code: ABANDONED.deviceCode, ok: false, starts: true, abandoned }, { settles: [], pendingUntil: device.expiresAt, key: device.deviceCode });
    }
    return undefined;
  }
  const code = tx.aadsts ?? 0;
  if (NOT_ATTEMPTS.has(code)) return undefined;
  const ok = !code && succeeded(tx, flow);
  const starts = !tx.route?.continues && (tx.route?.endpoint === 'authorize' || tx.route?.endpoint === 'saml');
  if (!code && !ok) {
    if (!starts) return undefined;
    // A sign-in page shown: the request that ends this flow later reports what started it.
    tx.flow.started ??= requestParams(req, tx.body);
    const lifetime = flow === 'samlSpInitiated' || flow === 'samlIdpInitiated' ? SAML_PENDING_TTL_MS : SIGN_IN_TTL_MS;
    const abandoned = {
      outcome: 'Interrupted' as const,
      details: `The sign-in page was shown at ${tx.ids.at.toISOString()} and nobody finished the sign-in within the flow's lifetime (${minutes(lifetime)}).`,
    };
    return LoggedSignIn.later({ facts: factsOf(tx, req), flow, code: ABANDONED.page, ok: false, starts: true, abandoned }, { settles: [], pendingUntil: tx.ids.at.getTime() + lifetime, key: flowKey(tx.flow) });
  }
  // One failed attempt, one record: a device polling gets the error its user already saw on the page.
  if (tx.answered) {
    if (LOGGED.has(tx.answered)) return undefined;
    LOGGED.add(tx.answered);
  }
  // The attempt ended: the pending record of its start (the flow's, or the device code's) goes.
  const device = tx.deviceCode?.deviceCode ?? (flow === 'deviceCode' ? tx.body.device_code : undefined);
  // Only a flow kept for later has an ID (flowKey, where it is stored): one that never waited settles nothing.
  const settles: PendingKey[] = [];
  if (tx.flow.id !== undefined) settles.push(tx.flow.id);
  if (device) settles.push(device);
  return LoggedSignIn.later({ facts: factsOf(tx, req), flow, code, ok, starts }, { settles });
}

function factsOf(tx: Transaction, req: SignInRequest): SignInFacts {
  return {
    ids: tx.ids,
    tenant: tx.tenant,
    app: tx.app,
    user: tx.user,
    userHint: tx.userHint,
    by: tx.flow.by,
    started: tx.flow.started,
    fault: tx.fired ?? tx.flow.fault,
    failureReason: tx.failureReason,
    clientAuth: tx.clientAuth,
    resource: tx.v1Resource || tx.param('resource'),
    scope: tx.param('scope'),
    clientId: tx.param('client_id'),
    ip: req.ip,
    method: req.method,
    path: req.path,
    query: req.query,
    body: tx.body,
    artifacts: tx.artifacts,
  };
}

/** The record itself; `abandoned` for a started sign-in: its outcome and what the additional details say first. */
function recordOf(f: SignInFacts, flow: SignInFlowKind, code: number, ok: boolean, starts: boolean, abandoned?: { outcome: 'Interrupted'; details: string }): SignInRecord {
  const tenant = f.tenant;
  const app: App | undefined = f.app && !f.app.firstParty ? f.app : tenant ? findApp(tenant, f.clientId) : undefined;
  const appOnly = flow === 'clientCredentials';
  const user: User | undefined = appOnly ? undefined : (f.user ?? (tenant ? findUser(tenant, f.userHint) : undefined));
  const typed = appOnly ? undefined : (user?.upn ?? (f.userHint ? f.userHint.slice(0, 256) : undefined));
  const at = f.ids.at.toISOString();
  const outcome = abandoned ? abandoned.outcome : ok ? 'Success' : INTERRUPTED.has(code) ? 'Interrupted' : 'Failure';
  const fired = abandoned ? undefined : f.fault;
  const rule = fired && code ? fired : undefined;
  const ruleName = rule ? (rule.name ?? rule.id) : null;
  const ruleDescription = rule ? (rule.rule.description ?? describeRule(rule.rule)) : null;
  const known = code ? REMEDIATION[code as AadstsCode] : undefined;
  const remediation = code ? (known ? `${known.cause} ${known.fix}` : `See the error's page (error_uri) for AADSTS${code}: what it means and what to fix.`) : null;
  const additional = code ? [abandoned?.details, remediation, rule ? `Scenario rule '${ruleName}' produced this error: ${ruleDescription}` : undefined].filter(Boolean).join(' ') : null;
  const failureReason = abandoned ? formatText(entryFor(code as AadstsCode).text) : code ? (f.failureReason ?? null) : null;
  const ca = rule && CONDITIONAL_ACCESS.has(code);
  const resource = resourceOf(f, tenant, app, flow);
  const browser = flow === 'implicit' || flow === 'samlSpInitiated' || flow === 'samlIdpInitiated' || (flow === 'authorizationCode' && !app?.publicClient);
  const interactive = !appOnly && flow !== 'refreshToken' && flow !== 'onBehalfOf';
  const details = abandoned ? [] : authenticationOf(f, flow, at, ok, code);
  const ended = requestParams(f, f.body);
  const started = starts ? undefined : f.started;
  return {
    id: f.ids.traceId,
    createdDateTime: at,
    userDisplayName: user?.name ?? null,
    userPrincipalName: typed ?? null,
    userId: user?.id ?? null,
    appId: app?.clientId ?? (f.clientId.slice(0, 64) || null),
    appDisplayName: app?.name ?? null,
    ipAddress: f.ip,
    clientAppUsed: browser ? 'Browser' : appOnly || flow === 'onBehalfOf' ? 'Other clients' : 'Mobile Apps and Desktop clients',
    correlationId: f.ids.correlationId,
    conditionalAccessStatus: ca ? 'failure' : 'notApplied',
    isInteractive: interactive,
    resourceDisplayName: resource?.name ?? null,
    resourceId: resource?.id ?? null,
    signInEventTypes: [appOnly ? 'servicePrincipal' : interactive ? 'interactiveUser' : 'nonInteractiveUser'],
    servicePrincipalId: appOnly && app ? app.clientId : null,
    servicePrincipalName: appOnly && app ? app.name : null,
    status: { errorCode: code, failureReason, additionalDetails: additional },
    authenticationDetails: details,
    authenticationMethodsUsed: [...new Set(details.filter((d) => d.succeeded).map((d) => d.authenticationMethod))],
    appliedConditionalAccessPolicies: ca && rule ? [{ id: rule.id, displayName: ruleName ?? rule.id, enforcedGrantControls: code === 53003 ? ['Block'] : ['Mfa'], enforcedSessionControls: [], result: 'failure' }] : [],
    mockEntra: {
      flow,
      outcome,
      traceId: f.ids.traceId,
      tenantId: tenant?.id ?? '',
      rule: ruleName,
      ruleDescription,
      remediation,
      request: started ? { ended, started } : { ended },
      artifacts: boundedArtifacts(f.artifacts),
    },
  };
}

/** How the admin API and `idp.signIns()` narrow the log. */
export interface SignInQuery {
  /** UPN (case-insensitive). */
  user?: string;
  /** The app's client ID or name. */
  app?: string;
  status?: 'success' | 'failure' | 'interrupted';
  code?: number;
  /** Sign-ins at or after this time. */
  from?: Date;
  /** Sign-ins at or before this time. */
  to?: Date;
  /** At most this many (newest first). */
  top?: number;
}

/** The log keeps the newest 1,000 sign-ins (Graph's page limit); older ones are dropped. */
export const SIGN_IN_LIMIT = 1000;

const inRange = (t: number, from: number, to: number) => t >= from && t <= to;

/**
 * The sign-in log: finished attempts, newest last, and the attempts still going (a sign-in page
 * shown, a device code issued), by what settles them. A pending attempt that outlives its flow is
 * recorded as Interrupted when the log is next read or added to: no timer keeps a process alive.
 */
export class SignInLog {
  private readonly records: LoggedSignIn[] = [];
  /** Insertion order is start order; at most SIGN_IN_LIMIT (more could not all be kept once interrupted). */
  private readonly pending = new Map<PendingKey, LoggedSignIn>();
  /** No pending attempt ends before this (a lower bound: settling one does not raise it), so most calls of expire() look at nothing. */
  private soonest = Number.POSITIVE_INFINITY;

  add(e: LoggedSignIn): void {
    this.expire();
    const tag = e.tag;
    if (tag.key !== undefined && tag.pendingUntil !== undefined) {
      this.pending.delete(tag.key);
      this.pending.set(tag.key, e);
      if (tag.pendingUntil < this.soonest) this.soonest = tag.pendingUntil;
      // The oldest pending attempts go first (not recorded: they may still finish).
      while (this.pending.size > SIGN_IN_LIMIT) this.pending.delete(this.pending.keys().next().value as PendingKey);
      return;
    }
    for (const key of tag.settles) this.pending.delete(key);
    this.insert(e);
  }

  /** Attempts started and not finished yet (bounded by SIGN_IN_LIMIT). */
  get pendingCount(): number {
    this.expire();
    return this.pending.size;
  }

  clear(): void {
    this.records.length = 0;
    this.pending.clear();
    this.soonest = Number.POSITIVE_INFINITY;
  }

  /** Newest first, at most 1,000. */
  newest(): SignInRecord[] {
    this.expire();
    const out: SignInRecord[] = [];
    for (let i = this.records.length - 1; i >= 0 && out.length < SIGN_IN_LIMIT; i--) out.push(this.records[i]!.record);
    return out;
  }

  /** Kept in createdDateTime order: an interrupted attempt is dated when it started. */
  private insert(e: LoggedSignIn): void {
    let i = this.records.length;
    while (i > 0 && this.records[i - 1]!.time > e.time) i--;
    this.records.splice(i, 0, e);
    // Trimmed a hundred at a time, as the request log is.
    if (this.records.length >= SIGN_IN_LIMIT + 100) this.records.splice(0, this.records.length - SIGN_IN_LIMIT);
  }

  /** Pending attempts past their flow's lifetime become Interrupted records. */
  private expire(now = Date.now()): void {
    if (now < this.soonest) return;
    let soonest = Number.POSITIVE_INFINITY;
    for (const [key, e] of this.pending) {
      const until = e.tag.pendingUntil!;
      if (until > now) {
        if (until < soonest) soonest = until;
        continue;
      }
      this.pending.delete(key);
      this.insert(e);
    }
    this.soonest = soonest;
  }

  query(q: SignInQuery = {}): SignInRecord[] {
    const user = q.user?.toLowerCase();
    const app = q.app?.toLowerCase();
    const from = q.from?.getTime() ?? Number.NEGATIVE_INFINITY;
    const to = q.to?.getTime() ?? Number.POSITIVE_INFINITY;
    const out = this.newest().filter(
      (r) =>
        (!user || r.userPrincipalName?.toLowerCase() === user) &&
        (!app || r.appId?.toLowerCase() === app || r.appDisplayName?.toLowerCase() === app) &&
        (!q.status || r.mockEntra.outcome.toLowerCase() === q.status) &&
        (q.code === undefined || r.status.errorCode === q.code) &&
        (q.from === undefined && q.to === undefined ? true : inRange(Date.parse(r.createdDateTime), from, to)),
    );
    return q.top === undefined ? out : out.slice(0, Math.max(0, q.top));
  }
}
