import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { cli } from '../cli/in-process.js';
import { spareKey, templateCerts } from '../helpers/keys.js';
import { copyDir, freshDir, withSigningKeysOnly } from './fixtures.js';
import { legacyCaPem } from './legacy-ca.js';

// The CLI in process (runCli, as the binary runs it; the binary's exit codes are cli.test.ts), on
// copies of the run's template certs directory where what is tested is not making keys.
const template = templateCerts();

describe('mock-entra certs and damaged keys', () => {
  it('says on stderr what it makes on first use; stdout stays the path alone', async () => {
    const dir = freshDir();
    const r = await cli(['certs', 'path', '--certs-dir', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${path.join(dir, 'ca.pem')}\n`);
    expect(r.stderr).toContain(`mock-entra: making a local CA for localhost, 127.0.0.1, ::1 (${path.join(dir, 'ca.pem')})`);
    expect(r.stderr).toContain('mock-entra: making token-signing key 2');
    // Nothing to make the second time: nothing said.
    expect((await cli(['certs', 'path', '--certs-dir', dir])).stderr).toBe('');
  });

  it('shows the names the CA permits', async () => {
    const r = await cli(['certs', '--certs-dir', template]);
    expect(r.stdout).toContain('may issue only for localhost, .localhost, wrong-host.invalid, 127.0.0.0/8, ::1/128');
    const json = JSON.parse((await cli(['certs', '--certs-dir', template, '--json'])).stdout) as { ca: { permitted: string[] | null; subject: string } };
    expect(json.ca.permitted).toContain('127.0.0.0/8');
    expect(json.ca.subject).toMatch(/^CN=mock-entra local CA [0-9a-f]{8}$/);
  });

  it.each(['certs', 'token', 'metadata'])('%s with a damaged key file exits 2 with one line naming the file and the fix, no stack', async (cmd) => {
    const dir = copyDir(template);
    fs.writeFileSync(path.join(dir, 'signing-1-key.pem'), 'garbage');
    const args = { certs: ['certs'], token: ['token', '-u', 'ada@contoso.onmicrosoft.com', '-a', 'sample-web'], metadata: ['metadata', '--app', 'sample-saml'] }[cmd]!;
    const r = await cli([...args, '--certs-dir', dir]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`mock-entra: ${path.join(dir, 'signing-1-key.pem')}: is not a PEM private key`);
    expect(r.stderr).toContain(`mock-entra certs regenerate --yes --certs-dir ${dir}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a directory in place of a key file: the same, no stack', async () => {
    const dir = copyDir(template);
    fs.rmSync(path.join(dir, 'ca-key.pem'));
    fs.mkdirSync(path.join(dir, 'ca-key.pem'));
    const r = await cli(['certs', 'path', '--certs-dir', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mock-entra: \S+ca-key\.pem: is a directory, not a file\. /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a host name the CA was not made for exits 2 naming regenerate with that host name', async () => {
    const dir = copyDir(template);
    const r = await cli(['certs', '--certs-dir', dir, '--hostname', 'idp.test']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('not for idp.test');
    expect(r.stderr).toContain(`mock-entra certs regenerate --yes --certs-dir ${dir} --hostname idp.test`);
    // ... which works.
    const fixed = await cli(['certs', 'regenerate', '--yes', '--certs-dir', dir, '--hostname', 'idp.test']);
    expect(fixed.status, fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain('may issue only for localhost, .localhost, wrong-host.invalid, 127.0.0.0/8, ::1/128, idp.test');
    expect((await cli(['certs', '--certs-dir', dir, '--hostname', 'idp.test'])).status).toBe(0);
  });

  it('certs regenerate --yes fixes a directory of damaged files', async () => {
    const dir = copyDir(template);
    fs.writeFileSync(path.join(dir, 'ca.pem'), 'garbage');
    fs.rmSync(path.join(dir, 'tls.pem'));
    fs.mkdirSync(path.join(dir, 'tls.pem'));
    const r = await cli(['certs', 'regenerate', '--yes', '--certs-dir', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('New keys made');
    expect((await cli(['certs', 'path', '--certs-dir', dir])).status).toBe(0);
  });

  it('tells the user a CA made before CAs were name-constrained is not, and how to make a new one', async () => {
    const dir = withSigningKeysOnly();
    const k = spareKey(1);
    fs.writeFileSync(path.join(dir, 'ca.pem'), await legacyCaPem(k));
    fs.writeFileSync(path.join(dir, 'ca-key.pem'), k.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const show = await cli(['certs', '--certs-dir', dir]);
    expect(show.status, show.stderr).toBe(0);
    expect(show.stdout).toContain('WARNING: this CA is not name-constrained');
    expect(show.stdout).toContain(`mock-entra certs regenerate --yes --certs-dir ${dir}`);
    expect(JSON.parse((await cli(['certs', '--certs-dir', dir, '--json'])).stdout)).toMatchObject({ ca: { permitted: null } });
    const p = await cli(['certs', 'path', '--certs-dir', dir]);
    expect(p.stdout).toBe(`${path.join(dir, 'ca.pem')}\n`);
    expect(p.stderr).toContain('warning: this CA is not name-constrained');
  });
});
