import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockEntra } from '../../src/start.js';
import { startMock } from '../helpers/server.js';
import { TENANT_ID, WEB, API, ADA } from '../helpers/ids.js';
import { follow } from '../helpers/browserless.js';

let idp: MockEntra;
beforeAll(async () => { idp = await startMock(); });
afterAll(async () => { await idp?.stop(); });

describe('smoke', () => {
  it('works', async () => {
    const d = await (await fetch(`${idp.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`)).json();
    console.log(d.issuer);
    const cc = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: WEB.clientId, client_secret: WEB.secret, scope: `${API.uri}/.default` }) });
    console.log(cc.status, await cc.text());
    const u = new URL(`${idp.url}/${TENANT_ID}/oauth2/v2.0/authorize`);
    u.search = new URLSearchParams({ client_id: WEB.clientId, response_type: 'code', redirect_uri: WEB.redirectUri, scope: `openid profile email offline_access ${API.uri}/${API.scope}`, login_hint: ADA.upn, state: 's1', nonce: 'n1' }).toString();
    const f = await follow(u.toString());
    console.log("FOLLOW", f.status, f.url.toString(), f.html?.slice(0, 1500));
    const code = f.url.searchParams.get('code');
    const t = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', client_id: WEB.clientId, client_secret: WEB.secret, code: code ?? '', redirect_uri: WEB.redirectUri, client_info: '1' }) });
    const tj = await t.json();
    console.log("KEYS", t.status, Object.keys(tj as object), (tj as any).scope);
    for (const k of ['access_token', 'id_token']) if (tj[k]) console.log(k, Buffer.from(tj[k].split('.')[0], 'base64url').toString(), Buffer.from(tj[k].split('.')[1], 'base64url').toString());
    const pw = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', client_id: WEB.clientId, client_secret: WEB.secret, username: ADA.upn, password: ADA.password, scope: 'openid profile offline_access User.Read' }) });
    const pj = await pw.json();
    console.log("KEYS", pw.status, Object.keys(pj as object));
    const rt = await fetch(`${idp.url}/${TENANT_ID}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', client_id: WEB.clientId, client_secret: WEB.secret, refresh_token: pj.refresh_token ?? '', scope: 'openid profile offline_access User.Read' }) });
    console.log('refresh', rt.status, (await rt.text()).slice(0, 300));
    expect(1).toBe(1);
  });
});
