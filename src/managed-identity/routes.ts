/**
 * The managed identity front-end (reference §12): App Service's endpoint (IDENTITY_ENDPOINT +
 * IDENTITY_HEADER) and IMDS's (/metadata/identity/oauth2/token, `Metadata: true`). It translates
 * only: `channel` checks the request the way each endpoint does and names the identity (so fault
 * rules scoped by `when.app` — the identity's name or client ID — match), the pipeline's gate runs,
 * and `handle` issues an app-only token through the one funnel and answers in the endpoint's shape.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { findManagedIdentity, findResource, type ManagedIdentityRef } from '../directory/lookup.js';
import type { ManagedIdentity } from '../directory/model.js';
import { EntraError, ManagedIdentityError } from '../entra/errors.js';
import { noStore } from '../entra/render.js';
import { MANAGED_IDENTITY } from '../entra/urls.js';
import { issueJwt } from '../issuance/funnel.js';
import { accessTokenFor } from '../oidc/tokens.js';
import { DEFAULTS } from '../scenario/defaults.js';
import { type Handlers, staged } from '../server/routes.js';
import type { Transaction } from '../server/transaction.js';

type Route = 'managedIdentity.appService' | 'managedIdentity.imds';

/** What `channel` found: the identity, and the resource as the request named it. */
interface Named {
  identity: ManagedIdentity;
  resource: string;
}

/** Exactly one identity parameter, or none; `names` maps each accepted query parameter to what it names. */
function identityRef(tx: Transaction, names: Record<string, keyof ManagedIdentityRef>): { ref: ManagedIdentityRef; given: string[] } {
  const ref: ManagedIdentityRef = {};
  const given: string[] = [];
  for (const [param, field] of Object.entries(names)) {
    const value = tx.param(param);
    if (!value) continue;
    given.push(param);
    ref[field] = value;
  }
  return { ref, given };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The app-only token for `resource`, through the funnel: Entra's claims (v1 or v2, as the resource accepts) plus xms_mirid. */
async function issue(tx: Transaction, n: Named): Promise<{ token: string; now: number; lifetime: number }> {
  const tenant = tx.tenant!;
  // IMDS's own answer for a resource the tenant does not have (reference §12.2); App Service turns it into its generic 500.
  if (!findResource(tenant, n.resource)?.api) throw new EntraError(50001, { params: { resource: n.resource, tenant: tenant.id } });
  const now = Math.floor(Date.now() / 1000);
  const lifetime = DEFAULTS.managedIdentityTokenSeconds;
  const { payload, sign } = accessTokenFor({
    origin: tx.world.origin,
    tenant,
    client: n.identity.app,
    scope: `${n.resource}/.default`,
    // appidacr "2": a managed identity authenticates with a certificate Azure holds (reference §12.4).
    clientAuth: '2',
    now,
    lifetime,
    mirid: n.identity.resourceId,
  });
  tx.clientAuth = '2';
  return { token: await issueJwt({ tx, kind: 'access_token', claims: payload, sign }), now, lifetime };
}

function answer(ctx: Context, body: Record<string, string>): void {
  noStore(ctx);
  ctx.type = 'application/json; charset=utf-8';
  ctx.body = body;
}

export function managedIdentityHandlers(o: { identityHeader: string }): Handlers<Route> {
  const expected = digest(o.identityHeader);

  /**
   * App Service / Functions, api-version 2019-08-01 (reference §12.1). One identity parameter at
   * most: client_id, principal_id (alias object_id) or mi_res_id; none: the system-assigned identity.
   */
  const appService = staged<Named>({
    channel(_ctx, tx) {
      // (unverified) App Service's answer to a missing or wrong X-IDENTITY-HEADER: we answer 401 in its error shape.
      if (!timingSafeEqual(digest(tx.header(MANAGED_IDENTITY.appServiceHeader)), expected)) {
        throw new ManagedIdentityError(401, 'The X-IDENTITY-HEADER header is missing or wrong: send the value of the IDENTITY_HEADER environment variable this server gave (mock-entra serve prints it; idp.managedIdentityEnv() returns it).');
      }
      // (unverified) App Service's texts for a missing api-version or resource: ours say what to send.
      if (tx.param('api-version') !== MANAGED_IDENTITY.appServiceApiVersion) {
        throw new ManagedIdentityError(400, `Unsupported or missing api-version '${tx.param('api-version')}': send api-version=${MANAGED_IDENTITY.appServiceApiVersion}.`);
      }
      const resource = tx.param('resource');
      if (!resource) throw new ManagedIdentityError(400, "Required query parameter 'resource' is missing: send the resource (App ID URI) to get a token for, e.g. resource=https://management.azure.com/.");
      const { ref, given } = identityRef(tx, { client_id: 'clientId', principal_id: 'objectId', object_id: 'objectId', mi_res_id: 'resourceId' });
      // Several identity parameters (unverified): App Service cannot choose, as for an identity it does not have.
      const identity = given.length > 1 ? undefined : findManagedIdentity(tx.tenant!, ref);
      if (!identity) throw new ManagedIdentityError(400, 'Unable to load the proper Managed Identity.');
      tx.app = identity.app;
      return { identity, resource };
    },
    async handle(ctx, tx, n) {
      const { token, now, lifetime } = await issue(tx, n);
      // Docs' field order; expires_on an epoch string, no expires_in.
      answer(ctx, { access_token: token, expires_on: String(now + lifetime), resource: n.resource, token_type: 'Bearer', client_id: n.identity.clientId });
    },
  });

  /**
   * IMDS, api-version 2018-02-01 (reference §12.2), `Metadata: true` required. One identity
   * parameter at most: client_id, object_id or msi_res_id; none: the system-assigned identity,
   * else the only user-assigned one. The SDKs' probe (no query, no header) gets the 400 for the
   * missing header: any answer tells them IMDS is there.
   */
  const imds = staged<Named>({
    channel(_ctx, tx) {
      // (unverified) the exact JSON: the docs give the code and its text only.
      if (tx.header('metadata').toLowerCase() !== 'true') throw new ManagedIdentityError(400, 'Required metadata header not specified', 'bad_request_102');
      // (unverified) IMDS's texts for a missing api-version or resource.
      if (!tx.param('api-version')) throw new ManagedIdentityError(400, `Required query variable 'api-version' is missing: send api-version=${MANAGED_IDENTITY.imdsApiVersion}.`);
      const resource = tx.param('resource');
      if (!resource) throw new ManagedIdentityError(400, "Required query variable 'resource' is missing");
      const { ref, given } = identityRef(tx, { client_id: 'clientId', object_id: 'objectId', msi_res_id: 'resourceId' });
      const identity = given.length > 1 ? undefined : findManagedIdentity(tx.tenant!, ref, true);
      if (!identity) throw new ManagedIdentityError(400, 'Identity not found');
      tx.app = identity.app;
      return { identity, resource };
    },
    async handle(ctx, tx, n) {
      const { token, now, lifetime } = await issue(tx, n);
      // Every value a string, as IMDS sends them; a fresh token's expires_in is its whole lifetime (IMDS caches, we do not).
      answer(ctx, {
        access_token: token,
        client_id: n.identity.clientId,
        expires_in: String(lifetime),
        expires_on: String(now + lifetime),
        ext_expires_in: String(lifetime),
        not_before: String(now - DEFAULTS.backdateSeconds),
        resource: n.resource,
        token_type: 'Bearer',
      });
    },
  });

  return { 'managedIdentity.appService': appService, 'managedIdentity.imds': imds };
}
