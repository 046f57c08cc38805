/**
 * The typed transaction of one request: its IDs, the world it runs in, what the pipeline and the
 * front-end learned (route, tenant, app, user, channel), the fault that fired and its issue-time
 * effects, and the artifacts issued. Every layer reads and writes this, never an untyped bag.
 */
import type { App, Tenant, User } from '../directory/model.js';
import { type AadstsCode, entryFor, formatText } from '../entra/aadsts.js';
import type { RequestIds } from '../entra/errors.js';
import type { ErrorChannel } from '../entra/render.js';
import { reevaluateFor } from '../faults/gate.js';
import type { IssueEffects } from '../faults/shape.js';
import type { Rule } from '../scenario/schema.js';
import type { IdentifiedBy, MockEvents } from './events.js';
import type { Artifact } from './log.js';
import { requestParams, type SignInRequest, type SignInRequestParams } from './signins.js';
import type { RouteChannel, RouteDef } from './routes.js';
import type { Runtime } from './runtime.js';
import type { World } from './world.js';

/** A fault rule that fired. */
export interface FiredFault {
  id: string;
  name?: string;
  rule: Rule;
}

/**
 * What one sign-in decided, shared by the requests it spans (authorize, the sign-in page, the
 * resumed authorize; a SAML request and its sign-in page): where errors go, the fault that fired
 * and its effects, and which user the user-scoped rules were evaluated for.
 */
export interface SignInFlow {
  /** Where errors of the flow's redirect steps go (the trusted redirect URI); sign-in pages show theirs on the page. */
  channel?: ErrorChannel;
  fault?: FiredFault;
  effects?: IssueEffects;
  /** UPN (lower case) user-scoped rules were last evaluated for; undefined: for nobody yet. */
  decidedFor?: string;
  /** The authorize request as the client sent it, before the provider saw it (it only runs the code flow). */
  authorize?: { responseType: string; protocol: 'v1' | 'v2' };
  /** How the user of this sign-in was first identified (the sign-in log's authentication details). */
  by?: IdentifiedBy;
  /** The flow's ID (the sign-in log's key for its pending start): made on first use, kept with the flow in the store. */
  id?: string;
  /** The request that started the flow, for the record of the request that ends it (signins.ts). */
  started?: SignInRequestParams;
}

/** What the transaction reads of its request (koa's context): headers, the query as sent, and what the sign-in log shows. */
export interface RequestView extends SignInRequest {
  /** A request header ('' when absent). */
  get(field: string): string;
}

export interface TransactionInit {
  ids: RequestIds;
  world: World;
  events: MockEvents;
  request: RequestView;
  /** The query string as sent, read once. */
  querystring: string;
}

/** A GET's form: none (readForm gives a POST its own). */
const NO_BODY: Record<string, string> = Object.freeze({});

/** A route's channel before the front-end refines it: one shared object per kind (a channel is replaced, never changed). A redirect route starts on Entra's page. */
export const ROUTE_CHANNELS: Readonly<Record<RouteChannel, ErrorChannel>> = Object.freeze({
  json: Object.freeze({ kind: 'json' }),
  page: Object.freeze({ kind: 'page' }),
  redirect: Object.freeze({ kind: 'page' }),
  graph: Object.freeze({ kind: 'graph' }),
  arm: Object.freeze({ kind: 'arm' }),
  appService: Object.freeze({ kind: 'appService' }),
  imds: Object.freeze({ kind: 'imds' }),
});

export class Transaction {
  readonly ids: RequestIds;
  /** The world this request started in: a scenario switch never disturbs it. */
  readonly world: World;
  readonly events: MockEvents;
  private readonly request: RequestView;
  /** The query string as sent (without the `?`). */
  readonly querystring: string;
  route?: RouteDef;
  tenant?: Tenant;
  /** How the request named its tenant (GUID, domain, common, organizations). */
  segment?: string;
  app?: App;
  /** The user, once a front-end identified them (identify()). */
  user?: User;
  /** Who the request says it is for before sign-in: login_hint, ROPC's username. */
  userHint?: string;
  grantType?: string;
  /** The urlencoded body, parsed once with limits (empty for GET). */
  body: Record<string, string> = NO_BODY;
  flow: SignInFlow = {};
  /** Where this request's errors go: from the route, refined by the front-end. */
  channel: ErrorChannel = ROUTE_CHANNELS.json;
  /** The fault that fired on this request (a continued flow may carry one that fired earlier). */
  fired?: FiredFault;
  /** Tokens and SAML messages received and issued; never secrets, passwords or refresh tokens. */
  readonly artifacts: Artifact[] = [];
  /** The AADSTS code of the error this request answered with. */
  aadsts?: number;
  /** appidacr / azpacr: 0 public client, 1 secret, 2 certificate. */
  clientAuth?: '0' | '1' | '2';
  /** The error oidc-provider reported, to be rendered as Entra's (see oidc/shape.ts). */
  engineError?: unknown;
  /** v1 token requests name the resource they want (reference §5). */
  v1Resource?: string;
  unlogged = false;
  /** The text of the error this request answered with (the sign-in log's failure reason). */
  failureReason?: string;
  /** The error this request answered with: the device code flow hands the page's error to the polling device, one attempt. */
  answered?: object;
  /** The device code this request issued or signs in for: the sign-in log follows a device sign-in by it. */
  deviceCode?: { deviceCode: string; expiresAt: number };
  /** An authorize request answered the app with its code or tokens: the interactive sign-in ended here. */
  signedIn = false;

  constructor(i: TransactionInit) {
    this.ids = i.ids;
    this.world = i.world;
    this.events = i.events;
    this.request = i.request;
    this.querystring = i.querystring;
  }

  /** A request header ('' when absent). */
  header(name: string): string {
    return this.request.get(name);
  }

  /** A request parameter, from the query or the form ('' when absent). */
  param(name: string): string {
    const q = this.request.query[name];
    return (typeof q === 'string' ? q : '') || (this.body[name] ?? '');
  }

  /** This request as the sign-in log shows a flow's start: a flow kept for later carries it. */
  describeRequest(): SignInRequestParams {
    return requestParams(this.request, this.body);
  }

  get runtime(): Runtime {
    return this.world.runtime;
  }

  /** v1 or v2: the route's, or the authorize request's this flow continues. */
  get protocol(): 'v1' | 'v2' {
    return this.route?.protocol ?? this.flow.authorize?.protocol ?? 'v2';
  }

  /**
   * This request continues a sign-in: its fault and effects are the flow's, and so is its channel
   * on redirect routes (the resumed authorize). Sign-in pages keep theirs: Entra shows failures
   * after sign-in on its page (reference §6).
   */
  continueFlow(flow: SignInFlow | undefined): void {
    if (!flow) return;
    this.flow = flow;
    if (this.route?.channel === 'redirect' && flow.channel) this.channel = flow.channel;
  }

  /**
   * The page told the user of an error it answers without throwing (a wrong password on the
   * sign-in page is AADSTS50126 in Entra's sign-in log, though the page answers 200).
   */
  showedError(code: AadstsCode, params?: Record<string, string>): void {
    this.aadsts = code;
    this.failureReason = formatText(entryFor(code).text, params);
  }

  /**
   * A front-end learned who the user is: say so once. User-scoped fault rules are evaluated
   * again for them (they may fail the request now, or shape what is issued).
   */
  async identify(user: User, by: IdentifiedBy): Promise<void> {
    this.user = user;
    this.flow.by ??= by;
    if ((by === 'password' || by === 'login_hint' || by === 'session') && this.events.listened('signin')) {
      this.events.emit('signin', {
        traceId: this.ids.traceId,
        tenantId: this.tenant?.id ?? '',
        ...(this.app ? { appId: this.app.clientId } : {}),
        upn: user.upn,
        userId: user.id,
        by,
        ...(this.route?.endpoint ? { endpoint: this.route.endpoint } : {}),
      });
    }
    await reevaluateFor(this, user);
  }
}

declare module 'koa' {
  interface DefaultState {
    /** Set by the first middleware (server/log.ts) on every request. */
    tx: Transaction;
  }
}
