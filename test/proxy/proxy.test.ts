/**
 * The forward proxy on the wire: a CONNECT to a host the mock serves is answered by the mock itself
 * (its CA's certificate, its documents); a CONNECT anywhere else is a blind tunnel (the other
 * server's own certificate and bytes); plain absolute-form HTTP goes to the mock or is forwarded;
 * bad requests get a 400 that says what the proxy takes, and a closed socket.
 */
import { X509Certificate } from 'node:crypto';
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import { type AddressInfo, connect as netConnect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAltTls } from '../../src/keys/store.js';
import { listenProxy } from '../../src/server/proxy.js';
import { type MockEntra, start } from '../../src/index.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { TENANT_ID } from '../helpers/ids.js';
import { ask, asMicrosoftBehindProxy, MS_LOGIN, readToEnd } from './support.js';

let idp: MockEntra;
let proxyPort: number;
let cleanup: () => void;
/** Another HTTPS server on loopback, with a self-signed certificate of its own (not from the mock's CA). */
let other: HttpsServer;
let otherPort: number;
let otherCert: string;
/** A plain HTTP server on loopback, for forwarded absolute-form requests. */
let plain: HttpServer;
let plainPort: number;
let plainSaw: Record<string, string | string[] | undefined> = {};

const port = (s: HttpServer | HttpsServer) => (s.address() as AddressInfo).port;

beforeAll(async () => {
  const made = asMicrosoftBehindProxy();
  cleanup = made.cleanup;
  idp = await start(made.opts);
  proxyPort = Number(new URL(idp.proxyUrl!).port);
  const tls = await loadAltTls(TEST_CERTS_DIR, 'untrusted');
  otherCert = tls.certPem;
  other = createHttps({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => res.end('bytes from the other server'));
  plain = createHttp((req, res) => {
    plainSaw = { url: req.url, ...req.headers };
    res.setHeader('x-from', 'plain');
    res.end(`plain saw ${req.method} ${req.url}`);
  });
  await Promise.all([other, plain].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  otherPort = port(other);
  plainPort = port(plain);
});

afterAll(async () => {
  await idp?.stop();
  for (const s of [other, plain]) {
    s?.closeAllConnections();
    s?.close();
  }
  cleanup?.();
});

/** TLS over an established tunnel, then one HTTP/1.1 GET; the peer certificate and the whole answer. */
async function getOverTunnel(socket: Duplex, o: { servername: string; ca?: string; path: string; host: string }): Promise<{ cert: X509Certificate; authorized: boolean; answer: string }> {
  const secure: TLSSocket = await new Promise((resolve, reject) => {
    const s = tlsConnect({ socket, servername: o.servername, ...(o.ca ? { ca: o.ca } : { rejectUnauthorized: false }) }, () => resolve(s));
    s.once('error', reject);
  });
  const cert = new X509Certificate(secure.getPeerX509Certificate()!.raw);
  const authorized = secure.authorized;
  secure.write(`GET ${o.path} HTTP/1.1\r\nHost: ${o.host}\r\nConnection: close\r\n\r\n`);
  const { body } = await readToEnd(secure);
  return { cert, authorized, answer: body };
}

describe('serve --proxy: CONNECT', () => {
  it('answers CONNECT login.microsoftonline.com:443 itself: the mock CA\'s certificate for that name, and the mock\'s discovery document', async () => {
    const reply = await ask(proxyPort, `CONNECT ${MS_LOGIN}:443 HTTP/1.1\r\nHost: ${MS_LOGIN}:443\r\n\r\n`);
    expect(reply.head).toBe('HTTP/1.1 200 Connection Established');
    const { cert, authorized, answer } = await getOverTunnel(reply.socket, { servername: MS_LOGIN, ca: idp.caCert, host: MS_LOGIN, path: `/${TENANT_ID}/v2.0/.well-known/openid-configuration` });
    expect(authorized).toBe(true);
    expect(cert.checkHost(MS_LOGIN)).toBe(MS_LOGIN);
    expect(cert.checkIssued(new X509Certificate(idp.caCert))).toBe(true);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    const doc = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { issuer: string; token_endpoint: string };
    expect(doc.issuer).toBe(`https://${MS_LOGIN}/${TENANT_ID}/v2.0`);
    expect(doc.token_endpoint).toBe(`https://${MS_LOGIN}/${TENANT_ID}/oauth2/v2.0/token`);
    // The request reached the mock's own log, as any other would.
    expect(idp.requests().some((r) => r.path === `/${TENANT_ID}/v2.0/.well-known/openid-configuration`)).toBe(true);
  });

  it('takes the host case-insensitively, with a trailing dot', async () => {
    const reply = await ask(proxyPort, `CONNECT LOGIN.MicrosoftOnline.com.:443 HTTP/1.1\r\n\r\n`);
    expect(reply.status).toBe(200);
    const { cert } = await getOverTunnel(reply.socket, { servername: MS_LOGIN, ca: idp.caCert, host: MS_LOGIN, path: '/common/discovery/instance?api-version=1.1' });
    expect(cert.checkIssued(new X509Certificate(idp.caCert))).toBe(true);
  });

  it('keeps TLS bytes a client sends together with the CONNECT (before the 200)', async () => {
    // The TLS client writes into `wire`; its first flight goes out in one write with the CONNECT line.
    const raw = netConnect({ host: '127.0.0.1', port: proxyPort });
    await new Promise((r) => raw.once('connect', r));
    let first = true;
    let head = Buffer.alloc(0);
    let inTunnel = false;
    const wire = new Duplex({
      write(chunk: Buffer, _enc, cb) {
        raw.write(first ? Buffer.concat([Buffer.from(`CONNECT ${MS_LOGIN}:443 HTTP/1.1\r\n\r\n`), chunk]) : chunk);
        first = false;
        cb();
      },
      read() {},
    });
    let status = '';
    raw.on('data', (c: Buffer) => {
      if (inTunnel) return void wire.push(c);
      head = Buffer.concat([head, c]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      status = head.subarray(0, end).toString('latin1');
      inTunnel = true;
      if (head.length > end + 4) wire.push(head.subarray(end + 4));
    });
    raw.on('end', () => wire.push(null));
    const { cert, answer } = await getOverTunnel(wire, { servername: MS_LOGIN, ca: idp.caCert, host: MS_LOGIN, path: '/common/discovery/instance?api-version=1.1' });
    raw.destroy();
    expect(status).toBe('HTTP/1.1 200 Connection Established');
    expect(cert.checkIssued(new X509Certificate(idp.caCert))).toBe(true);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });

  it('tunnels CONNECT to any other host untouched: that server\'s own certificate and bytes', async () => {
    const reply = await ask(proxyPort, `CONNECT 127.0.0.1:${otherPort} HTTP/1.1\r\nHost: 127.0.0.1:${otherPort}\r\n\r\n`);
    expect(reply.head).toBe('HTTP/1.1 200 Connection Established');
    const { cert, answer } = await getOverTunnel(reply.socket, { servername: 'localhost', host: 'localhost', path: '/' });
    expect(cert.fingerprint256).toBe(new X509Certificate(otherCert).fingerprint256);
    expect(cert.checkIssued(new X509Certificate(idp.caCert))).toBe(false);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.endsWith('bytes from the other server')).toBe(true);
  });

  it('tunnels IPv6 authorities in brackets', async (ctx) => {
    const six = createHttps({ key: (await loadAltTls(TEST_CERTS_DIR, 'untrusted')).keyPem, cert: otherCert }, (_req, res) => res.end('six'));
    const bound = await new Promise<boolean>((r) => {
      six.once('error', () => r(false));
      six.listen(0, '::1', () => r(true));
    });
    if (!bound) ctx.skip('no IPv6 loopback on this machine');
    try {
      const reply = await ask(proxyPort, `CONNECT [::1]:${port(six)} HTTP/1.1\r\n\r\n`);
      expect(reply.status).toBe(200);
      expect((await getOverTunnel(reply.socket, { servername: 'localhost', host: 'localhost', path: '/' })).answer.endsWith('six')).toBe(true);
    } finally {
      six.closeAllConnections();
      six.close();
    }
  });

  it('answers 502, with the reason and what to do, when the other host cannot be reached', async () => {
    const closed = createHttp();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = port(closed);
    await new Promise<void>((r) => closed.close(() => r()));
    const reply = await ask(proxyPort, `CONNECT 127.0.0.1:${dead} HTTP/1.1\r\n\r\n`);
    expect(reply.status).toBe(502);
    const { body, closed: wasClosed } = await readToEnd(reply.socket, reply.rest);
    expect(body).toContain(`cannot reach 127.0.0.1:${dead} (the connection was refused)`);
    expect(body).toContain('NO_PROXY');
    expect(wasClosed).toBe(true);
  });

  it('refuses a served host on a port other than 443 (it never sends that traffic elsewhere)', async () => {
    const reply = await ask(proxyPort, `CONNECT ${MS_LOGIN}:8443 HTTP/1.1\r\n\r\n`);
    expect(reply.status).toBe(502);
    expect((await readToEnd(reply.socket, reply.rest)).body).toContain(`answers for ${MS_LOGIN} on port 443 only`);
  });

  it('closes the other side of a tunnel when one side closes', async () => {
    let serverSide: Socket | undefined;
    const closedOnServer = new Promise<void>((r) => {
      other.once('connection', (s: Socket) => {
        serverSide = s;
        s.once('close', () => r());
      });
    });
    const reply = await ask(proxyPort, `CONNECT 127.0.0.1:${otherPort} HTTP/1.1\r\n\r\n`);
    expect(reply.status).toBe(200);
    await new Promise<void>((r) => {
      const wait = () => (serverSide ? r() : setTimeout(wait, 10));
      wait();
    });
    reply.socket.destroy();
    await closedOnServer;
    expect(serverSide!.destroyed).toBe(true);
  });
});

describe('serve --proxy: plain HTTP', () => {
  it('sends absolute-form requests for a served host to the mock', async () => {
    const reply = await ask(proxyPort, `GET http://${MS_LOGIN}/common/discovery/instance?api-version=1.1 HTTP/1.1\r\nHost: ${MS_LOGIN}\r\nConnection: close\r\n\r\n`);
    expect(reply.status).toBe(200);
    const { body } = await readToEnd(reply.socket, reply.rest);
    expect(JSON.parse(body)).toMatchObject({ tenant_discovery_endpoint: `https://${MS_LOGIN}/common/v2.0/.well-known/openid-configuration` });
  });

  it('forwards absolute-form requests for other hosts, without the proxy\'s own headers', async () => {
    const reply = await ask(proxyPort, `GET http://127.0.0.1:${plainPort}/some/path?q=1 HTTP/1.1\r\nHost: 127.0.0.1:${plainPort}\r\nProxy-Connection: keep-alive\r\nX-App: kept\r\nConnection: close\r\n\r\n`);
    expect(reply.status).toBe(200);
    expect(reply.head).toMatch(/\r\nx-from: plain\r\n/i);
    expect((await readToEnd(reply.socket, reply.rest)).body).toBe('plain saw GET /some/path?q=1');
    expect(plainSaw).toMatchObject({ url: '/some/path?q=1', 'x-app': 'kept', host: `127.0.0.1:${plainPort}` });
    expect(plainSaw['proxy-connection']).toBeUndefined();
  });
});

describe('serve --proxy: plain HTTP to an unreachable host', () => {
  it('answers 502 with the reason', async () => {
    const closed = createHttp();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = port(closed);
    await new Promise<void>((r) => closed.close(() => r()));
    const reply = await ask(proxyPort, `GET http://127.0.0.1:${dead}/ HTTP/1.1\r\nHost: 127.0.0.1:${dead}\r\n\r\n`);
    expect(reply.status).toBe(502);
    expect((await readToEnd(reply.socket, reply.rest)).body).toContain(`cannot reach 127.0.0.1:${dead} (the connection was refused)`);
  });
});

describe('serve --proxy: bad requests', () => {
  const cases: Array<[string, string | Buffer, string]> = [
    ['garbage', 'HELLO THERE\r\n\r\n', 'not an HTTP request it understands'],
    ['binary noise', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]), 'not an HTTP request it understands'],
    ['a CONNECT without a port', `CONNECT ${MS_LOGIN} HTTP/1.1\r\n\r\n`, 'CONNECT needs host:port'],
    ['a CONNECT to no host', 'CONNECT :443 HTTP/1.1\r\n\r\n', 'CONNECT needs host:port'],
    ['a CONNECT to port 0', `CONNECT ${MS_LOGIN}:0 HTTP/1.1\r\n\r\n`, 'CONNECT needs host:port'],
    ['an origin-form request (no host)', 'GET /common/discovery/instance HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'names no host'],
    ['an https:// URL as a plain request', `GET https://${MS_LOGIN}/ HTTP/1.1\r\nHost: ${MS_LOGIN}\r\n\r\n`, 'go through CONNECT'],
    ['oversize headers', `CONNECT ${MS_LOGIN}:443 HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 'request headers larger than 16384 bytes'],
  ];
  for (const [what, request, says] of cases) {
    it(`answers ${what} with 400, a message that says what it takes, and a closed socket`, async () => {
      const reply = await ask(proxyPort, request);
      expect(reply.status).toBe(400);
      const { body, closed } = await readToEnd(reply.socket, reply.rest);
      expect(body).toContain(says);
      expect(body.startsWith('mock-entra proxy: ')).toBe(true);
      expect(closed).toBe(true);
    });
  }

  it('survives clients that reset the connection right after sending (refused, served and tunnelled CONNECTs, garbage)', async () => {
    const requests = [`CONNECT ${MS_LOGIN} HTTP/1.1`, `CONNECT ${MS_LOGIN}:443 HTTP/1.1`, `CONNECT ${MS_LOGIN}:80 HTTP/1.1`, `CONNECT 127.0.0.1:${otherPort} HTTP/1.1`, 'GARBAGE'];
    for (let i = 0; i < 25; i++) {
      await new Promise<void>((done) => {
        const s = netConnect({ host: '127.0.0.1', port: proxyPort }, () => {
          s.write(`${requests[i % requests.length]}\r\n\r\n`);
          setTimeout(() => {
            s.resetAndDestroy();
            done();
          }, i % 3);
        });
        s.on('error', () => undefined);
      });
    }
    // An uncaught ECONNRESET in the proxy would fail the run; it also still answers.
    const reply = await ask(proxyPort, `CONNECT ${MS_LOGIN}:443 HTTP/1.1\r\n\r\n`);
    expect(reply.status).toBe(200);
    reply.socket.destroy();
  });

  it('keeps serving after all of them', async () => {
    const reply = await ask(proxyPort, `CONNECT ${MS_LOGIN}:443 HTTP/1.1\r\n\r\n`);
    expect(reply.status).toBe(200);
    reply.socket.destroy();
  });
});

describe('start({ proxyPort })', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect(new URL(idp.proxyUrl!).hostname).toBe('127.0.0.1');
    const refused = await new Promise<string>((r) => {
      const s = netConnect({ host: '::1', port: proxyPort });
      s.once('connect', () => {
        s.destroy();
        r('connected');
      });
      s.once('error', (e: NodeJS.ErrnoException) => r(e.code ?? 'error'));
    });
    expect(refused).not.toBe('connected');
  });

  it('needs TLS, and says so', async () => {
    await expect(start({ certsDir: TEST_CERTS_DIR, tls: false, proxyPort: 0 })).rejects.toThrow(/proxyPort needs TLS/);
  });
});

describe('the proxy\'s limits (listenProxy with small ones)', () => {
  it('refuses connections past maxConnections with 503, and closes an idle tunnel on both sides', async () => {
    const upstream = createHttp();
    const upstreamClosed: Promise<void>[] = [];
    upstream.on('connection', (s: Socket) => upstreamClosed.push(new Promise((r) => s.once('close', () => r()))));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const small = await listenProxy({ port: 0, serves: () => false, terminate: (s) => s.destroy(), handle: (_q, res) => res.end(), limits: { maxConnections: 1, idleMs: 300 } });
    try {
      const first = await ask(small.port, `CONNECT 127.0.0.1:${port(upstream)} HTTP/1.1\r\n\r\n`);
      expect(first.status).toBe(200);
      const second = await ask(small.port, `CONNECT 127.0.0.1:${port(upstream)} HTTP/1.1\r\n\r\n`);
      expect(second.status).toBe(503);
      expect((await readToEnd(second.socket, second.rest)).body).toContain('more than 1 connections at once');
      // Nobody sends anything: the idle limit closes the tunnel, the client's side and the upstream's.
      expect((await readToEnd(first.socket)).closed).toBe(true);
      await Promise.all(upstreamClosed);
    } finally {
      await small.close();
      upstream.close();
    }
  });
});
