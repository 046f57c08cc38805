/**
 * Static documents (discovery v1/v2, JWKS, federation metadata, instance discovery) as prepared
 * bytes: built on first request, once per world and per key (tenant as named, app, query), then
 * served as the same Buffer with an ETag. A scenario switch builds a new world, so a document
 * never outlives the directory and keys it was built from.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Context } from 'koa';
import { findTenant, TENANT_ALIASES } from '../directory/lookup.js';
import { EntraError } from '../entra/errors.js';
import { type Origins, PUBLIC_CLOUD_METADATA, v1Issuer, v2Issuer } from '../entra/urls.js';
import { type BuiltinIssuerName, isBuiltinIssuer, issuerDiscovery, issuerJwks } from '../issuers/builtin.js';
import { discoveryV1, discoveryV2, jwks } from '../oidc/discovery.js';
import { BUILTIN_ISSUERS } from '../scenario/schema.js';
import { type Handlers, type RoutesOf, url } from './routes.js';
import type { Transaction } from './transaction.js';
import { MOCK_ENTRA_VERSION } from '../version.js';

export interface Prepared {
  body: Buffer;
  /** Strong ETag: a hash of the bytes. */
  etag: string;
  type: string;
}

/** Entra's headers on metadata (reference §1): cached a day by the client, readable cross-origin. */
const METADATA_HEADERS = [
  ['Cache-Control', 'max-age=86400, private'],
  ['Access-Control-Allow-Origin', '*'],
] as const;
const setMetadataHeaders = (ctx: Context) => {
  for (const [name, value] of METADATA_HEADERS) ctx.res.setHeader(name, value);
};

/** Keys come partly from the request (a tenant alias, `?appid=`, MSAL's authorization_endpoint): the cache is bounded. */
const MAX_DOCUMENTS = 512;

export function prepare(text: string, type: string): Prepared {
  const body = Buffer.from(text, 'utf8');
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, type };
}

export const prepareJson = (value: unknown) => prepare(JSON.stringify(value), 'application/json; charset=utf-8');

/** One world's documents. A failed build is not kept: the next request tries again. */
export class Documents {
  /** The document once built (answered without a promise), or its build while it runs. */
  private readonly cache = new Map<string, Prepared | Promise<Prepared>>();

  get(key: string, build: () => Prepared | Promise<Prepared>): Prepared | Promise<Prepared> {
    const hit = this.cache.get(key);
    if (hit) return hit;
    // Oldest out first: the documents a deployment uses are few and stay hot.
    if (this.cache.size >= MAX_DOCUMENTS) this.cache.delete(this.cache.keys().next().value!);
    const p = Promise.resolve().then(build);
    this.cache.set(key, p);
    p.then(
      (doc) => {
        if (this.cache.get(key) === p) this.cache.set(key, doc);
      },
      () => {
        if (this.cache.get(key) === p) this.cache.delete(key);
      },
    );
    return p;
  }
}

/** Answers with a prepared document: 304 when the client's If-None-Match already names it. */
export function sendPrepared(ctx: Context, doc: Prepared): void {
  setMetadataHeaders(ctx);
  ctx.res.setHeader('ETag', doc.etag);
  const match = ctx.get('if-none-match');
  if (match && (match === '*' || match.split(',').some((t) => t.trim().replace(/^W\//, '') === doc.etag))) {
    ctx.status = 304;
    return;
  }
  // The header as prepared: ctx.type would look the media type up again on every request.
  ctx.res.setHeader('Content-Type', doc.type);
  ctx.body = doc.body;
}


/** A built-in issuer named in the path; another name is a path the mock does not serve. */
function builtinIssuerNamed(name: string): BuiltinIssuerName {
  if (isBuiltinIssuer(name)) return name;
  throw new EntraError(90023, { status: 404, params: { detail: `No built-in issuer '${name}' at this path: the mock's own issuers are ${BUILTIN_ISSUERS.join(' and ')} (/_issuers/NAME).` } });
}

/** How the request named its tenant, as far as the documents differ by it: an alias (lower case) or the tenant's GUID. */
const tenantKey = (tx: Transaction) => (TENANT_ALIASES.has(tx.segment!.toLowerCase()) ? tx.segment!.toLowerCase() : tx.tenant!.id);

/**
 * GET /health's answer: `status` ok while the server answers, the running `scenario` by name (the
 * file's, without its folder: the endpoint is unauthenticated), `uptime` in whole seconds and the
 * `version` of mock-entra. `scenarioError` is there while `serve --watch` holds an edit that does not load.
 */
export interface Health {
  status: 'ok';
  scenario: string;
  uptime: number;
  version: string;
  scenarioError?: true;
}

export interface DocumentOptions {
  origin: Origins;
  /** When the server started (Date.now()), for /health's uptime. */
  startedAt?: number;
  /** serve --watch: whether the last edit of the scenario failed to load. */
  watchError?: () => boolean;
}

/** The metadata front-end: documents built from the directory and keys, never by the provider (and /health). */
export function documentHandlers(o: DocumentOptions): Handlers<RoutesOf<'documents'>> {
  const startedAt = o.startedAt ?? Date.now();
  const serve = (ctx: Context, tx: Transaction, key: string, build: () => Prepared | Promise<Prepared>) => {
    const doc = tx.world.documents.get(key, build);
    return doc instanceof Promise ? doc.then((d) => sendPrepared(ctx, d)) : sendPrepared(ctx, doc);
  };
  const host = new URL(o.origin.login).host;
  // As Microsoft: Entra's own public-cloud metadata (reference §9); else this host as the only alias.
  const metadata = o.origin.asMicrosoft ? PUBLIC_CLOUD_METADATA : [{ preferred_network: host, preferred_cache: host, aliases: [host] }];
  const keysFor = (tx: Transaction, issuer: (tid: string) => string) => {
    const t = tenantKey(tx);
    return jwks(tx.world.keys.signing, issuer(TENANT_ALIASES.has(t) ? '{tenantid}' : t));
  };
  const issuerKeys = (ctx: Context, tx: Transaction) => {
    const name = builtinIssuerNamed(String(ctx.params.issuer));
    return serve(ctx, tx, `issuer.jwks|${name}`, async () => prepareJson(issuerJwks(await tx.runtime.issuerKey(tx.world.keys.certsDir, name))));
  };
  return {
    health: (ctx, tx) => {
      const source = tx.world.source;
      const body: Health = {
        status: 'ok',
        scenario: source === '<inline>' ? source : basename(source).replace(/\.(ya?ml|json)$/i, ''),
        uptime: Math.floor((Date.now() - startedAt) / 1000),
        version: MOCK_ENTRA_VERSION,
        ...(o.watchError?.() ? { scenarioError: true as const } : {}),
      };
      ctx.set('Cache-Control', 'no-store');
      ctx.body = body;
    },
    // MSAL's instance discovery: 200 for any tenant, naming this host as the only cloud alias (as Microsoft: the public cloud's).
    // Kept by the query as sent: a client asks with the same one every time, and is answered without parsing it.
    instanceDiscovery: (ctx, tx) =>
      serve(ctx, tx, `instance?${tx.querystring}`, () => {
        const auth = String(ctx.query.authorization_endpoint ?? '');
        const tenant = /^https?:\/\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'common';
        const version = String(ctx.query['api-version'] ?? '1.1');
        return prepareJson({
          tenant_discovery_endpoint: url(o.origin, 'discovery.v2', { tenant }),
          'api-version': version,
          metadata,
        });
      }),
    // Home-realm discovery, asked by MSAL before ROPC: per user, so built each time. Body shape (unverified) after MSAL's and ADAL's readers.
    userRealm: (ctx, tx) => {
      const user = String(ctx.params.user);
      const domain = (user.includes('@') ? user.split('@').pop()! : user).toLowerCase();
      const tenant = findTenant(tx.world.directory, domain);
      setMetadataHeaders(ctx);
      ctx.type = 'application/json; charset=utf-8';
      ctx.body = {
        ver: '1.0',
        account_type: tenant && tenant.domain === domain ? 'Managed' : 'Unknown',
        domain_name: domain,
        cloud_instance_name: 'microsoftonline.com',
        cloud_audience_urn: 'urn:federation:MicrosoftOnline',
      };
    },
    'discovery.v2': (ctx, tx) => serve(ctx, tx, `v2|${tenantKey(tx)}`, () => prepareJson(discoveryV2(o.origin, tx.tenant!, tx.segment!))),
    'discovery.v1': (ctx, tx) => serve(ctx, tx, `v1|${tenantKey(tx)}`, () => prepareJson(discoveryV1(o.origin, tx.tenant!, tx.segment!))),
    'jwks.v2': (ctx, tx) => serve(ctx, tx, `jwks.v2|${tenantKey(tx)}`, () => prepareJson(keysFor(tx, (t) => v2Issuer(o.origin, t)))),
    'jwks.v1': (ctx, tx) => serve(ctx, tx, `jwks.v1|${tenantKey(tx)}`, () => prepareJson(keysFor(tx, v1Issuer))),
    // The built-in external issuers: their key loads (or is made) on first use.
    'issuer.discovery': (ctx, tx) => {
      const name = builtinIssuerNamed(String(ctx.params.issuer));
      return serve(ctx, tx, `issuer|${name}`, () => prepareJson(issuerDiscovery(o.origin, name)));
    },
    'issuer.jwks.k8s': (ctx, tx) => issuerKeys(ctx, tx),
    'issuer.jwks.github': (ctx, tx) => issuerKeys(ctx, tx),
    // Signed XML: the SAML modules load on the first request for it. Per app with ?appid= (its own certificates, UTF-8 BOM).
    federationMetadata: (ctx, tx) => {
      const tenant = tx.tenant!;
      const appId = typeof ctx.query.appid === 'string' ? ctx.query.appid.toLowerCase() : undefined;
      const app = appId ? tenant.apps.find((a) => a.clientId === appId && a.saml) : undefined;
      if (appId && !app) throw new EntraError(700016, { params: { appId, tenant: tenant.id } });
      return serve(ctx, tx, `federation|${tenant.id}|${app?.clientId ?? ''}`, async () => {
        const { federationMetadata } = await import('../saml/metadata.js');
        const type = 'application/xml; charset=utf-8';
        if (!app) return prepare(await federationMetadata({ origin: o.origin, tenant, certs: tx.world.keys.signing, signer: tx.world.keys.signing[0]!, algorithm: 'sha256' }), type);
        const { appCerts } = await import('../saml/signing.js');
        const certs = await appCerts(tx.runtime, tx.world.keys.certsDir, app);
        return prepare(`\uFEFF${await federationMetadata({ origin: o.origin, tenant, certs: certs.published, signer: certs.active, algorithm: 'sha256' })}`, type);
      });
    },
  };
}
