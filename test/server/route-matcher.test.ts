/**
 * The route table's matcher, as requests reach it: Entra's paths in any case, with or without one
 * trailing slash, HEAD as GET, encoded segments decoded, the first route of the table winning, and
 * a request with a different number of segments matching nothing. Against the mock, client-request-id
 * is echoed only to a client that sent one.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES, routeMatcher } from '../../src/server/routes.js';
import { TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const match = routeMatcher(ROUTES);
const name = (method: string, path: string) => match(method, path)?.def.name;

describe('route matcher', () => {
  it('matches every route of the table by its own path', () => {
    for (const def of ROUTES) {
      const path = def.path.replace(/:(\w+)/g, 'x-$1').replace(/\*(\w+)/, 'a/b');
      const method = def.methods[0] === 'ALL' ? 'GET' : def.methods[0]!;
      expect(name(method, path), `${method} ${path}`).toBe(def.name);
    }
  });

  it('compares path segments case-insensitively and ignores one trailing slash', () => {
    expect(name('GET', `/${TENANT_ID}/V2.0/.Well-Known/OpenID-Configuration`)).toBe('discovery.v2');
    expect(name('GET', `/${TENANT_ID}/discovery/v2.0/keys/`)).toBe('jwks.v2');
    expect(name('GET', `/${TENANT_ID}/discovery/v2.0/keys//`)).toBeUndefined();
  });

  it('answers HEAD as GET, and a method the route does not take matches nothing', () => {
    expect(name('HEAD', `/${TENANT_ID}/discovery/keys`)).toBe('jwks.v1');
    expect(name('DELETE', `/${TENANT_ID}/oauth2/v2.0/token`)).toBeUndefined();
    expect(name('GET', `/${TENANT_ID}/oauth2/v2.0/token`)).toBeUndefined();
    expect(name('OPTIONS', `/${TENANT_ID}/oauth2/v2.0/token`)).toBe('token.preflight');
  });

  it('answers a path asked again the same, with parameters no request can change for the next, past its cache filling up', () => {
    const first = match('GET', '/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration');
    expect(first?.params).toEqual({ tenant: 'contoso.onmicrosoft.com' });
    expect(Object.isFrozen(first?.params)).toBe(true);
    // More distinct paths than the matcher keeps: answers stay right while it empties and refills.
    for (let i = 0; i < 3000; i++) expect(match('GET', `/tenant-${i}/discovery/v2.0/keys`)?.params.tenant).toBe(`tenant-${i}`);
    expect(match('GET', '/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration')).toEqual(first);
    expect(name('GET', '/no/such/path/at/all')).toBeUndefined();
    expect(name('GET', '/no/such/path/at/all')).toBeUndefined();
    expect(name('GET', `/${TENANT_ID}/${'x'.repeat(600)}`)).toBeUndefined();
  });

  it('decodes parameters, keeps an undecodable one as sent, and refuses an empty one', () => {
    expect(match('GET', '/common/userrealm/ada%40contoso.com')?.params).toEqual({ user: 'ada@contoso.com' });
    expect(match('GET', '/common/userrealm/%E0%A4%A')?.params).toEqual({ user: '%E0%A4%A' });
    expect(name('GET', '//discovery/v2.0/keys')).toBeUndefined();
  });

  it('lets the first route of the table win, and gives a rest parameter the rest of the path', () => {
    // Both /v1.0/users/:id/getMemberObjects and /:tenant/users/:id/getMemberObjects match: Graph's comes first.
    expect(name('POST', '/v1.0/users/ada/getMemberObjects')).toBe('graph.user.getMemberObjects');
    expect(name('POST', `/${TENANT_ID}/users/ada/getMemberObjects`)).toBe('graph.overage');
    expect(match('GET', `/${TENANT_ID}/oauth2/v2.0/logout/confirm/now`)).toMatchObject({ def: { name: 'logout.steps' }, params: { tenant: TENANT_ID, rest: 'confirm/now' } });
    expect(name('GET', `/${TENANT_ID}/oauth2/v2.0/logout`)).toBe('logout.v2');
  });

  it('matches nothing for paths of another shape', () => {
    for (const path of ['', '/nope', `/${TENANT_ID}/v2.0`, `/${TENANT_ID}/discovery/v2.0/keys/extra`, '/requests/a/b']) expect(name('GET', path), path).toBeUndefined();
  });
});

describe('request IDs on the wire', () => {
  const idp = useMockEntra();
  const keys = `/${TENANT_ID}/discovery/v2.0/keys`;

  it('always sends x-ms-request-id; echoes client-request-id only when the client sent one', async () => {
    const plain = await fetch(`${idp.url}${keys}`);
    expect(plain.headers.get('x-ms-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(plain.headers.get('client-request-id')).toBeNull();
    const sent = '5bd4cf1c-4bd5-4b4a-8cc6-5c2a0b4f54e0';
    const withId = await fetch(`${idp.url}${keys}`, { headers: { 'client-request-id': sent.toUpperCase() } });
    expect(withId.headers.get('client-request-id')).toBe(sent);
    expect(withId.headers.get('x-ms-request-id')).not.toBe(plain.headers.get('x-ms-request-id'));
  });

  it('answers an unknown path with the Entra-shaped 404, naming the path', async () => {
    const res = await fetch(`${idp.url}/${TENANT_ID}/discovery/v2.0/keys/extra`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('/discovery/v2.0/keys/extra');
  });
});
