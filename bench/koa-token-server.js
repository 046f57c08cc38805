// The framework's floor for the token endpoint (bench/run.js, an info row of figure 5): the same
// token as bench/baseline-server.js (bench/baseline-token.js), answered by koa + @koa/router over
// node:https. Its ratio to the node:https baseline is what koa alone costs a token request; the
// mock runs on koa too, so the mock's ratio cannot be better than this one by much.
// Usage: node bench/koa-token-server.js <port> <certsDir>
import { createServer } from 'node:https';
import Router from '@koa/router';
import Koa from 'koa';
import { TENANT, tokenServer } from './baseline-token.js';

const [port, certsDir] = [Number(process.argv[2]), process.argv[3]];
const { origin, discovery, token, tls } = tokenServer(port, certsDir);

const router = new Router();
router.get(`/${TENANT}/v2.0/.well-known/openid-configuration`, (ctx) => {
  ctx.type = 'json';
  ctx.body = discovery;
});
router.post(`/${TENANT}/oauth2/v2.0/token`, async (ctx) => {
  // Read as the node:https baseline reads it (events, not an async iterator), so only koa differs.
  const body = await new Promise((resolve, reject) => {
    let text = '';
    ctx.req.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => resolve(text)).on('error', reject);
  });
  const [status, json] = await token(body);
  ctx.status = status;
  ctx.body = json;
});
const app = new Koa();
app.use(router.routes()).use(router.allowedMethods());

const server = createServer(tls, app.callback());
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ msg: 'listening', url: origin })}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
