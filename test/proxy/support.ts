/** What the forward-proxy tests share: the mock as login.microsoftonline.com, raw CONNECTs, clients' environments. */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { MockEntra, StartOptions } from '../../src/index.js';
import { type RunOptions, runProcess } from '../helpers/process.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';

export const MS_LOGIN = 'login.microsoftonline.com';

/** start() options for the mock answering as Microsoft behind the proxy, on the run's certs directory (its as-Microsoft CA is made in global setup). */
export function asMicrosoftBehindProxy(extra: StartOptions = {}): { opts: StartOptions; cleanup: () => void } {
  return { opts: { certsDir: TEST_CERTS_DIR, asMicrosoft: true, proxyPort: 0, ...extra }, cleanup: () => {} };
}

export interface ProxyReply {
  /** The status line's code. */
  status: number;
  /** The reply's head (status line and headers) as sent. */
  head: string;
  /** Bytes after the head (a refusal's body, or nothing for a 200 to CONNECT). */
  rest: Buffer;
  socket: Socket;
}

/** Sends `request` (raw bytes) to the proxy and reads its reply's head; the socket stays open for a tunnel. */
export function ask(proxyPort: number, request: string | Buffer): Promise<ProxyReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: proxyPort });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply head from the proxy in 10 s; got ${JSON.stringify(got.toString('latin1'))}`));
    }, 10_000);
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const end = got.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      const head = got.subarray(0, end).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, rest: got.subarray(end + 4), socket });
    };
    socket.on('data', onData);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => socket.write(request));
  });
}

/** Everything left on the socket until the peer ends or closes it (at most 10 s; `closed` false then). */
export function readToEnd(socket: Duplex, first: Buffer = Buffer.alloc(0)): Promise<{ body: string; closed: boolean }> {
  return new Promise((resolve) => {
    let body = first;
    const timer = setTimeout(() => resolve({ body: body.toString('utf8'), closed: false }), 10_000);
    socket.on('data', (d: Buffer) => (body = Buffer.concat([body, d])));
    const done = () => {
      clearTimeout(timer);
      resolve({ body: body.toString('utf8'), closed: true });
    };
    // The peer's FIN is enough: a TLS socket over a stream of the test's own may never emit 'close'.
    socket.once('end', done);
    socket.once('close', done);
    socket.once('error', () => undefined);
    socket.resume();
  });
}

/**
 * The environment an unmodified app runs with behind the proxy (what `serve --proxy` prints), on
 * top of a clean one: none of the test run's own proxy or CA settings leak in.
 */
export function proxyEnv(idp: MockEntra, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'SYSTEMROOT'];
  const base = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));
  const proxy = idp.proxyUrl!;
  return {
    ...base,
    HTTPS_PROXY: proxy,
    https_proxy: proxy,
    NO_PROXY: 'localhost,127.0.0.1,::1',
    no_proxy: 'localhost,127.0.0.1,::1',
    NODE_EXTRA_CA_CERTS: idp.caCertPath,
    REQUESTS_CA_BUNDLE: idp.caCertPath,
    SSL_CERT_FILE: idp.caCertPath,
    ...extra,
  };
}

/** Runs a client program to completion (at most `timeoutMs`) with exactly `env`. */
export const runClient = (cmd: string, args: string[], env: NodeJS.ProcessEnv, opts: Omit<RunOptions, 'env'> = {}) => runProcess(cmd, args, { ...opts, env });

