/**
 * fast-check arbitraries for requests to mock-entra: path parameters, query strings, form and raw
 * bodies and headers, each mixing valid-looking values (so requests get past the first check) with
 * empty, huge, repeated, malformed and random ones.
 *
 * Sizes stay under Node's 16 KiB limit on the request line plus headers: beyond it Node's parser
 * answers 431 itself, before the mock sees the request.
 */
import { randomUUID } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import type { RouteDef } from '../../src/server/routes.js';
import { ADA, API, CLI, GRACE, TENANT_DOMAIN, TENANT_ID, WEB } from '../helpers/ids.js';
import type { FuzzRequest } from './http.js';
import { pathKnown, routeFor } from './properties.js';

export const SAML_APP = { appId: '5d4c3b2a-9e8f-4a7b-8c6d-1e0f2a3b4c5d', identifier: 'https://sp.example.test/saml/metadata', acs: 'http://localhost:3000/saml/acs' };

/** Material only a running server has: real tokens and directory IDs, so requests get deep. */
export interface FuzzContext {
  origin: string;
  /** Access tokens (Graph, the API), an ID token. */
  tokens: string[];
  refreshTokens: string[];
  /** Object IDs of users and groups. */
  objectIds: string[];
  /** Pending interactions (uid of /login/:uid and /authorize/:uid) and the cookies that go with them. */
  uids: string[];
  cookies: string[];
  /** Pending SAML sign-ins (/saml2/login/:id). */
  samlIds: string[];
  /** Pending device codes: user codes (for /devicelogin) and device codes (for the token endpoint). */
  userCodes: string[];
  deviceCodes: string[];
  /** Trace IDs of logged requests (for /requests/:traceId). */
  traceIds: string[];
}

const HEADER_BUDGET = 14_000;

// ---------------------------------------------------------------------------------------------
// Strings

/** Percent-encodes everything but unreserved characters (valid UTF-8 always, lone surrogates included). */
export const pct = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
const b64url = (s: string | Uint8Array) => Buffer.from(s).toString('base64url');
const b64 = (s: string | Uint8Array) => Buffer.from(s).toString('base64');

/** Malformed or tricky values, sent raw (not encoded again): bad percent-encoding, traversal, odd names. */
export const RAW_GARBAGE = [
  '%25',
  '%E0%A4%A',
  '%',
  '%%',
  '%zz',
  '%00',
  '%C0%AF',
  '%FF',
  '%ED%A0%80',
  '%2F',
  '%2e%2e',
  '..',
  '.',
  '~',
  "'",
  '%22%3E%3Cscript%3E',
  '@',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'toString',
  '0',
  '-1',
  'NaN',
  '00000000-0000-0000-0000-000000000000',
  'a.b',
  'x'.repeat(64),
] as const;

/** A random string, percent-encoded. */
const randomEncoded = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme-ascii' }),
  fc.string({ minLength: 1, maxLength: 20, unit: 'binary' }),
  fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }),
).map(pct);

const longValue = fc.constantFrom(300, 2000, 4000).map((n) => 'a'.repeat(n));

/** A path segment or query value of garbage: raw malformed, random (encoded), or very long. */
export const garbage = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...RAW_GARBAGE) }, { weight: 4, arbitrary: randomEncoded }, { weight: 1, arbitrary: longValue });

const guid = fc.uuid().map(String);
const hex = (n: number) => fc.string({ minLength: n, maxLength: n, unit: fc.constantFrom(...'0123456789abcdef') });
const word = fc.string({ minLength: 1, maxLength: 24, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_') });

// ---------------------------------------------------------------------------------------------
// Tokens and assertions

/** JWT-ish strings: `null.null.x`, random three-part base64url, real-looking headers with random claims, `alg: none`. */
function jwtish(ctx: FuzzContext) {
  const header = fc.constantFrom('{"alg":"RS256","typ":"JWT"}', '{"alg":"RS256","kid":"nope"}', '{"alg":"none"}', '{"alg":"HS256"}', '{}', 'null', '[]', '"x"', '{"alg":"RS256","jku":"http://127.0.0.1:1/"}');
  const payload = fc.oneof(
    fc.constantFrom('null', '{}', '[]', '1', '"s"', `{"aud":"https://graph.microsoft.com","tid":"${TENANT_ID}","exp":9999999999}`, `{"aud":"${WEB.clientId}","iss":"https://sts.windows.net/${TENANT_ID}/"}`),
    fc.json({ maxDepth: 2 }),
  );
  return fc.oneof(
    fc.constantFrom('bnVsbA.bnVsbA.eA', 'a.b.c', 'e30.e30.', 'eyJhbGciOiJub25lIn0.e30.', '..', '.', 'x', '', 'bnVsbA.bnVsbA', 'bnVsbA.bnVsbA.eA.eA.eA'),
    fc.tuple(header, payload, fc.uint8Array({ maxLength: 64 })).map(([h, p, s]) => `${b64url(h)}.${b64url(p)}.${b64url(s)}`),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 })).map(([a, b, c]) => `${b64url(a)}.${b64url(b)}.${b64url(c)}`),
    // A real token with one part swapped or cut.
    fc.tuple(fc.constantFrom(...ctx.tokens), fc.nat(2)).map(([t, i]) => t.split('.').map((p, j) => (j === i ? 'bnVsbA' : p)).join('.')),
    fc.constantFrom(...ctx.tokens).map((t) => t.slice(0, -5)),
  );
}

function authorization(ctx: FuzzContext) {
  const basic = fc.oneof(
    fc.constantFrom('JUUwOng=', b64(`${WEB.clientId}:${WEB.secret}`), b64(`${WEB.clientId}:wrong`), b64(':'), b64('nocolon'), b64('%E0%A4%A:%'), b64(`${encodeURIComponent(WEB.clientId)}:%zz`), '!!!', '', '===='),
    fc.tuple(fc.string({ maxLength: 30, unit: 'binary' }), fc.string({ maxLength: 30, unit: 'binary' })).map(([u, p]) => b64(`${u}:${p}`)),
    fc.uint8Array({ maxLength: 40 }).map(b64),
  );
  const bearer = fc.oneof(jwtish(ctx), fc.constantFrom(...ctx.tokens));
  return fc.oneof(
    basic.map((v) => `Basic ${v}`),
    bearer.map((v) => `Bearer ${v}`),
    fc.constantFrom('Bearer', 'Basic', 'Bearer  ', 'Negotiate abc', 'bearer x', 'Digest username="x"', 'garbage'),
  );
}

const SAML_AUTHN_REQUEST = (acs: string, issuer: string, extra = '') =>
  `${extra}<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_fuzz${randomUUID().replace(/-/g, '')}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="" AssertionConsumerServiceURL="${acs}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"><saml:Issuer>${issuer}</saml:Issuer></samlp:AuthnRequest>`;

/** SAMLRequest values: valid-looking (deflated for the Redirect binding, plain for POST), deflated garbage, XML oddities, random. */
const samlRequest = fc.oneof(
  fc.constantFrom(
    b64(deflateRawSync(SAML_AUTHN_REQUEST(SAML_APP.acs, SAML_APP.identifier))),
    b64(SAML_AUTHN_REQUEST(SAML_APP.acs, SAML_APP.identifier)),
    b64(deflateRawSync(SAML_AUTHN_REQUEST('https://evil.example/acs', SAML_APP.identifier))),
    b64(deflateRawSync(SAML_AUTHN_REQUEST(SAML_APP.acs, 'urn:unknown'))),
    b64(deflateRawSync(SAML_AUTHN_REQUEST(SAML_APP.acs, SAML_APP.identifier, '<!DOCTYPE x [<!ENTITY e "entity">]>'))),
    b64(deflateRawSync('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>')),
    b64(deflateRawSync('<x')),
    b64(deflateRawSync('null')),
    b64('<'),
    '!!!',
    '',
  ),
  fc.uint8Array({ maxLength: 200 }).map((b) => b64(deflateRawSync(b))),
  fc.uint8Array({ maxLength: 200 }).map(b64),
);

// ---------------------------------------------------------------------------------------------
// Query parameters and form fields

const GRANT_TYPES = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'password',
  'urn:ietf:params:oauth:grant-type:device_code',
  'device_code',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:saml1_1-bearer',
  'urn:ietf:params:oauth:grant-type:saml2-bearer',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'implicit',
  'AUTHORIZATION_CODE',
];

const CLIENT_IDS = [WEB.clientId, CLI.clientId, API.clientId, SAML_APP.appId, WEB.clientId.toUpperCase(), 'api://sample-api', '00000003-0000-0000-c000-000000000000'];
const REDIRECT_URIS = [WEB.redirectUri, 'https://localhost:9443/core/auth/openid/callback/', 'http://127.0.0.1:8400/callback', 'http://localhost', 'http://localhost:1234', 'https://evil.example/cb', 'javascript:alert(1)', 'http://localhost:3000/auth/callback?x=1', 'http://localhost:3000/auth/callback#f', '//evil.example', 'urn:ietf:wg:oauth:2.0:oob'];
const SCOPES = ['openid', 'openid profile email offline_access', 'api://sample-api/.default', 'api://sample-api/access_as_user', 'https://graph.microsoft.com/.default', 'User.Read', `${API.clientId}/.default`, 'openid api://sample-api/.default https://graph.microsoft.com/.default', 'offline_access'];
const SIG_ALGS = ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512'];

/** Valid-looking values per parameter name (encoded later); names not listed get only generic values. */
function validValues(ctx: FuzzContext): Record<string, fc.Arbitrary<string>> {
  const c = fc.constantFrom;
  return {
    client_id: c(...CLIENT_IDS),
    redirect_uri: c(...REDIRECT_URIS),
    post_logout_redirect_uri: c(WEB.postLogoutRedirectUri, 'https://evil.example/', 'http://localhost:3000'),
    response_type: c('code', 'id_token', 'token', 'code id_token', 'id_token token', 'code id_token token', 'none', 'code code'),
    response_mode: c('query', 'fragment', 'form_post', 'web_message', 'jwt'),
    scope: c(...SCOPES),
    state: fc.oneof(word, c('a&b=c', '<script>')),
    nonce: word,
    prompt: c('login', 'none', 'consent', 'select_account', 'admin_consent', 'create', 'login consent'),
    login_hint: c(ADA.upn, GRACE.upn, 'nobody@contoso.onmicrosoft.com', 'ada@fabrikam.com', 'ADA@CONTOSO.ONMICROSOFT.COM', '@'),
    domain_hint: c(TENANT_DOMAIN, 'organizations'),
    code_challenge: fc.oneof(c('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'), fc.uint8Array({ minLength: 32, maxLength: 32 }).map(b64url)),
    code_challenge_method: c('S256', 'plain', 's256', 'RS256'),
    code_verifier: fc.oneof(c('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), fc.uint8Array({ minLength: 32, maxLength: 64 }).map(b64url)),
    SAMLRequest: samlRequest,
    RelayState: fc.oneof(word, c('https://sp.example.test/app')),
    SigAlg: c(...SIG_ALGS, 'rsa-sha256'),
    Signature: fc.uint8Array({ minLength: 1, maxLength: 256 }).map(b64),
    resource: c('https://graph.microsoft.com', 'https://graph.microsoft.com/', API.uri, API.clientId, '00000002-0000-0000-c000-000000000000', SAML_APP.identifier),
    appid: c(SAML_APP.appId, WEB.clientId),
    tenantId: c(TENANT_ID, TENANT_DOMAIN, 'common'),
    'api-version': c('1.0', '1.1', '2.0', '0'),
    authorization_endpoint: c(`${ctx.origin}/${TENANT_ID}/oauth2/v2.0/authorize`, 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize', 'https://evil.example/authorize'),
    grant_type: c(...GRANT_TYPES),
    client_secret: c(WEB.secret, 'wrong-secret'),
    client_assertion: jwtish(ctx),
    client_assertion_type: c('urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer'),
    code: fc.oneof(word, fc.uint8Array({ minLength: 16, maxLength: 40 }).map(b64url)),
    refresh_token: fc.oneof(c(...ctx.refreshTokens), word),
    device_code: fc.oneof(word, fc.uint8Array({ minLength: 16, maxLength: 40 }).map(b64url)),
    username: c(ADA.upn, GRACE.upn, 'nobody@contoso.onmicrosoft.com', 'ada'),
    password: c(ADA.password, 'wrong'),
    assertion: fc.oneof(c(...ctx.tokens), jwtish(ctx), samlRequest),
    requested_token_use: c('on_behalf_of', 'ON_BEHALF_OF'),
    otc: fc.oneof(word, c('ABCD-EFGH', 'ABCDEFGH')),
    user_code: c('ABCD-EFGH', 'ABCDEFGH'),
    client_info: c('1', '0', 'true'),
    access_token: c(...ctx.tokens),
    on: word,
    off: word,
    user: c(ADA.upn, GRACE.upn),
    id_token_hint: c(...ctx.tokens),
    limit: c('1', '0', '-1', '1e9', 'NaN'),
  };
}

export const QUERY_NAMES = [
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'prompt',
  'login_hint',
  'domain_hint',
  'code_challenge',
  'code_challenge_method',
  'SAMLRequest',
  'RelayState',
  'SigAlg',
  'Signature',
  'resource',
  'appid',
  'tenantId',
  'api-version',
  'authorization_endpoint',
  'post_logout_redirect_uri',
  'id_token_hint',
  'client_info',
  'limit',
] as const;

export const FORM_NAMES = [
  'grant_type',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'code',
  'code_verifier',
  'redirect_uri',
  'refresh_token',
  'device_code',
  'username',
  'password',
  'assertion',
  'requested_token_use',
  'otc',
  'user_code',
  'SAMLRequest',
  'RelayState',
  'scope',
  'resource',
  'client_info',
  'access_token',
  'state',
  'nonce',
  'response_type',
  'response_mode',
  'login_hint',
  'prompt',
  'user',
  'on',
  'off',
] as const;

type Pair = readonly [name: string, value: string | undefined];

/** A value for parameter `name`: valid-looking (encoded), another name's, random, empty, huge, malformed (raw), or no `=` at all. */
function valueFor(ctx: FuzzContext): (name: string) => fc.Arbitrary<string | undefined> {
  const valid = validValues(ctx);
  return (name: string) =>
    fc.oneof(
      { weight: 6, arbitrary: (Object.hasOwn(valid, name) ? valid[name]! : word).map(pct) },
      { weight: 2, arbitrary: randomEncoded },
      { weight: 1, arbitrary: fc.constant('') },
      { weight: 2, arbitrary: fc.constantFrom(...RAW_GARBAGE) },
      { weight: 1, arbitrary: fc.constantFrom(500, 3000).map((n) => 'A'.repeat(n)) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
}

/** Name=value pairs: known names with any value of valueFor(); random names; repeated names. */
function pairs(ctx: FuzzContext, names: readonly string[], maxLength: number): fc.Arbitrary<Pair[]> {
  const value = valueFor(ctx);
  const known = fc.constantFrom(...names).chain((n) => value(n).map((v): Pair => [n, v]));
  const randomName = fc.tuple(fc.oneof(randomEncoded, fc.constantFrom('%', '%zz', '', '__proto__', 'constructor', 'client_id[]', 'scope[0]')), fc.oneof(randomEncoded, fc.constant(''))).map(([n, v]): Pair => [n, v]);
  return fc
    .array(fc.oneof({ weight: 5, arbitrary: known }, { weight: 1, arbitrary: randomName }), { maxLength })
    .chain((list) =>
      // Repeated parameters: the same name twice, with another value.
      list.length && list[0]![0] ? fc.oneof({ weight: 4, arbitrary: fc.constant(list) }, { weight: 1, arbitrary: value(list[0]![0]).map((v) => [...list, [list[0]![0], v] as Pair]) }) : fc.constant(list),
    );
}

/** A request a real client would send (its fields' valid values), then mutated: fields replaced, dropped, repeated, extra ones added. */
type Template = Record<string, fc.Arbitrary<string | Raw>>;
/** A template value sent as written (not percent-encoded again): malformed encodings. */
interface Raw {
  raw: string;
}
const raw = (values: readonly string[]): fc.Arbitrary<Raw> => fc.constantFrom(...values).map((v) => ({ raw: v }));

function mutated(ctx: FuzzContext, template: Template, extraNames: readonly string[]): fc.Arbitrary<Pair[]> {
  const value = valueFor(ctx);
  const fields = Object.entries(template).map(([k, arb]) =>
    fc.oneof(
      { weight: 16, arbitrary: arb.map((v): Pair | null => [k, typeof v === 'string' ? pct(v) : v.raw]) },
      { weight: 2, arbitrary: value(k).map((v): Pair | null => [k, v]) },
      { weight: 1, arbitrary: fc.constant<Pair | null>(null) },
    ),
  );
  return fc
    .tuple(fc.tuple(...fields), pairs(ctx, extraNames, 3))
    .map(([kept, extra]) => [...kept.filter((p): p is Pair => p !== null), ...extra]);
}

const joinPairs = (list: readonly Pair[]) => list.map(([n, v]) => (v === undefined ? n : `${n}=${v}`)).join('&');

function queryString(ctx: FuzzContext): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant('') },
    { weight: 8, arbitrary: pairs(ctx, QUERY_NAMES, 7).map((l) => (l.length ? `?${joinPairs(l)}` : '')) },
    { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?=', '?a=%', '?%%=%%', '?=x&=y', '?client_id=%E0%A4%A&client_id=x', '?SigAlg=%E0%A4%A') },
  );
}

// ---------------------------------------------------------------------------------------------
// Bodies and headers

const FORM_TYPES = ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'APPLICATION/X-WWW-FORM-URLENCODED', 'application/x-www-form-urlencoded; charset=iso-8859-1'];
const OTHER_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'multipart/form-data; boundary=x', 'application/xml', 'text/xml', 'application/octet-stream', 'garbage', '', 'application/x-www-form-urlencoded, application/json', 'application/*'];

const rawBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.constantFrom('{bad', 'null', '[]', '42', '"str"', '{"a":', '{}', '\u0000', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '<x/>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>', 'a=%&b=%E0%A4%A'),
  fc.uint8Array({ maxLength: 512 }),
);

/** A body bigger than the server's 256 KiB form limit. */
const hugeBody = fc.constantFrom(300 * 1024).map((n) => `grant_type=client_credentials&x=${'a'.repeat(n)}`);

export interface BodyPart {
  body?: string | Uint8Array;
  contentType?: string;
}

function body(ctx: FuzzContext, method: string): fc.Arbitrary<BodyPart> {
  const form = fc.tuple(pairs(ctx, FORM_NAMES, 9), fc.constantFrom(...FORM_TYPES)).map(([l, ct]): BodyPart => ({ body: joinPairs(l), contentType: ct }));
  const formWithWrongType = fc.tuple(pairs(ctx, FORM_NAMES, 6), fc.constantFrom(...OTHER_TYPES)).map(([l, ct]): BodyPart => ({ body: joinPairs(l), contentType: ct }));
  const raw = fc.tuple(rawBody, fc.constantFrom(...FORM_TYPES, ...OTHER_TYPES)).map(([b, ct]): BodyPart => ({ body: b, contentType: ct }));
  const none = fc.constant<BodyPart>({});
  if (method === 'GET' || method === 'OPTIONS' || method === 'HEAD') return fc.oneof({ weight: 9, arbitrary: none }, { weight: 1, arbitrary: raw });
  return fc.oneof(
    { weight: 1, arbitrary: none },
    { weight: 7, arbitrary: form },
    { weight: 1, arbitrary: formWithWrongType },
    { weight: 2, arbitrary: raw },
    { weight: 1, arbitrary: fc.tuple(hugeBody, fc.constantFrom(...FORM_TYPES)).map(([b, ct]): BodyPart => ({ body: b, contentType: ct })) },
  );
}

function headers(ctx: FuzzContext): fc.Arbitrary<Record<string, string>> {
  return fc.record(
    {
      Authorization: authorization(ctx),
      Origin: fc.constantFrom(ctx.origin, 'https://evil.example', 'null', 'http://localhost:3000', 'garbage', ''),
      'client-request-id': fc.oneof(guid, word, fc.constant('x'.repeat(2000))),
      Accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml', 'garbage/garbage', ''),
      Cookie: fc.oneof(fc.constantFrom(...ctx.cookies), fc.constantFrom('_session=garbage', '_session=x; _session.sig=y', '_interaction=abc; _interaction.sig=def', 'a', '=;=;'), word.map((w) => `_session=${w}`)),
      'Accept-Language': fc.constantFrom('de-DE', '*', 'x'),
    },
    { requiredKeys: [] },
  );
}

// ---------------------------------------------------------------------------------------------
// Requests

/** The value of a path parameter by its name: real identifiers (so the route gets past lookup) or garbage. */
function paramValue(ctx: FuzzContext, name: string): fc.Arbitrary<string> {
  const real: Record<string, fc.Arbitrary<string>> = {
    tenant: fc.oneof(
      { weight: 6, arbitrary: c(TENANT_ID, TENANT_DOMAIN, 'common', 'organizations') },
      { weight: 1, arbitrary: c('consumers', TENANT_ID.toUpperCase(), 'CONTOSO.onmicrosoft.com', 'fabrikam.onmicrosoft.com', '11111111-2222-3333-4444-555555555555') },
    ),
    uid: fc.oneof(c(...ctx.uids), fc.uint8Array({ minLength: 16, maxLength: 16 }).map(b64url), word),
    user: c(pct(ADA.upn).replace(/%40/g, '@'), pct(GRACE.upn), 'nobody@contoso.onmicrosoft.com', 'x@example.com', TENANT_DOMAIN),
    code: fc.oneof(c(...ctx.userCodes), c('ABCD-EFGH', 'ABCDEFGH'), word),
    appId: c(SAML_APP.appId, WEB.clientId, API.clientId, pct(SAML_APP.identifier)),
    id: fc.oneof(c(pct(ADA.upn), pct(GRACE.upn), ADA.upn, 'nobody@contoso.onmicrosoft.com', 'me'), c(...ctx.objectIds), c(...ctx.samlIds)),
    traceId: fc.oneof(c(...ctx.traceIds), guid, hex(32)),
    rest: fc.oneof(c('confirm', 'success', 'confirm/x', 'a/b/c'), word),
  };
  // The real tenant most of the time: a request stopped at tenant resolution tests little else.
  const realWeight = name === 'tenant' ? 8 : 4;
  return fc.oneof({ weight: realWeight, arbitrary: Object.hasOwn(real, name) ? real[name]! : word }, { weight: 2, arbitrary: garbage }, { weight: 1, arbitrary: guid });
}

const PARAM = /:(\w+)|\*(\w+)/g;

function fillPath(ctx: FuzzContext, template: string): fc.Arbitrary<string> {
  const names = [...template.matchAll(PARAM)].map((m) => m[1] ?? m[2]!);
  if (!names.length) return fc.constant(template);
  return fc.tuple(...names.map((n) => paramValue(ctx, n))).map((values) => {
    let i = 0;
    return template.replace(PARAM, () => values[i++]!);
  });
}

/** Keeps the request line and headers under Node's header limit: drops the query first, then long headers. */
function withinBudget(req: FuzzRequest): FuzzRequest {
  const size = (r: FuzzRequest) => r.path.length + Object.entries(r.headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
  if (size(req) <= HEADER_BUDGET) return req;
  const [p, q = ''] = req.path.split(/\?(.*)/s);
  let query = q;
  while (query && size({ ...req, path: `${p}?${query}` }) > HEADER_BUDGET) query = query.slice(0, query.lastIndexOf('&') > 0 ? query.lastIndexOf('&') : 0);
  const out = { ...req, path: query ? `${p}?${query}` : p! };
  if (size(out) > HEADER_BUDGET) delete out.headers['client-request-id'];
  return out;
}

function assemble(source: string, method: string, path: string, query: string, h: Record<string, string>, b: BodyPart): FuzzRequest {
  const hs = { ...h };
  if (b.contentType !== undefined && b.contentType !== '') hs['Content-Type'] = b.contentType;
  return withinBudget({ source, method, path: `${path}${query}`, headers: hs, ...(b.body !== undefined ? { body: b.body } : {}) });
}

const ALL_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

const FORM = 'application/x-www-form-urlencoded';
const c = fc.constantFrom;

/** What a real client sends to each route: query templates (GET) and form templates (POST). */
function templates(ctx: FuzzContext, def: RouteDef): { query: Template[]; form: Template[]; json?: fc.Arbitrary<string> } {
  const v1 = def.protocol === 'v1';
  const webSecret = { client_id: c(WEB.clientId), client_secret: c(WEB.secret) };
  const scopeOrResource: Template = v1 ? { resource: c(API.uri, 'https://graph.microsoft.com') } : { scope: c(`${API.uri}/.default`, 'openid profile offline_access', `${API.uri}/access_as_user`) };
  const authorize: Template[] = [
    { client_id: c(WEB.clientId), response_type: c('code'), redirect_uri: c(WEB.redirectUri), scope: c('openid profile', `openid ${API.uri}/access_as_user`, 'openid bogus.scope'), state: word, nonce: word, response_mode: c('query', 'fragment', 'form_post'), code_challenge: c('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'), code_challenge_method: c('S256') },
    { client_id: c(WEB.clientId), response_type: c('code', 'id_token', 'code id_token'), redirect_uri: c(WEB.redirectUri, 'https://evil.example/cb'), scope: c('openid'), login_hint: c(ADA.upn, GRACE.upn, 'nobody@contoso.onmicrosoft.com'), prompt: c('none', 'login', 'consent', 'select_account'), state: word, nonce: word },
    { client_id: c(CLI.clientId), response_type: c('code'), redirect_uri: c('http://localhost', 'http://localhost:1234/cb'), scope: c('openid offline_access'), login_hint: c(ADA.upn), code_challenge: c('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'), code_challenge_method: c('S256', 'plain') },
    { client_id: c(SAML_APP.appId, API.clientId, '11111111-2222-3333-4444-555555555555'), response_type: c('code'), redirect_uri: c(WEB.redirectUri), scope: c('openid'), state: word },
    ...(v1 ? [{ client_id: c(WEB.clientId), response_type: c('code'), redirect_uri: c(WEB.redirectUri), resource: c(API.uri, 'https://graph.microsoft.com', 'urn:nope'), login_hint: c(ADA.upn) }] : []),
  ];
  const samlRequest = validValues(ctx).SAMLRequest!;
  const redirectRequest = fc.oneof({ weight: 4, arbitrary: c(b64(deflateRawSync(SAML_AUTHN_REQUEST(SAML_APP.acs, SAML_APP.identifier)))) }, { weight: 1, arbitrary: samlRequest });
  const signature = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 256 }).map(b64), raw(['%E0%A4%A', '%', '%zz', '']));
  const samlQuery: Template[] = [
    { SAMLRequest: redirectRequest, RelayState: word },
    { SAMLRequest: redirectRequest, RelayState: word, SigAlg: fc.oneof(c(...SIG_ALGS), raw(['%E0%A4%A', '%', '%zz', '%FF', ''])), Signature: signature },
  ];
  switch (def.name) {
    case 'token.v2':
    case 'token.v1':
      return {
        query: [],
        form: [
          { grant_type: c('client_credentials'), ...webSecret, ...scopeOrResource },
          { grant_type: c('client_credentials'), client_id: c(WEB.clientId), client_assertion_type: c('urn:ietf:params:oauth:client-assertion-type:jwt-bearer'), client_assertion: jwtish(ctx), ...scopeOrResource },
          { grant_type: c('password'), client_id: c(CLI.clientId), username: c(ADA.upn, GRACE.upn, 'nobody@contoso.onmicrosoft.com'), password: c(ADA.password, 'wrong'), scope: c('openid profile offline_access', `${API.uri}/access_as_user`) },
          { grant_type: c('refresh_token'), ...webSecret, refresh_token: fc.oneof(c(...ctx.refreshTokens), word), scope: c('openid', `${API.uri}/access_as_user`) },
          { grant_type: c('authorization_code'), ...webSecret, code: fc.oneof(word, fc.uint8Array({ minLength: 16, maxLength: 40 }).map(b64url)), redirect_uri: c(WEB.redirectUri), code_verifier: c('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk') },
          { grant_type: c('urn:ietf:params:oauth:grant-type:device_code', 'device_code'), client_id: c(CLI.clientId), device_code: fc.oneof(c(...ctx.deviceCodes), word) },
          { grant_type: c('urn:ietf:params:oauth:grant-type:jwt-bearer'), requested_token_use: c('on_behalf_of'), client_id: c(API.clientId, WEB.clientId), client_secret: c(WEB.secret, 'x'), assertion: fc.oneof(c(...ctx.tokens), jwtish(ctx)), scope: c('https://graph.microsoft.com/User.Read', `${API.uri}/.default`) },
          { grant_type: c('urn:ietf:params:oauth:grant-type:saml2-bearer', 'urn:ietf:params:oauth:grant-type:saml1_1-bearer'), ...webSecret, assertion: fc.oneof(validValues(ctx).SAMLRequest!, fc.uint8Array({ maxLength: 100 }).map(b64)), scope: c('openid') },
        ],
      };
    case 'devicecode.v2':
    case 'devicecode.v1':
      return { query: [], form: [{ client_id: c(CLI.clientId, WEB.clientId), ...(v1 ? { resource: c(API.uri) } : { scope: c('openid profile offline_access', `${API.uri}/access_as_user`) }) }] };
    case 'authorize.v2':
    case 'authorize.v1':
    case 'authorize.resume':
      return { query: authorize, form: authorize };
    case 'login':
      return { query: [], form: [{ username: c(ADA.upn, GRACE.upn, 'nobody@contoso.onmicrosoft.com'), password: c(ADA.password, 'wrong') }, { username: c(ADA.upn) }] };
    case 'logout.v2':
    case 'logout.v1':
    case 'logout.steps': {
      const t: Template = { post_logout_redirect_uri: c(WEB.postLogoutRedirectUri, 'https://evil.example/'), id_token_hint: fc.oneof(c(...ctx.tokens), jwtish(ctx)), client_id: c(WEB.clientId), state: word };
      return { query: [t], form: [t, { xsrf: word, logout: c('yes', 'no') }] };
    }
    case 'deviceLogin':
      return { query: [{ otc: fc.oneof(c(...ctx.userCodes), word) }], form: [] };
    case 'deviceLogin.code':
      return { query: [], form: [{ otc: fc.oneof(c(...ctx.userCodes), word) }] };
    case 'deviceLogin.signIn':
      return { query: [], form: [{ username: c(ADA.upn, GRACE.upn), password: c(ADA.password, 'wrong') }, { username: c(ADA.upn) }] };
    case 'saml':
      return { query: samlQuery, form: [{ SAMLRequest: fc.oneof(c(b64(SAML_AUTHN_REQUEST(SAML_APP.acs, SAML_APP.identifier))), samlRequest), RelayState: word }] };
    case 'saml.login':
      return { query: [], form: [{ username: c(ADA.upn, GRACE.upn) }, { username: c(ADA.upn), password: c(ADA.password, 'wrong') }] };
    case 'saml.launch':
      return { query: [{ tenantId: c(TENANT_ID, TENANT_DOMAIN, 'common'), RelayState: word }], form: [] };
    case 'userRealm':
      return { query: [{ 'api-version': c('1.0', '2.0') }], form: [] };
    case 'instanceDiscovery':
      return { query: [{ 'api-version': c('1.1'), authorization_endpoint: c(`${ctx.origin}/${TENANT_ID}/oauth2/v2.0/authorize`, 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize') }], form: [] };
    case 'discovery.v2':
    case 'discovery.v1':
    case 'federationMetadata':
      return { query: [{ appid: c(SAML_APP.appId, WEB.clientId) }], form: [] };
    case 'dashboard.switch':
      return { query: [], form: [{ on: word }, { off: word }, { on: word, adminToken: word }] };
    case 'userinfo':
    case 'userinfo.v1':
      return { query: [], form: [{ access_token: c(...ctx.tokens) }] };
    case 'graph.me.getMemberObjects':
    case 'graph.me.getMemberGroups':
    case 'graph.user.getMemberObjects':
    case 'graph.user.getMemberGroups':
    case 'graph.overage':
      return {
        query: [],
        form: [],
        json: fc.oneof(
          c('{"securityEnabledOnly":true}', '{"securityEnabledOnly":false}', '{"securityEnabledOnly":"yes"}', '{}', 'null', '{bad', '[]', '{"securityEnabledOnly":null}'),
          fc.json({ maxDepth: 2 }),
        ),
      };
    default:
      return { query: [], form: [] };
  }
}

/** The query string of a request for `def`: a mutated template, or generic. */
function routeQuery(ctx: FuzzContext, t: Template[]): fc.Arbitrary<string> {
  if (!t.length) return queryString(ctx);
  const templated = fc.oneof(...t.map((x) => mutated(ctx, x, QUERY_NAMES))).map((l) => (l.length ? `?${joinPairs(l)}` : ''));
  return fc.oneof({ weight: 3, arbitrary: templated }, { weight: 1, arbitrary: queryString(ctx) });
}

/** The body of a request for `def`: a mutated form or JSON template, or any body. */
function routeBody(ctx: FuzzContext, method: string, t: { form: Template[]; json?: fc.Arbitrary<string> }): fc.Arbitrary<BodyPart> {
  const any = body(ctx, method);
  if (method === 'GET' || method === 'OPTIONS') return any;
  const options: fc.WeightedArbitrary<BodyPart>[] = [{ weight: 1, arbitrary: any }];
  if (t.form.length) options.push({ weight: 3, arbitrary: fc.oneof(...t.form.map((x) => mutated(ctx, x, FORM_NAMES))).map((l): BodyPart => ({ body: joinPairs(l), contentType: FORM })) });
  if (t.json) options.push({ weight: 3, arbitrary: fc.tuple(t.json, c('application/json', 'application/json; charset=utf-8', 'text/plain', '')).map(([b, ct]): BodyPart => ({ body: b, contentType: ct })) });
  return fc.oneof(...options);
}

/** Headers for `def`: Graph routes mostly carry a real token, others the generic mix. */
function routeHeaders(ctx: FuzzContext, def: RouteDef): fc.Arbitrary<Record<string, string>> {
  const h = headers(ctx);
  if (def.channel !== 'graph') return h;
  const real = fc.tuple(h, c(...ctx.tokens)).map(([x, t]) => ({ ...x, Authorization: `Bearer ${t}` }));
  return fc.oneof({ weight: 2, arbitrary: real }, { weight: 1, arbitrary: h });
}

/** Requests for one route: each of its methods, its path parameters filled, query, headers and body from its templates or generic. */
export function routeRequest(ctx: FuzzContext, def: RouteDef): fc.Arbitrary<FuzzRequest> {
  const methods = def.methods.flatMap((m) => (m === 'ALL' ? [...ALL_METHODS] : [m]));
  const t = templates(ctx, def);
  return fc
    .constantFrom(...methods)
    .chain((method) =>
      fc
        .tuple(fillPath(ctx, def.path), routeQuery(ctx, method === 'GET' ? t.query : []), routeHeaders(ctx, def), routeBody(ctx, method, t))
        .map(([path, q, h, b]) => assemble(def.name, method, path, q, h, b)),
    );
}

/** A method a route does not serve, on its path (skipped where another route serves it). */
export function wrongMethodRequest(ctx: FuzzContext, def: RouteDef): fc.Arbitrary<FuzzRequest> | undefined {
  if (def.methods.includes('ALL')) return undefined;
  const served: readonly string[] = def.methods;
  const wrong = ALL_METHODS.filter((m) => !served.includes(m));
  return fc
    .tuple(fc.constantFrom(...wrong), fillPath(ctx, def.path), queryString(ctx), headers(ctx))
    .chain(([method, path, q, h]) => body(ctx, method).map((b) => assemble(`${def.name} (wrong method)`, method, path, q, h, b)))
    .filter((r) => routeFor(r.method, r.path) === undefined);
}

/** Paths no route has (shapes close to real ones, percent garbage, very long). */
export function unknownPathRequest(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const segment = fc.oneof(word, garbage, fc.constantFrom('common', TENANT_ID, 'oauth2', 'v2.0', 'v1.0', 'groups', '_mock', 'saml2', 'api', '.env', 'favicon.ico', 'error', 'kerberos', 'wsfed'));
  const path = fc.oneof(
    fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`),
    fc.constantFrom(`/${TENANT_ID}/oauth2/v2.0/nothing`, `/${TENANT_ID}/kerberos`, `/${TENANT_ID}/wsfed`, '/common/oauth2/checksession', '/_mock/nope', '/_mock', '/v1.0/groups', '/%25', '/%E0%A4%A', '//', '/a//b', `/${'a'.repeat(6000)}`, '/error'),
  );
  return fc
    .tuple(fc.constantFrom(...ALL_METHODS), path, queryString(ctx), headers(ctx))
    .chain(([method, p, q, h]) => body(ctx, method).map((b) => assemble('unknown path', method, p, q, h, b)))
    .filter((r) => !pathKnown(r.path));
}

// ---------------------------------------------------------------------------------------------
// The admin API: only requests that leave the server in its default state.

/** Scenario bodies that are never a valid scenario; the default run sends no file paths. */
const INVALID_SCENARIO_BODIES = ['{bad', 'null', '[]', '42', '"str"', '', ' ', '{"tenant": 5}', '{"tenant": {"id": "not-a-guid"}}', '{"apps": "x"}', '{"path": 5}', '{"path": "x", "extra": 1}', '\u0000', 'tenant: [', 'tenant:\n  id: 5', '- a\n- b', '{"__proto__": {"polluted": 1}}'];
/**
 * File paths for PUT /_mock/scenario {"path": …}: only with FUZZ_ADMIN_PATHS=1 (and /dev/zero only
 * with FUZZ_ADMIN_PATHS=all: the current server reads it until it runs out of memory or hangs). A
 * FIFO would block the read for good: never sent.
 */
const SCENARIO_PATHS = ['', '/nonexistent/scenario.yaml', '/etc/hostname', '/dev/null', '.', '/', 'package.json', '../../../../etc/passwd'];
const INVALID_RULE_BODIES = ['{bad', 'null', '[]', '42', '"str"', '{"when": 5}', '{"then": 5}', '{"when": {"endpoint": "nope"}, "then": {"error": 1}}', '{"then": {"error": "x"}}', '\u0000'];
/** No switch of the default scenario has these names, so flipping them is always refused. */
const SWITCH_NAMES = ['x', 'nope', '%25', '%E0%A4%A', '__proto__', 'constructor', 'a'.repeat(300)];

export function adminRequest(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const paths = process.env.FUZZ_ADMIN_PATHS === 'all' ? [...SCENARIO_PATHS, '/dev/zero'] : process.env.FUZZ_ADMIN_PATHS === '1' ? SCENARIO_PATHS : [];
  const scenarioBodies = [...INVALID_SCENARIO_BODIES, ...paths.map((p) => JSON.stringify({ path: p }))];
  const invalidPrefix = fc.string({ maxLength: 40, unit: 'grapheme-ascii' }).map((s) => `{bad${s}`);
  const anyJson = fc.oneof(fc.json({ maxDepth: 2 }), fc.constantFrom('{"on": true}', '{"on": "yes"}', '{"user": "ada@contoso.onmicrosoft.com"}', '{bad', 'null'));
  const jsonTypes = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/yaml', '', 'application/x-www-form-urlencoded');
  const c = fc.constantFrom;
  const shapes = fc.oneof(
    fc.tuple(c('GET'), c('/_mock/scenario'), fc.constant<BodyPart>({})),
    fc.tuple(c('PUT'), c('/_mock/scenario'), fc.tuple(fc.oneof(c(...scenarioBodies), invalidPrefix), jsonTypes).map(([b, ct]): BodyPart => ({ body: b, contentType: ct }))),
    fc.tuple(c('PUT'), c('/_mock/scenario'), fc.tuple(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.concat([Buffer.from('{bad'), b])), jsonTypes).map(([b, ct]): BodyPart => ({ body: b, contentType: ct }))),
    fc.tuple(c('POST'), c('/_mock/rules'), fc.tuple(fc.oneof(c(...INVALID_RULE_BODIES), invalidPrefix), jsonTypes).map(([b, ct]): BodyPart => ({ body: b, contentType: ct }))),
    fc.tuple(c('POST'), fc.constantFrom(...SWITCH_NAMES).map((n) => `/_mock/switches/${n}`), fc.tuple(anyJson, jsonTypes).map(([b, ct]): BodyPart => ({ body: b, contentType: ct }))),
    fc.tuple(
      c('POST'),
      fc.tuple(fc.oneof(garbage, c('ABCD-EFGH')), fc.oneof(c('approve', 'decline'), garbage)).map(([code, action]) => `/_mock/devicecodes/${code}/${action}`),
      fc.tuple(anyJson, jsonTypes).map(([b, ct]): BodyPart => ({ body: b, contentType: ct })),
    ),
    fc.tuple(c('DELETE'), fc.oneof(garbage, guid).map((id) => `/_mock/rules/${id}`), fc.constant<BodyPart>({})),
    fc.tuple(c('GET'), fc.oneof(c('', '?limit=1', '?limit=-1', '?limit=1e9', '?limit=%E0%A4%A', '?limit=NaN&limit=2'), garbage.map((g) => `?limit=${g}`)).map((q) => `/_mock/requests${q}`), fc.constant<BodyPart>({})),
    fc.tuple(c('POST'), c('/_mock/reset'), fc.oneof(fc.constant<BodyPart>({}), anyJson.map((b): BodyPart => ({ body: b, contentType: 'application/json' })))),
  );
  const adminHeaders = fc.record(
    {
      Origin: fc.constantFrom(ctx.origin, 'https://evil.example', 'null', ''),
      Authorization: fc.constantFrom('Bearer x', 'Basic JUUwOng=', 'Bearer bnVsbA.bnVsbA.eA'),
      Accept: fc.constantFrom('application/json', 'text/html', '*/*'),
    },
    { requiredKeys: [] },
  );
  return fc.tuple(shapes, adminHeaders).map(([[method, path, b], h]) => assemble('admin', method, path, '', h, b));
}
