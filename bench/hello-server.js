// The floor for cold start in bench/run.js (informational): node:http answering "hello", the
// least a Node process can do between spawn and its first answer. Plain HTTP: no TLS to load.
// Usage: node bench/hello-server.js <port>
import { createServer } from 'node:http';

const server = createServer((_req, res) => res.end('hello'));
server.listen(Number(process.argv[2]), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
