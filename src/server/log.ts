/**
 * The request log, first step of the pipeline: opens the request's transaction (Entra's request IDs on every response) and,
 * when the request is done, writes one log record from it: who and what the request was about
 * comes from the transaction (the app, the user, the artifacts issued), never from response bodies.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type { RequestIds } from '../entra/errors.js';
import type { Origins } from '../entra/urls.js';
import type { MockEvents } from './events.js';
import type { RecentRequests } from './recent.js';
import { type LoggedSignIn, signInOf } from './signins.js';
import { Transaction } from './transaction.js';
import type { World } from './world.js';

/** How the server prints its request log: one line a request, JSON lines, or nothing. */
export type LogFormat = 'pretty' | 'json' | 'silent';

/** A token or SAML message a request carried or answered with, kept for the dashboard's detail view. */
export interface Artifact {
  name: 'id_token' | 'access_token' | 'federated_token' | 'SAMLRequest' | 'SAMLResponse';
  kind: 'jwt' | 'saml';
  /** The compact JWT, or the SAML message's XML. */
  value: string;
  direction: 'request' | 'response';
}

/** One request as the log, the dashboard and `idp.requests()` show it. */
export interface RequestRecord {
  /** ISO time the request arrived. */
  time: string;
  method: string;
  path: string;
  status: number;
  /** Milliseconds until the answer. */
  ms: number;
  /** Entra's request ID (x-ms-request-id, the error's trace_id). */
  traceId: string;
  /** The AADSTS code of the error answered, if any. */
  aadsts?: number;
  /** The fault rule that fired on this request (its name, or id). */
  rule?: string;
  /** The app the request was for (client ID), when known. */
  clientId?: string;
  /** That app's name in the scenario. */
  app?: string;
  /** The user's UPN when known: the signed-in user, else login_hint or the username sent. */
  user?: string;
  /** Tokens and SAML messages; never secrets, passwords or refresh tokens. Only in memory, never printed. */
  artifacts?: Artifact[];
}

/** Larger values are not kept: the log holds 500 records and must stay small. */
const ARTIFACT_LIMIT = 32 * 1024;
/** Client IDs and user names may come from the request: cap them, they are only for display. */
const short = (v: unknown) => (typeof v === 'string' && v ? v.slice(0, 256) : undefined);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A request's IDs. The correlation ID, when the client sent none, is made on first read: most answers never show it. */
class Ids implements RequestIds {
  readonly traceId = randomUUID();
  /** Milliseconds since the epoch; `at` is made from it when read. */
  readonly time = Date.now();
  private correlation: string | undefined;
  private date: Date | undefined;
  constructor(
    readonly origin: string,
    sent: string | undefined,
  ) {
    this.correlation = sent;
  }
  get correlationId(): string {
    return (this.correlation ??= randomUUID());
  }
  get at(): Date {
    return (this.date ??= new Date(this.time));
  }
}

/** trace_id = x-ms-request-id; correlation_id = the client's client-request-id when it sent one (unverified, as Entra seems to). */
function assignIds(ctx: Context, origins: Origins, querystring: string): RequestIds {
  // The query is parsed only when it can hold the ID: most requests carry it in a header or not at all.
  const q = querystring.includes('client-request-id') ? ctx.query['client-request-id'] : undefined;
  const sent = ctx.get('client-request-id') || (typeof q === 'string' ? q : '');
  // As Microsoft, error_uri names the login alias the request was sent to (reference §1); ctx.hostname is read only then.
  const origin = origins.asMicrosoft ? origins.loginFor(ctx.hostname) : origins.login;
  const ids = new Ids(origin, GUID.test(sent) ? sent.toLowerCase() : undefined);
  // Straight onto the response: koa's ctx.set adds nothing for headers set before the answer.
  ctx.res.setHeader('x-ms-request-id', ids.traceId);
  // Echoed to a client that sent one (unverified: Entra's answers to requests without it carry none
  // in the traces we have seen); errors carry the correlation ID either way.
  if (sent) ctx.res.setHeader('client-request-id', ids.correlationId);
  ctx.res.setHeader('x-ms-ests-server', 'mock-entra');
  return ids;
}

/**
 * ISO time of a request: requests of the same millisecond share one string, and within a second
 * only the milliseconds are written again (toISOString is not cheap at this rate).
 */
let lastMs = Number.NaN;
let lastIso = '';
let secondStart = Number.NaN;
let secondPrefix = '';
export function isoTime(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    const into = ms - secondStart;
    if (into >= 0 && into < 1000) lastIso = `${secondPrefix}${into < 10 ? '00' : into < 100 ? '0' : ''}${into}Z`;
    else {
      lastIso = new Date(ms).toISOString();
      secondStart = ms - (ms % 1000);
      secondPrefix = lastIso.slice(0, 20);
    }
  }
  return lastIso;
}

/** The JSON log line of a record (no artifacts), written member by member in the record's order. */
export function jsonLine(r: RequestRecord): string {
  const q = JSON.stringify;
  // A method is a token (Node's parser takes no other): nothing in it to escape.
  let out = `{"time":"${r.time}","method":"${r.method}","path":${q(r.path)},"status":${r.status},"ms":${r.ms},"traceId":"${r.traceId}"`;
  if (r.aadsts !== undefined) out += `,"aadsts":${r.aadsts}`;
  if (r.rule !== undefined) out += `,"rule":${q(r.rule)}`;
  if (r.clientId !== undefined) out += `,"clientId":${q(r.clientId)}`;
  if (r.app !== undefined) out += `,"app":${q(r.app)}`;
  if (r.user !== undefined) out += `,"user":${q(r.user)}`;
  return `${out}}\n`;
}

function recordOf(ctx: Context, tx: Transaction, started: number): RequestRecord {
  const app = tx.app && !tx.app.firstParty ? tx.app : undefined;
  // An app the directory does not know is still worth showing by the ID the request named.
  const clientId = app?.clientId ?? short(tx.body.client_id) ?? (tx.querystring.includes('client_id') ? short(ctx.query.client_id) : undefined);
  const user = tx.user?.upn ?? short(tx.userHint);
  const record: RequestRecord = {
    time: isoTime(tx.ids.time),
    method: ctx.method,
    path: ctx.path,
    status: ctx.status,
    ms: Math.round((performance.now() - started) * 10) / 10,
    traceId: tx.ids.traceId,
  };
  // Optional members only when present (the JSON log and the dashboard show what there is).
  if (tx.aadsts) record.aadsts = tx.aadsts;
  if (tx.fired) record.rule = tx.fired.name ?? tx.fired.id;
  if (clientId) record.clientId = clientId;
  if (app) record.app = app.name;
  if (user) record.user = user;
  if (tx.artifacts.length) {
    const artifacts = tx.artifacts.filter((a) => a.value.length <= ARTIFACT_LIMIT);
    if (artifacts.length) record.artifacts = artifacts;
  }
  return record;
}

/**
 * Records wait to be written together: once 256 are pending, or 50 ms after the first of them,
 * and before anyone reads the recent requests or the process exits. A batch's JSON lines are
 * encoded once: the same bytes are kept as the recent requests' chunk and written to stdout (a
 * synchronous write per call to a file or pipe, so one a batch). What waits is the small records,
 * not a string being built.
 */
const BATCH = 256;
const BATCH_MS = 50;
/** The logs holding pending records: written by the one exit hook. */
const unwritten = new Set<() => void>();
let exitHook = false;

/** The pretty log's line of a record. */
const prettyLine = (r: RequestRecord) => `${r.time.slice(11, 23)} ${r.method} ${r.path} ${r.status}${r.aadsts ? ` AADSTS${r.aadsts}` : ''}${r.rule ? ` [rule: ${r.rule}]` : ''} ${r.ms}ms\n`;

export interface RequestLogOptions {
  origin: Origins;
  format: LogFormat;
  world(): World;
  events: MockEvents;
  /** Where the records are kept (the dashboard's recent requests); the log adds them a batch at a time. */
  recent: RecentRequests;
  /** Hands a record on as its request ends (the other instances of a shared store). */
  replicate?(r: RequestRecord): void;
  /** Keeps the record of a sign-in attempt the request ended (the sign-in log). */
  keepSignIn(e: LoggedSignIn): void;
}

/** The request log's two ends of a request: open() makes its transaction, close() writes its record. */
export interface RequestLog {
  open(ctx: Context): Transaction;
  /** Once the answer is settled (errors rendered): the sign-in record, the request record, the log line. */
  close(ctx: Context, tx: Transaction, started: number): void;
  /** The newest records, pending ones included (RecentRequests.list). */
  list(): RequestRecord[];
  /** Keeps a record another instance logged, after this one's pending records. */
  mirror(r: RequestRecord): void;
  /** Forgets the kept records (pending ones are still printed). */
  clear(): void;
}

export function requestLog(o: RequestLogOptions): RequestLog {
  let pending: RequestRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  const drain = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    unwritten.delete(drain);
    if (!pending.length) return;
    const batch = pending;
    pending = [];
    let text = '';
    for (const r of batch) text += jsonLine(r);
    const bytes = Buffer.from(text, 'utf8');
    o.recent.addBatch(batch, bytes);
    if (o.format === 'json') process.stdout.write(bytes);
    else if (o.format === 'pretty') process.stdout.write(batch.map(prettyLine).join(''));
  };
  return {
    open(ctx) {
      const querystring = ctx.querystring;
      const tx = new Transaction({ ids: assignIds(ctx, o.origin, querystring), world: o.world(), events: o.events, request: ctx, querystring });
      ctx.state.tx = tx;
      return tx;
    },
    close(ctx, tx, started) {
      // One sign-in attempt = one record, written where it ended (signins.ts decides from the transaction).
      const signIn = signInOf(tx, ctx);
      if (signIn) {
        o.keepSignIn(signIn);
        // A sign-in started (page shown, device code issued) is no attempt yet: the log holds it aside.
        // Built for a listener only: the log builds its records when read.
        if (!signIn.pending && o.events.listened('signInLog')) o.events.emit('signInLog', signIn.record);
      }
      if (tx.unlogged) return;
      const record = recordOf(ctx, tx, started);
      o.replicate?.(record);
      o.events.emit('request', record);
      pending.push(record);
      if (pending.length >= BATCH) drain();
      else if (!timer) {
        // Unref'd: pending records never keep the process alive (the exit hook writes them).
        timer = setTimeout(drain, BATCH_MS).unref();
        unwritten.add(drain);
        if (!exitHook) {
          exitHook = true;
          process.once('exit', () => {
            for (const d of unwritten) d();
          });
        }
      }
    },
    list() {
      drain();
      return o.recent.list();
    },
    mirror(r) {
      drain();
      o.recent.add(r);
    },
    clear() {
      drain();
      o.recent.clear();
    },
  };
}
