// Reference for the static documents in bench/run.js: what a koa + @koa/router app answers a GET
// with, over node:https with the mock's TLS key and certificate. One GET route per document, at
// the mock's path, answering a JSON object of the same size as the mock's document: the mock's own
// object for the JSON documents (discovery, JWKS, instance discovery), and for the federation
// metadata (XML) an object of string fields holding its text. koa serialises it per request, as
// a plain `ctx.body = object` route does.
// Usage: node bench/koa-server.js <port> <certsDir> <documentsJsonFile>
//   documentsJsonFile: [{ path, contentType, body }] as the mock answered them.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import Router from '@koa/router';
import Koa from 'koa';

const [port, certsDir, documentsFile] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const pem = (name) => readFileSync(join(certsDir, name), 'utf8');
const documents = JSON.parse(readFileSync(documentsFile, 'utf8'));

function asJsonObject({ contentType, body }) {
  if (/json/.test(contentType)) return JSON.parse(body);
  // 512-character fields, without the characters JSON would escape: the same byte count, give or take the keys.
  // eslint-disable-next-line no-control-regex -- the control characters JSON escapes
  const text = body.replace(/["\\\u0000-\u001f]/g, ' ');
  return Object.fromEntries(Array.from({ length: Math.ceil(text.length / 512) }, (_, i) => [`f${i}`, text.slice(i * 512, i * 512 + 512)]));
}

const router = new Router();
for (const doc of documents) {
  const object = asJsonObject(doc);
  router.get(doc.path, (ctx) => {
    ctx.body = object;
  });
}
const app = new Koa();
app.use(router.routes()).use(router.allowedMethods());

const server = createServer({ key: pem('tls-key.pem'), cert: pem('tls.pem') + pem('ca.pem') }, app.callback());
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `https://localhost:${port}` })}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
