/**
 * The forward proxy (`serve --proxy PORT`): unmodified apps reach the mock as Microsoft's hosts with
 * HTTPS_PROXY=http://127.0.0.1:PORT and the local CA trusted, and nothing else changes for them.
 *
 * - `CONNECT host:443` to a host the mock serves: answered `200 Connection Established`, and the
 *   socket is handed to the mock's own HTTPS listener, which terminates the client's TLS with the
 *   local CA's certificate (so the client sees exactly what a direct connection would).
 * - `CONNECT host:port` to any other host: a blind tunnel (net.connect + pipe both ways; bytes are
 *   never read, decrypted or kept). A served host on another port is refused (502), so traffic
 *   meant for the mock never leaves the machine.
 * - Absolute-form plain HTTP (`GET http://host/path`): to a served host it goes to the mock's app,
 *   to any other host it is forwarded.
 * - Anything else (garbage, oversize headers, no host, origin-form requests): 400 with a message
 *   that says what the proxy takes, and the socket closed.
 *
 * It listens on 127.0.0.1 only: a proxy that opens tunnels to anywhere must not be reachable from
 * other machines. Pipes apply backpressure (nothing is buffered without bound); connections,
 * the CONNECT line's time and idle tunnels are limited.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, isIP, connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { normalizeHost } from '../keys/ca.js';

export interface ProxyOptions {
  /** Default 0: any free port. */
  port: number;
  /** Whether the mock answers for this host name (lower case, no port, IPv6 without brackets). */
  serves: (host: string) => boolean;
  /** Hands a socket whose client speaks TLS to the mock's HTTPS listener (Listening.accept). */
  terminate: (socket: Duplex) => void;
  /** The mock's app, for plain-HTTP requests to a served host. */
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  limits?: Partial<ProxyLimits>;
}

export interface ProxyLimits {
  /** Client connections open at once; more are refused with 503. */
  maxConnections: number;
  /** A tunnel (or kept-alive connection) with no bytes either way for this long is closed. */
  idleMs: number;
  /** How long connecting to another host may take before the client gets 504. */
  connectMs: number;
  /** Largest request head the proxy reads (request line and headers). */
  maxHeaderBytes: number;
}

export const PROXY_LIMITS: ProxyLimits = { maxConnections: 256, idleMs: 120_000, connectMs: 10_000, maxHeaderBytes: 16 * 1024 };

/** The port Microsoft's hosts (and a served --public-url host) answer TLS on. */
export const SERVED_TLS_PORT = 443;
const SERVED_HTTP_PORT = 80;

export interface ProxyListening {
  port: number;
  /** Stops listening and closes every connection and tunnel. */
  close(): Promise<void>;
}

/** A served-host predicate for a list of names (matched exactly, case-insensitively). */
export function servesNames(names: readonly string[]): (host: string) => boolean {
  const set = new Set(names.map(normalizeHost));
  return (host) => set.has(host);
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/;

/** `host:port` (authority form; IPv6 in brackets), or undefined when it is not one. */
export function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/@\s]+):(\d{1,5})$/.exec(authority);
  if (!m) return undefined;
  const host = normalizeHost(m[1]!);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  if (m[1]!.startsWith('[') ? isIP(host) !== 6 : isIP(host) !== 4 && !HOST_NAME.test(host)) return undefined;
  return { host, port };
}

/** Hop-by-hop headers (RFC 9110 §7.6.1), and the proxy's own: never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k) && !listed.has(k)));
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/** Sockets answered with an error: whatever the HTTP parser still reads from them is ignored. */
const refused = new WeakSet<Duplex>();

/** Writes a plain-text proxy error on a raw socket and closes it (after the bytes are out). */
function refuse(socket: Duplex, status: number, message: string): void {
  refused.add(socket);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `mock-entra proxy: ${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // A client that never reads must not keep the socket: end() waits for the bytes to drain.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The same, on a response the HTTP server owns. */
function refuseResponse(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `mock-entra proxy: ${message}\n`;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body);
}

const TAKES = 'it takes CONNECT host:port (HTTPS_PROXY) and absolute-form requests (GET http://host/path)';

/** What a failed connection to another host means for the client, as Squid and others say it. */
function upstreamFailure(target: string, err: NodeJS.ErrnoException): string {
  const why = err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' ? 'its name does not resolve' : err.code === 'ECONNREFUSED' ? 'the connection was refused' : (err.code ?? err.message);
  return `cannot reach ${target} (${why}); mock-entra serves only its own hosts itself: check the address, or set NO_PROXY for hosts the app should reach directly`;
}

/** Starts the proxy on 127.0.0.1. */
export async function listenProxy(o: ProxyOptions): Promise<ProxyListening> {
  const limits = { ...PROXY_LIMITS, ...o.limits };
  /** Every socket the proxy owns (clients and upstreams), destroyed on close(). */
  const sockets = new Set<Duplex>();
  const own = (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  let clients = 0;

  const server: Server = createServer({ maxHeaderSize: limits.maxHeaderBytes, requestTimeout: limits.connectMs * 3, headersTimeout: limits.connectMs, keepAliveTimeout: 5000 });
  server.on('connection', (socket: Socket) => {
    clients++;
    socket.once('close', () => clients--);
    own(socket);
    // The HTTP server drops its own error listener when it hands a CONNECT's socket over: a client's
    // reset (ECONNRESET, EPIPE) must then still end here, never as an uncaught error.
    socket.on('error', () => socket.destroy());
    if (clients > limits.maxConnections) {
      refuse(socket, 503, `more than ${limits.maxConnections} connections at once; close some and try again`);
      return;
    }
    socket.setTimeout(limits.idleMs, () => socket.destroy());
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') refuse(socket, 400, `request headers larger than ${limits.maxHeaderBytes} bytes; ${TAKES}`);
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') refuse(socket, 408, `the request head did not arrive in time; ${TAKES}`);
    else refuse(socket, 400, `not an HTTP request it understands (${err.code ?? 'parse error'}); ${TAKES}`);
  });

  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Already answered (503 past the connection limit): its end() is on the way, nothing more is sent.
    if (refused.has(socket)) return;
    const target = parseAuthority(req.url ?? '');
    if (!target) {
      refuse(socket, 400, `CONNECT needs host:port (for example login.microsoftonline.com:443), not '${(req.url ?? '').slice(0, 100)}'`);
      return;
    }
    if (o.serves(target.host)) {
      if (target.port !== SERVED_TLS_PORT) {
        refuse(socket, 502, `mock-entra answers for ${target.host} on port ${SERVED_TLS_PORT} only, not ${target.port}`);
        return;
      }
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      // TLS bytes the client sent with the CONNECT (it need not wait for the 200) go first.
      if (head.length > 0) socket.unshift(head);
      // The HTTPS listener's own timeouts apply from here.
      socket.setTimeout(0);
      o.terminate(socket);
      return;
    }
    tunnel(socket, head, target);
  });

  /** A blind tunnel to another host: bytes both ways, unread; either side closing closes both. */
  const tunnel = (client: Socket, head: Buffer, target: { host: string; port: number }) => {
    const name = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    const upstream = netConnect({ host: target.host, port: target.port });
    own(upstream);
    let established = false;
    const connectTimer = setTimeout(() => {
      upstream.destroy();
      refuse(client, 504, `connecting to ${name} took longer than ${limits.connectMs / 1000} s`);
    }, limits.connectMs);
    connectTimer.unref();
    upstream.once('connect', () => {
      clearTimeout(connectTimer);
      established = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.setTimeout(limits.idleMs, () => {
        upstream.destroy();
        client.destroy();
      });
      // pipe() pauses the faster side while the other drains: no unbounded buffering either way.
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(connectTimer);
      if (!established) refuse(client, 502, upstreamFailure(name, err));
      else client.destroy();
    });
    client.on('error', () => upstream.destroy());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => {
      if (established) client.destroy();
    });
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (refused.has(req.socket)) return;
    const raw = req.url ?? '';
    let target: URL | undefined;
    try {
      target = /^http:\/\//i.test(raw) ? new URL(raw) : undefined;
    } catch {
      target = undefined;
    }
    if (!target || !target.hostname) {
      const what = /^https:\/\//i.test(raw) ? 'https:// URLs go through CONNECT (HTTPS_PROXY), not as a plain request' : `'${raw.slice(0, 100)}' names no host`;
      refuseResponse(res, 400, `${what}; ${TAKES}`);
      return;
    }
    const host = normalizeHost(target.hostname);
    const port = Number(target.port || SERVED_HTTP_PORT);
    if (o.serves(host)) {
      if (port !== SERVED_HTTP_PORT) {
        refuseResponse(res, 502, `mock-entra answers for ${host} on port ${SERVED_HTTP_PORT} (http) and ${SERVED_TLS_PORT} (https) only, not ${port}`);
        return;
      }
      // As the request reaches a server: origin-form, the Host header from the URL.
      req.url = `${target.pathname}${target.search}`;
      req.headers.host = target.host;
      delete req.headers['proxy-connection'];
      delete req.headers['proxy-authorization'];
      o.handle(req, res);
      return;
    }
    forward(req, res, target);
  });

  /** Plain HTTP to another host: the request and its answer streamed through, hop-by-hop headers dropped. */
  const forward = (req: IncomingMessage, res: ServerResponse, target: URL) => {
    const name = target.host;
    const up = httpRequest({
      host: normalizeHost(target.hostname),
      port: Number(target.port || SERVED_HTTP_PORT),
      method: req.method,
      path: `${target.pathname}${target.search}`,
      headers: { ...endToEnd(req.headers), host: target.host },
      timeout: limits.connectMs,
    });
    up.on('socket', (s) => own(s));
    up.on('timeout', () => up.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    up.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ETIMEDOUT') refuseResponse(res, 504, `${name} did not answer within ${limits.connectMs / 1000} s`);
      else refuseResponse(res, 502, upstreamFailure(name, err));
    });
    req.on('error', () => up.destroy());
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: o.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A listener error later (none expected once bound) must not crash the process.
  server.on('error', () => undefined);
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      }),
  };
}
