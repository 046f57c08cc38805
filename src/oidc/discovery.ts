/** Discovery documents and JWKS in Entra's shape (reference §2, §3), built from the directory, not by the provider. */
import type { Tenant } from '../directory/model.js';
import { TENANT_ALIASES } from '../directory/lookup.js';
import { GRAPH, paths, v1Issuer, v2Issuer, type Origins } from '../entra/urls.js';
import { pathUrl, url } from '../server/routes.js';
import type { SigningKey } from '../keys/store.js';

/** The members both versions end with: region and Microsoft cloud hosts. */
function cloud(alias: boolean, tenant: Tenant) {
  return {
    tenant_region_scope: alias ? null : tenant.region,
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: new URL(GRAPH.resource).host,
    rbac_url: 'https://pas.windows.net',
  };
}

/** `segment` is what the client used; endpoints carry the tenant GUID unless it used an alias, as Entra does. */
export function discoveryV2(origin: Origins, tenant: Tenant, segment: string) {
  const alias = TENANT_ALIASES.has(segment.toLowerCase());
  const t = { tenant: alias ? segment.toLowerCase() : tenant.id };
  return {
    token_endpoint: url(origin, 'token.v2', t),
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: url(origin, 'jwks.v2', t),
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: alias ? v2Issuer(origin, '{tenantid}') : v2Issuer(origin, tenant.id),
    request_uri_parameter_supported: false,
    userinfo_endpoint: url(origin, 'userinfo'),
    authorization_endpoint: url(origin, 'authorize.v2', t),
    device_authorization_endpoint: url(origin, 'devicecode.v2', t),
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: url(origin, 'logout.v2', t),
    claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
    kerberos_endpoint: pathUrl(origin, paths.kerberos, t),
    ...cloud(alias, tenant),
  };
}

export function discoveryV1(origin: Origins, tenant: Tenant, segment: string) {
  const alias = TENANT_ALIASES.has(segment.toLowerCase());
  const t = { tenant: alias ? segment.toLowerCase() : tenant.id };
  return {
    token_endpoint: url(origin, 'token.v1', t),
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: url(origin, 'jwks.v1', { tenant: 'common' }),
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
    scopes_supported: ['openid'],
    issuer: alias ? v1Issuer('{tenantid}') : v1Issuer(tenant.id),
    microsoft_multi_refresh_token: true,
    authorization_endpoint: url(origin, 'authorize.v1', t),
    device_authorization_endpoint: url(origin, 'devicecode.v1', t),
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: url(origin, 'logout.v1', t),
    claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'amr', 'nonce', 'email', 'given_name', 'family_name', 'nickname'],
    check_session_iframe: pathUrl(origin, paths.v1.checksession, t),
    userinfo_endpoint: url(origin, 'userinfo.v1', t),
    kerberos_endpoint: pathUrl(origin, paths.kerberos, t),
    ...cloud(alias, tenant),
  };
}

/** Per-key `issuer`: on a tenant's endpoint its own issuer (unverified), on an alias the `{tenantid}` template. */
export function jwks(keys: SigningKey[], issuer: string) {
  return {
    keys: keys.map((k) => ({ kty: 'RSA', use: 'sig', kid: k.kid, x5t: k.x5t, n: k.publicJwk.n, e: k.publicJwk.e, x5c: [k.x5c], issuer })),
  };
}
