/** `mock-entra serve --proxy PORT` as a user starts it: it prints the environment an app needs, and the proxy answers. */
import { spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { cli } from '../cli/in-process.js';
import { MAIN } from '../cli/spawn.js';
import { ask, MS_LOGIN } from './support.js';

describe('mock-entra serve --proxy', () => {
  it('prints HTTPS_PROXY, NO_PROXY and the CA variables, and answers CONNECT login.microsoftonline.com:443 on that port', async () => {
    // --proxy alone: it implies --as-microsoft, whose CA lives in the certs directory's as-microsoft/.
    const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', '--proxy', '0', '--certs-dir', TEST_CERTS_DIR]);
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no proxy lines after 20 s: ${out}`)), 20_000);
        const check = () => {
          if (/SSL_CERT_FILE=\S+/.test(out)) {
            clearTimeout(timer);
            resolve();
          } else if (child.exitCode !== null) reject(new Error(`serve exited: ${out}`));
          else setTimeout(check, 50);
        };
        check();
      });
      const proxy = /export HTTPS_PROXY=(http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      expect(proxy, out).not.toBeNull();
      const ca = join(TEST_CERTS_DIR, 'as-microsoft', 'ca.pem');
      expect(out).toContain(`https_proxy=${proxy![1]}`);
      expect(out).toMatch(/export NO_PROXY=localhost,127\.0\.0\.1,::1/);
      expect(out).toContain(`NODE_EXTRA_CA_CERTS=${ca}`);
      expect(out).toContain(`REQUESTS_CA_BUNDLE=${ca}`);
      expect(out).toContain(`SSL_CERT_FILE=${ca}`);
      const reply = await ask(Number(proxy![2]), `CONNECT ${MS_LOGIN}:443 HTTP/1.1\r\n\r\n`);
      expect(reply.head).toBe('HTTP/1.1 200 Connection Established');
      reply.socket.destroy();
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('refuses --proxy on the server\'s own port, and --proxy with --no-tls, saying what to do (exit 2)', async () => {
    const same = await cli(['serve', '--certs-dir', TEST_CERTS_DIR, '--port', '9443', '--proxy', '9443']);
    expect(same.status).toBe(2);
    expect(same.stderr).toContain("--proxy 9443 is also the server's --port: give the proxy a port of its own");
    const plain = await cli(['serve', '--certs-dir', TEST_CERTS_DIR, '--no-tls', '--proxy', '0']);
    expect(plain.status).toBe(2);
    expect(plain.stderr).toContain('--proxy needs TLS');
  });

  it('says which port is taken when the proxy\'s is', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const ran = await cli(['serve', '--certs-dir', TEST_CERTS_DIR, '--port', '0', '--proxy', String(taken)]);
      expect(ran.status).toBe(2);
      expect(ran.stderr).toContain(`cannot listen on 127.0.0.1:${taken} for --proxy (EADDRINUSE); choose another --proxy port`);
    } finally {
      blocker.close();
    }
  });
});
