/** HTTPS (or plain HTTP) listeners. "localhost" binds both 127.0.0.1 and ::1, since clients resolve it either way. */
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { key: string; cert: string };
}

export interface Listening {
  servers: Server[];
  port: number;
  setHandler(handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void): void;
  /** Swaps the TLS certificate of every listener; new connections get it. */
  setTls(tls: { key: string; cert: string }): void;
  /** Serves a connection accepted elsewhere (the proxy's CONNECT tunnels) as if it had connected to the first listener. */
  accept(socket: import('node:stream').Duplex): void;
  close(): Promise<void>;
}

/** Why `port` cannot be listened on (undefined: it can): a whole number from 0 (any free port) to 65535. */
export function portProblem(port: unknown): string | undefined {
  if (typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535) return undefined;
  return typeof port === 'number' && !Number.isNaN(port) ? `${port} is not a port` : 'is not a number';
}

function listenOne(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: host === '::1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function listen(o: ListenOptions): Promise<Listening> {
  let handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  const make = () => {
    const s = o.tls ? createHttps({ key: o.tls.key, cert: o.tls.cert }) : createHttp();
    s.on('request', (req, res) => handler(req, res));
    s.keepAliveTimeout = 5000;
    return s;
  };
  const hosts = o.host === 'localhost' ? ['127.0.0.1', '::1'] : [o.host];
  const servers: Server[] = [];
  let port = o.port;
  for (const [i, host] of hosts.entries()) {
    const s = make();
    try {
      await listenOne(s, host, port);
    } catch (err) {
      // The second loopback family is a convenience: no IPv6, or the port taken there, is not fatal.
      if (i > 0) continue;
      throw err;
    }
    servers.push(s);
    port = (s.address() as AddressInfo).port;
  }
  return {
    servers,
    port,
    setHandler: (h) => {
      handler = h;
    },
    setTls: (tls) => {
      for (const s of servers) if ('setSecureContext' in s) (s as import('node:https').Server).setSecureContext({ key: tls.key, cert: tls.cert });
    },
    accept: (socket) => {
      servers[0]!.emit('connection', socket);
    },
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}
