import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { createCaCert } from '../../src/keys/ca.js';
import { KeyFileError, loadKeys, loadSamlCert, regenerateKeys } from '../../src/keys/store.js';
import { start } from '../../src/start.js';
import { spareKey, templateCerts } from '../helpers/keys.js';
import { SAML_APP } from '../saml/support.js';
import { copyDir, freshDir } from './fixtures.js';

const APP = SAML_APP.clientId;
const SAML = `saml-${APP}-current`;
// The run's template (keys and sample-saml's SAML certificate, made once by global-setup.ts): each test damages a copy.
let template: string;
beforeAll(() => {
  template = templateCerts();
  expect(fs.existsSync(path.join(template, `${SAML}.pem`))).toBe(true);
});

/** The files of a certs directory and their contents, to prove nothing was replaced. */
const snapshot = (dir: string) =>
  Object.fromEntries(fs.readdirSync(dir).filter((f) => f.endsWith('.pem')).map((f) => [f, fs.statSync(path.join(dir, f)).isFile() ? fs.readFileSync(path.join(dir, f), 'utf8') : 'dir']));

const load = (dir: string) => (/^saml-/.test(damagedName) ? loadSamlCert({ certsDir: dir, appId: APP, slot: 'current' }) : loadKeys({ certsDir: dir }));
let damagedName = '';

async function refusal(dir: string, file: string): Promise<KeyFileError> {
  damagedName = file;
  const before = snapshot(dir);
  const err = await load(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${file}: loaded anyway`).toBeInstanceOf(KeyFileError);
  const e = err as KeyFileError;
  expect(e.file).toBe(path.join(dir, file));
  expect(e.message).toContain(path.join(dir, file));
  expect(e.message).toContain(`mock-entra certs regenerate --yes --certs-dir ${dir}`);
  expect(e.message).not.toMatch(/\n/);
  expect(snapshot(dir), 'a damaged file was replaced').toEqual(before);
  return e;
}

describe('a damaged key file', () => {
  it.each(['ca.pem', 'ca-key.pem', 'tls.pem', 'tls-key.pem', 'signing-1.pem', 'signing-2-key.pem', `${SAML}.pem`, `${SAML}-key.pem`])(
    'refuses to load, naming %s and the fix, and replaces nothing',
    async (file) => {
      const dir = copyDir(template);
      fs.writeFileSync(path.join(dir, file), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
      expect((await refusal(dir, file)).problem).toBe('damaged');
    },
  );

  it('truncated (a cut-off copy) is damaged too', async () => {
    const dir = copyDir(template);
    const file = path.join(dir, 'ca-key.pem');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').slice(0, 300));
    expect((await refusal(dir, 'ca-key.pem')).problem).toBe('damaged');
  });

  it('a private key that belongs to another certificate is a mismatch', async () => {
    const dir = copyDir(template);
    fs.copyFileSync(path.join(dir, 'signing-2-key.pem'), path.join(dir, 'signing-1-key.pem'));
    const e = await refusal(dir, 'signing-1-key.pem');
    expect(e.problem).toBe('mismatch');
    expect(e.message).toContain('is not the private key of signing-1.pem');
  });

  it('a certificate whose key file is gone is incomplete', async () => {
    const dir = copyDir(template);
    fs.rmSync(path.join(dir, 'ca-key.pem'));
    expect((await refusal(dir, 'ca-key.pem')).problem).toBe('incomplete');
  });

  it.each(['ca-key.pem', 'tls.pem', 'signing-1-key.pem', `${SAML}-key.pem`])('a directory in place of %s is the same clear error, not a crash', async (file) => {
    const dir = copyDir(template);
    fs.rmSync(path.join(dir, file));
    fs.mkdirSync(path.join(dir, file));
    expect((await refusal(dir, file)).problem).toBe('not-a-file');
  });

  it('a CA that is not a CA, or that has expired, is refused too', async () => {
    const dir = copyDir(template);
    fs.copyFileSync(path.join(dir, 'signing-1.pem'), path.join(dir, 'ca.pem'));
    fs.copyFileSync(path.join(dir, 'signing-1-key.pem'), path.join(dir, 'ca-key.pem'));
    expect((await refusal(dir, 'ca.pem')).message).toContain('is not a CA certificate');

    const expired = copyDir(template);
    const k = spareKey(0);
    fs.writeFileSync(path.join(expired, 'ca.pem'), await createCaCert(k, { validDays: -1 }));
    fs.writeFileSync(path.join(expired, 'ca-key.pem'), k.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const e = await refusal(expired, 'ca.pem');
    expect(e.problem).toBe('expired');
    expect(e.message).toMatch(/the local CA expired on \d{4}-\d\d-\d\d/);
  });

  it('makes start() reject with KeyFileError', async () => {
    const dir = copyDir(template);
    fs.writeFileSync(path.join(dir, 'tls-key.pem'), 'garbage');
    await expect(start({ certsDir: dir })).rejects.toMatchObject({ name: 'KeyFileError', file: path.join(dir, 'tls-key.pem'), problem: 'damaged' });
  });

  it('a certs directory that is a file is refused the same way', async () => {
    const file = path.join(freshDir(), 'certs');
    fs.writeFileSync(file, 'not a directory');
    await expect(loadKeys({ certsDir: file })).rejects.toMatchObject({ name: 'KeyFileError', file, problem: 'not-a-file' });
  });

  it('regenerateKeys replaces every generated file, damaged or not, and removes an empty directory in place of one', async () => {
    const dir = copyDir(template);
    const old = await loadKeys({ certsDir: template });
    fs.writeFileSync(path.join(dir, 'ca.pem'), 'garbage');
    fs.rmSync(path.join(dir, 'tls-key.pem'));
    fs.mkdirSync(path.join(dir, 'tls-key.pem'));
    const keys = await regenerateKeys({ certsDir: dir });
    expect(keys.caCertPem).not.toBe(old.caCertPem);
    expect(keys.signing.map((s) => s.kid)).not.toContain(old.signing[0]!.kid);
    expect(fs.existsSync(path.join(dir, `${SAML}.pem`))).toBe(false);
    expect(fs.statSync(path.join(dir, 'tls-key.pem')).isFile()).toBe(true);
    expect(fs.existsSync(path.join(dir, '.gitignore'))).toBe(true);
    // and what it made loads as it is
    expect((await loadKeys({ certsDir: dir })).caCertPem).toBe(keys.caCertPem);
  });

  it('regenerateKeys will not delete a directory with files in it', async () => {
    const dir = copyDir(template);
    fs.rmSync(path.join(dir, 'ca-key.pem'));
    fs.mkdirSync(path.join(dir, 'ca-key.pem'));
    fs.writeFileSync(path.join(dir, 'ca-key.pem', 'keep-me'), 'x');
    await expect(regenerateKeys({ certsDir: dir })).rejects.toMatchObject({ name: 'KeyFileError', file: path.join(dir, 'ca-key.pem'), problem: 'not-a-file' });
    expect(fs.existsSync(path.join(dir, 'ca-key.pem', 'keep-me'))).toBe(true);
  });
});

describe('a missing key file', () => {
  it('is made, as on a first start: a key without its certificate is a write that never finished', async () => {
    const dir = copyDir(template);
    const old = await loadKeys({ certsDir: template });
    fs.rmSync(path.join(dir, 'signing-2.pem'));
    const progress: string[] = [];
    const keys = await loadKeys({ certsDir: dir, onProgress: (m) => progress.push(m) });
    expect(keys.signing[0]!.kid).toBe(old.signing[0]!.kid);
    expect(keys.signing[1]!.kid).not.toBe(old.signing[1]!.kid);
    expect(progress).toEqual([`making token-signing key 2 (${path.join(dir, 'signing-2.pem')})`]);
  });

  it('is reported through onProgress only: loadKeys itself prints nothing', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const writeErr = process.stderr.write.bind(process.stderr);
    const progress: string[] = [];
    process.stdout.write = ((c: string) => (out.push(String(c)), true)) as typeof process.stdout.write;
    process.stderr.write = ((c: string) => (out.push(String(c)), true)) as typeof process.stderr.write;
    try {
      await loadKeys({ certsDir: freshDir(), onProgress: (m) => progress.push(m) });
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    }
    expect(out).toEqual([]);
    expect(progress.map((m) => m.split(' (')[0])).toEqual([
      'making a local CA for localhost, 127.0.0.1, ::1',
      'making the TLS certificate for localhost, 127.0.0.1, ::1',
      'making token-signing key 1',
      'making token-signing key 2',
    ]);
  });
});
