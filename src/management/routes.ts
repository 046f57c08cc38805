/**
 * Azure Resource Manager, just enough for `az login` (reference §14): the subscriptions and
 * tenants the caller's tenant has, from the scenario's `tenant.subscriptions`. Served on
 * management.azure.com in the as-Microsoft mode (and on the mock's own origin in any mode).
 * Errors wear ARM's envelope (`{ error: { code, message } }`); texts as ARM answers them in
 * public traces (unverified beyond those).
 */
import type { Context } from 'koa';
import type { Tenant } from '../directory/model.js';
import { ArmError } from '../entra/errors.js';
import { ARM, isArmAudience, type Origins } from '../entra/urls.js';
import { verifyOwnJwt } from '../keys/signing.js';
import type { Handlers } from '../server/routes.js';

type ManagementRoute = 'arm.subscriptions' | 'arm.tenants';

/** ARM's list in its 401 text: each App ID URI with and without its trailing slash. */
const ALLOWED_AUDIENCES = [ARM.resource, ...ARM.otherResources].flatMap((r) => [r, r.replace(/\/+$/, '')]).map((r) => `'${r}'`).join(',');

/** The caller's tenant: a bearer access token this server issued for ARM, unexpired. */
function callerTenant(ctx: Context): Tenant {
  const tx = ctx.state.tx;
  const header = ctx.get('authorization');
  if (!header) throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
  const token = /^bearer\s+(.+)$/i.exec(header)?.[1];
  if (!token) throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.");
  const verified = verifyOwnJwt(token, tx.world.keys.signing);
  if (typeof verified === 'string') throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
  const c = verified.payload;
  if (!isArmAudience(c.aud)) {
    throw new ArmError(401, 'InvalidAuthenticationTokenAudience', `The access token has been obtained for wrong audience or resource '${String(c.aud)}'. It should exactly match with one of the allowed audiences ${ALLOWED_AUDIENCES}.`);
  }
  if (typeof c.exp !== 'number' || c.exp * 1000 < Date.now()) {
    const at = (s: number) => new Date(s * 1000).toISOString().slice(0, 19).replace('T', ' ');
    throw new ArmError(401, 'ExpiredAuthenticationToken', `The access token expiry UTC time '${at(Number(c.exp) || 0)}' is earlier than current UTC time '${at(Date.now() / 1000)}'.`);
  }
  const tenant = tx.world.directory.tenants.find((t) => t.id === c.tid);
  if (!tenant) throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
  tx.tenant = tenant;
  return tenant;
}

/** Every ARM request names its api-version; az sends 2022-12-01 (older builds 2019-11-01). */
function requireApiVersion(ctx: Context): void {
  if (typeof ctx.query['api-version'] !== 'string' || !ctx.query['api-version']) {
    throw new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
  }
}

const list = (ctx: Context, value: unknown[]) => {
  ctx.set('Cache-Control', 'no-cache');
  ctx.type = 'application/json; charset=utf-8';
  ctx.body = { value, count: { type: 'Total', value: value.length } };
};

export function managementHandlers(_o: { origin: Origins }): Handlers<ManagementRoute> {
  return {
    // Shape of Microsoft.Resources 2022-12-01 "Subscriptions_List" (azure-rest-api-specs examples).
    'arm.subscriptions': (ctx) => {
      requireApiVersion(ctx);
      const tenant = callerTenant(ctx);
      list(
        ctx,
        tenant.subscriptions.map((s) => ({
          id: `/subscriptions/${s.id}`,
          authorizationSource: 'RoleBased',
          managedByTenants: [],
          subscriptionId: s.id,
          tenantId: tenant.id,
          displayName: s.displayName,
          state: s.state,
          subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
        })),
      );
    },
    // "Tenants_List": the caller's home tenant.
    'arm.tenants': (ctx) => {
      requireApiVersion(ctx);
      const tenant = callerTenant(ctx);
      list(ctx, [
        {
          id: `/tenants/${tenant.id}`,
          tenantId: tenant.id,
          countryCode: 'US',
          displayName: tenant.name,
          domains: [tenant.domain],
          tenantCategory: 'Home',
          defaultDomain: tenant.domain,
          tenantType: 'AAD',
        },
      ]);
    },
  };
}
