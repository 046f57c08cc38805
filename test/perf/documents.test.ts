/**
 * Static documents served as prepared bytes: the same bytes each time with an ETag, 304 when the
 * client already has them, Entra's caching headers, and a new document after a scenario switch
 * (a key rollover changes JWKS' order of keys and so its ETag).
 */
import { describe, expect, it } from 'vitest';
import { TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const idp = useMockEntra();

const paths = {
  'discovery v2': `/${TENANT_ID}/v2.0/.well-known/openid-configuration`,
  'discovery v1': `/${TENANT_ID}/.well-known/openid-configuration`,
  'discovery v2 via common': '/common/v2.0/.well-known/openid-configuration',
  'JWKS v2': `/${TENANT_ID}/discovery/v2.0/keys`,
  'JWKS v1': '/common/discovery/keys',
  'federation metadata': `/${TENANT_ID}/federationmetadata/2007-06/federationmetadata.xml`,
  'instance discovery': `/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/authorize`)}`,
};

describe('prepared documents', () => {
  for (const [name, path] of Object.entries(paths)) {
    it(`${name}: the same bytes and ETag twice, Entra's cache headers, 304 on If-None-Match`, async () => {
      const first = await fetch(`${idp.url}${path}`);
      const body = await first.text();
      expect(first.status).toBe(200);
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^"[\w-]{27}"$/);
      expect(first.headers.get('cache-control')).toBe('max-age=86400, private');
      expect(first.headers.get('access-control-allow-origin')).toBe('*');
      expect(first.headers.get('x-ms-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const second = await fetch(`${idp.url}${path}`);
      expect(await second.text()).toBe(body);
      expect(second.headers.get('etag')).toBe(etag);
      const again = await fetch(`${idp.url}${path}`, { headers: { 'if-none-match': `W/"other", ${etag}` } });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
      const stale = await fetch(`${idp.url}${path}`, { headers: { 'if-none-match': '"not-this-one"' } });
      expect(stale.status).toBe(200);
      expect(await stale.text()).toBe(body);
    });
  }

  it('discovery through an alias keeps the {tenantid} issuer, through the GUID the tenant issuer: two documents, two ETags', async () => {
    const [byAlias, byId] = await Promise.all([fetch(`${idp.url}${paths['discovery v2 via common']}`), fetch(`${idp.url}${paths['discovery v2']}`)]);
    expect(((await byAlias.json()) as { issuer: string }).issuer).toBe(`${idp.url}/{tenantid}/v2.0`);
    expect(((await byId.json()) as { issuer: string }).issuer).toBe(`${idp.url}/${TENANT_ID}/v2.0`);
    expect(byAlias.headers.get('etag')).not.toBe(byId.headers.get('etag'));
  });

  it('a key rollover gives a new JWKS document: the new active key first, a new ETag; the old ETag no longer gets a 304', async () => {
    const before = await fetch(`${idp.url}${paths['JWKS v2']}`);
    const { keys: oldKeys } = (await before.json()) as { keys: Array<{ kid: string }> };
    const etag = before.headers.get('etag')!;
    const active = idp.rotateKeys();
    try {
      // rotateKeys() switches the world; the switch is done once the next request sees it.
      let after: Response | undefined;
      for (let i = 0; i < 50; i++) {
        after = await fetch(`${idp.url}${paths['JWKS v2']}`, { headers: { 'if-none-match': etag } });
        if (after.status === 200) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(after!.status).toBe(200);
      const { keys } = (await after!.json()) as { keys: Array<{ kid: string }> };
      expect(keys.map((k) => k.kid)).toEqual([oldKeys[1]!.kid, oldKeys[0]!.kid]);
      expect(after!.headers.get('etag')).not.toBe(etag);
    } finally {
      if (active === 2) idp.rotateKeys();
    }
  });

  it('an unknown tenant still gets AADSTS90002, not a cached document', async () => {
    const res = await fetch(`${idp.url}/00000000-0000-0000-0000-000000000001/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_codes: number[] }).error_codes).toEqual([90002]);
  });

  it('a discovery fault rule still fires before the prepared document', async () => {
    idp.use({ when: { endpoint: 'discovery' }, then: { error: 90002 } }, { once: true });
    const res = await fetch(`${idp.url}${paths['discovery v2']}`);
    expect(res.status).toBe(400);
    expect((await fetch(`${idp.url}${paths['discovery v2']}`)).status).toBe(200);
  });
});
