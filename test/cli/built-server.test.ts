/**
 * The built server (dist/, plain Node, no vitest module interop) through its lazy imports:
 * oidc-provider on the first token request, samlify on the first SAML sign-in.
 */
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { API, TENANT_ID, WEB } from '../helpers/ids.js';
import { type Served, serve } from './spawn.js';

let served: Served;
let url: string;

beforeAll(async () => {
  served = await serve(['--certs-dir', TEST_CERTS_DIR]);
  url = served.url;
});
afterAll(async () => {
  await served?.stop();
});

describe('the built server', () => {
  it('issues a client-credentials token (oidc-provider loaded on demand)', async () => {
    const res = await fetch(`${url}/${TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: `${API.uri}/.default` }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { access_token: string }).access_token.split('.')).toHaveLength(3);
  });

  it('signs a SAML response (samlify loaded on demand)', async () => {
    const req = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_built1" Version="2.0" IssueInstant="${new Date().toISOString()}"><saml:Issuer>https://sp.example.test/saml/metadata</saml:Issuer></samlp:AuthnRequest>`;
    const q = new URLSearchParams({ SAMLRequest: deflateRawSync(req).toString('base64'), login_hint: 'ada@contoso.onmicrosoft.com' });
    const res = await fetch(`${url}/${TENANT_ID}/saml2?${q}`);
    expect(res.status).toBe(200);
    const b64 = /name="SAMLResponse" value="([^"]+)"/.exec(await res.text())?.[1];
    expect(Buffer.from(b64 ?? '', 'base64').toString()).toContain('<SignatureValue>');
  });
});
