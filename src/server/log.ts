/** First middleware: Entra's request IDs on every response, and one log record per request. */
import type { Context, Next } from 'koa';
import type { Tenant } from '../directory/model.js';
import { SAML_CLAIMS } from '../entra/claims.js';
import { decodeMessage } from '../saml/xml.js';
import { decodeJwt, looksLikeJwt, samlFacts } from '../ui/decode.js';
import { assignIds, requestBody } from './context.js';
import type { World } from './world.js';

export type LogFormat = 'pretty' | 'json' | 'silent';

/** A token or SAML message a request carried or answered with, kept for the dashboard's detail view. */
export interface Artifact {
  name: 'id_token' | 'access_token' | 'SAMLRequest' | 'SAMLResponse';
  kind: 'jwt' | 'saml';
  /** The compact JWT, or the SAML message's XML. */
  value: string;
  direction: 'request' | 'response';
}

export interface RequestRecord {
  time: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  traceId: string;
  aadsts?: number;
  /** The fault rule that fired on this request (its name, or id). */
  rule?: string;
  /** The app the request named (client_id, SAML Issuer or Audience, launch URL), when known. */
  clientId?: string;
  /** That app's name in the scenario. */
  app?: string;
  /** The user's UPN when known: login_hint, the username typed, or the subject of what was issued. */
  user?: string;
  /** Tokens and SAML messages; never secrets, passwords or refresh tokens. Only in memory, never printed. */
  artifacts?: Artifact[];
}

/** Requests that are not traffic to the identity provider (the dashboard polling itself) stay out of the log. */
export function leaveUnlogged(ctx: Context): void {
  ctx.state.unlogged = true;
}

/** Larger values are not kept: the log holds 500 records and must stay small. */
const ARTIFACT_LIMIT = 32 * 1024;
const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
/** Client IDs and user names come from the request: cap them, they are only for display. */
const short = (v: unknown) => str(v)?.slice(0, 256);

function basicClientId(ctx: Context): string | undefined {
  const m = /^basic\s+(.+)$/i.exec(ctx.get('authorization'));
  if (!m) return undefined;
  // Only the part before the colon: the secret after it is never read.
  const user = Buffer.from(m[1]!, 'base64').toString('utf8').split(':')[0];
  try {
    return user ? decodeURIComponent(user) : undefined;
  } catch {
    return undefined;
  }
}

/** Tokens in a token response, a redirect (query or fragment) or a form_post page. */
function issuedTokens(ctx: Context): Array<[Artifact['name'], string]> {
  const found = new Map<Artifact['name'], string>();
  const take = (name: Artifact['name'], v: unknown) => {
    if (typeof v === 'string' && looksLikeJwt(v) && v.length <= ARTIFACT_LIMIT) found.set(name, v);
  };
  const body: unknown = ctx.body;
  if (body && typeof body === 'object' && !Buffer.isBuffer(body)) {
    take('id_token', (body as Record<string, unknown>).id_token);
    take('access_token', (body as Record<string, unknown>).access_token);
  } else if (typeof body === 'string' && body.includes('name="id_token"')) {
    for (const m of body.matchAll(/name="(id_token|access_token)" value="([^"]+)"/g)) take(m[1] as Artifact['name'], m[2]);
  }
  const location = ctx.response.get('location');
  if (location && /[?#&](id_token|access_token)=/.test(location)) {
    const u = new URL(location, 'http://x');
    for (const params of [u.searchParams, new URLSearchParams(u.hash.slice(1))]) {
      take('id_token', params.get('id_token'));
      take('access_token', params.get('access_token'));
    }
  }
  return [...found];
}

function samlMessages(ctx: Context): Artifact[] {
  const out: Artifact[] = [];
  const add = (name: Artifact['name'], xml: string | undefined, direction: Artifact['direction']) => {
    if (xml && xml.length <= ARTIFACT_LIMIT) out.push({ name, kind: 'saml', value: xml, direction });
  };
  const decode = (v: unknown, binding: 'redirect' | 'post') => {
    try {
      return typeof v === 'string' && v ? decodeMessage(v, binding) : undefined;
    } catch {
      return undefined;
    }
  };
  const body = requestBody(ctx);
  add('SAMLRequest', decode(ctx.query.SAMLRequest, 'redirect') ?? decode(body.SAMLRequest, 'post'), 'request');
  const location = ctx.response.get('location');
  const redirected = location?.includes('SAMLResponse=') ? new URL(location, 'http://x').searchParams.get('SAMLResponse') : undefined;
  add('SAMLResponse', str(ctx.state.samlResponse) ?? decode(redirected, 'redirect'), 'response');
  return out;
}

type Observed = Pick<RequestRecord, 'clientId' | 'app' | 'user' | 'artifacts'>;

/** Who and what a request was about, read from the request and its answer after the engines ran. */
function observe(ctx: Context): Observed {
  const world = ctx.state.world as World | undefined;
  const tenants: Tenant[] = world?.directory.tenants ?? [];
  const apps = tenants.flatMap((t) => t.apps.filter((a) => !a.firstParty));
  const body = requestBody(ctx);
  const q = ctx.query as Record<string, unknown>;
  let clientId = short(q.client_id) ?? short(body.client_id) ?? short(basicClientId(ctx)) ?? short(/^\/api\/signin\/([^/]+)/.exec(ctx.path)?.[1]) ?? short(q.appid);
  let user = short(q.login_hint) ?? short(body.login_hint) ?? short(body.username);

  // oidc-provider's context, on requests it handled (the authorize resume after the login page).
  const oidc = (ctx as { oidc?: { client?: { clientId?: unknown }; session?: { accountId?: unknown } } }).oidc;
  clientId ??= short(oidc?.client?.clientId);
  const accountId = str(oidc?.session?.accountId);
  user ??= accountId ? tenants.flatMap((t) => t.users).find((u) => u.id === accountId)?.upn : undefined;

  const artifacts: Artifact[] = [];
  for (const [name, value] of issuedTokens(ctx)) {
    artifacts.push({ name, kind: 'jwt', value, direction: 'response' });
    const claims = decodeJwt(value)?.claims ?? {};
    if (name === 'id_token') clientId ??= str(claims.aud);
    else clientId ??= str(claims.appid) ?? str(claims.azp);
    user ??= str(claims.preferred_username) ?? str(claims.upn) ?? str(claims.unique_name);
  }
  for (const a of samlMessages(ctx)) {
    artifacts.push(a);
    const facts = samlFacts(a.value);
    if (!facts) continue;
    const entity = a.direction === 'request' ? facts.issuer : facts.audience;
    clientId ??= apps.find((app) => app.saml && entity && app.saml.identifier === entity)?.clientId;
    const oid = facts.attributes[SAML_CLAIMS.objectidentifier]?.[0];
    user ??= tenants.flatMap((t) => t.users).find((u) => u.id === oid)?.upn ?? facts.nameId;
  }
  const app = clientId ? apps.find((a) => a.clientId === clientId!.toLowerCase()) : undefined;
  return {
    ...(clientId ? { clientId } : {}),
    ...(app ? { app: app.name } : {}),
    ...(user ? { user } : {}),
    ...(artifacts.length ? { artifacts } : {}),
  };
}

export function requestLog(origin: string, format: LogFormat, onRecord?: (r: RequestRecord) => void) {
  return async (ctx: Context, next: Next) => {
    const started = performance.now();
    const ids = assignIds(ctx, origin);
    try {
      await next();
    } finally {
      if (!ctx.state.unlogged) {
        let observed: Observed = {};
        try {
          observed = observe(ctx);
        } catch {
          // The log never turns a served request into an error.
        }
        const record: RequestRecord = {
          time: ids.at.toISOString(),
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
          traceId: ids.traceId,
          ...(ctx.state.aadsts ? { aadsts: ctx.state.aadsts as number } : {}),
          ...(ctx.state.fault ? { rule: (ctx.state.fault as { name?: string; id: string }).name ?? (ctx.state.fault as { id: string }).id } : {}),
          ...observed,
        };
        onRecord?.(record);
        if (format === 'json') {
          const { artifacts: _, ...line } = record;
          process.stdout.write(`${JSON.stringify(line)}\n`);
        } else if (format === 'pretty') {
          const code = record.aadsts ? ` AADSTS${record.aadsts}` : '';
          const rule = record.rule ? ` [rule: ${record.rule}]` : '';
          process.stdout.write(`${record.time.slice(11, 23)} ${record.method} ${record.path} ${record.status}${code}${rule} ${record.ms}ms\n`);
        }
      }
    }
  };
}
