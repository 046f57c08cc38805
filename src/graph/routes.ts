/**
 * A small Microsoft Graph: what apps call right after sign-in, and what the groups overage points
 * to. Served on our host; point your Graph base URL (https://graph.microsoft.com) at it.
 */
import type { Context } from 'koa';
import type { User } from '../directory/model.js';
import { findUser } from '../directory/lookup.js';
import * as claims from '../entra/claims.js';
import { GraphError } from '../entra/errors.js';
import { DIRECTORY_ROLES, type Origins } from '../entra/urls.js';
import type { Handlers } from '../server/routes.js';
import type { SignInLog } from '../server/signins.js';
import { type GraphCaller, graphCaller, requirePermission } from './auth.js';
import { forGraph, requireAuditLogReader, signInsPage } from './signins.js';

const READ_SELF = ['User.Read', 'User.ReadBasic.All', 'User.Read.All', 'Directory.Read.All'];
const READ_USERS = ['User.ReadBasic.All', 'User.Read.All', 'Directory.Read.All'];
const READ_MEMBERSHIP = ['GroupMember.Read.All', 'Directory.Read.All'];
const ROLE_NAMES = new Map(Object.entries(DIRECTORY_ROLES).map(([name, id]) => [id, name]));

type GraphRoute =
  | 'graph.me'
  | 'graph.user'
  | 'graph.me.memberOf'
  | 'graph.user.memberOf'
  | 'graph.me.getMemberObjects'
  | 'graph.me.getMemberGroups'
  | 'graph.user.getMemberObjects'
  | 'graph.user.getMemberGroups'
  | 'graph.overage'
  | 'graph.signIns'
  | 'graph.signIn'
  | 'userinfo'
  | 'userinfo.v1';

export function graphHandlers(o: { origin: Origins; signIns: SignInLog }): Handlers<GraphRoute> {
  const base = `${o.origin.graph}/v1.0`;

  /** Every Graph call: a bearer token this server issued for Graph (errors in Graph's envelope, the route's channel). */
  const handle = (fn: (ctx: Context, caller: GraphCaller) => unknown) => async (ctx: Context) => {
    const caller = graphCaller(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await fn(ctx, caller);
  };

  const me = (c: GraphCaller): User => {
    if (!c.user) throw new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
    return c.user;
  };
  /** `/users/{id or UPN}`: anyone may read themselves; others need User.ReadBasic.All or an app role. */
  const someone = (ctx: Context, c: GraphCaller, scopes: string[], roles: string[]): User => {
    // The router decoded the path parameter already; decoding again would read '%25' as a broken '%'.
    const ref = String(ctx.params.id);
    const user = findUser(c.tenant, ref);
    if (!(user && c.user && user.id === c.user.id)) requirePermission(c, scopes, roles);
    if (!user) throw new GraphError(404, 'Request_ResourceNotFound', `Resource '${ref}' does not exist or one of its queried reference-property objects are not present.`);
    return user;
  };
  const userResource = (u: User) => ({
    '@odata.context': `${base}/$metadata#users/$entity`,
    businessPhones: [],
    displayName: u.name,
    givenName: u.givenName || null,
    jobTitle: null,
    mail: u.mail || null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: u.surname || null,
    userPrincipalName: u.upn,
    id: u.id,
  });
  const memberOf = (u: User) => ({
    '@odata.context': `${base}/$metadata#directoryObjects`,
    value: [
      ...u.groups.map((g) => ({ '@odata.type': '#microsoft.graph.group', id: g.id, displayName: g.name, securityEnabled: true, mailEnabled: false, groupTypes: [] })),
      ...u.directoryRoles.map((id) => ({ '@odata.type': '#microsoft.graph.directoryRole', id, roleTemplateId: id, displayName: ROLE_NAMES.get(id) ?? id })),
    ],
  });
  const memberIds = (u: User, groupsOnly: boolean) => ({
    '@odata.context': `${base}/$metadata#Collection(Edm.String)`,
    value: [...u.groups.map((g) => g.id), ...(groupsOnly ? [] : u.directoryRoles)],
  });

  const memberIdsOf = (groupsOnly: boolean) => ({
    me: handle((_ctx, c) => {
      const u = me(c);
      requirePermission(c, [...READ_SELF, ...READ_MEMBERSHIP], []);
      return memberIds(u, groupsOnly);
    }),
    user: handle((ctx, c) => memberIds(someone(ctx, c, READ_MEMBERSHIP, READ_MEMBERSHIP), groupsOnly)),
  });
  const objects = memberIdsOf(false);
  const groups = memberIdsOf(true);
  // Graph's OIDC userinfo (reference §11): `sub` equals the app's ID-token `sub`.
  const userinfo = handle((_ctx, c) => claims.userinfo(c.tenant, c.appId, me(c), c.scopes));
  return {
    'graph.me': handle((_ctx, c) => {
      const u = me(c);
      requirePermission(c, READ_SELF, []);
      return userResource(u);
    }),
    'graph.user': handle((ctx, c) => userResource(someone(ctx, c, READ_USERS, ['User.Read.All', 'Directory.Read.All']))),
    'graph.me.memberOf': handle((_ctx, c) => {
      const u = me(c);
      requirePermission(c, READ_MEMBERSHIP, []);
      return memberOf(u);
    }),
    'graph.user.memberOf': handle((ctx, c) => memberOf(someone(ctx, c, READ_MEMBERSHIP, READ_MEMBERSHIP))),
    'graph.me.getMemberObjects': objects.me,
    'graph.me.getMemberGroups': groups.me,
    'graph.user.getMemberObjects': objects.user,
    'graph.user.getMemberGroups': groups.user,
    // Where the groups overage claim points (Azure AD Graph's path shape, reference §4).
    'graph.overage': handle((ctx, c) => {
      const u = someone(ctx, c, READ_MEMBERSHIP, READ_MEMBERSHIP);
      return { 'odata.metadata': `${o.origin.graph}/${c.tenant.id}/$metadata#Collection(Edm.String)`, value: u.groups.map((g) => g.id) };
    }),
    // Sign-in logs (reference §15): the caller's tenant's records, newest first.
    'graph.signIns': handle((ctx, c) => {
      requireAuditLogReader(c);
      const one = (n: string) => (typeof ctx.query[n] === 'string' ? (ctx.query[n] as string) : undefined);
      const records = o.signIns.newest().filter((r) => r.mockEntra.tenantId === c.tenant.id);
      return signInsPage(records, { $filter: one('$filter'), $top: one('$top'), $skiptoken: one('$skiptoken') }, base);
    }),
    'graph.signIn': handle((ctx, c) => {
      requireAuditLogReader(c);
      const id = String(ctx.params.id);
      const r = o.signIns.newest().find((s) => s.id === id && s.mockEntra.tenantId === c.tenant.id);
      if (!r) throw new GraphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
      return { '@odata.context': `${base}/$metadata#auditLogs/signIns/$entity`, ...forGraph(r) };
    }),
    userinfo,
    'userinfo.v1': userinfo,
  };
}
