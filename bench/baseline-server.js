// Baseline for bench/run.js: the least a token server can do. node:https with the mock's TLS
// key/cert, a static discovery document, and POST /token signing an Entra-shaped RS256 JWT
// with jose (bench/baseline-token.js).
// Usage: node bench/baseline-server.js <port> <certsDir>
import { createServer } from 'node:https';
import { tokenServer } from './baseline-token.js';

const [port, certsDir] = [Number(process.argv[2]), process.argv[3]];
const { origin, discovery, token, tls } = tokenServer(port, certsDir);

const server = createServer(tls, (req, res) => {
  const send = (status, json) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(json);
  if (req.method === 'GET') return send(200, discovery);
  let body = '';
  req.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => {
    token(body).then(([status, json]) => send(status, JSON.stringify(json)), (err) => send(500, JSON.stringify({ error: String(err) })));
  });
});
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ msg: 'listening', url: origin })}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
