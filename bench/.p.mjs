const { start } = await import('../dist/index.js');
const ms = [];
const idp = await start({ certsDir: '/tmp/me/certs', onRequest: (r) => ms.push(r.ms) });
const t0 = performance.now();
let r = await fetch(`${idp.url}/${idp.tenantId}/v2.0/.well-known/openid-configuration`); await r.text();
const t1 = performance.now();
r = await fetch(`${idp.url}/${idp.tenantId}/v2.0/.well-known/openid-configuration`); await r.text();
console.log('server ms', ms, 'client first', (t1 - t0).toFixed(1), 'second', (performance.now() - t1).toFixed(1)); await idp.stop();
