/** `mock-entra certs`: where the local CA is, the kids and thumbprints of the keys, and starting over. */
import { X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { readPermittedNames } from '../../keys/ca.js';
import { regenerateCommand } from '../../keys/errors.js';
import { type KeyMaterial, loadKeys, regenerateKeys } from '../../keys/store.js';
import { type CliIo, UsageError } from '../common.js';

interface CertsArgs {
  action: 'show' | 'path' | 'regenerate';
  'certs-dir': string;
  hostname: string[];
  yes: boolean;
  json: boolean;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

interface Described {
  certsDir: string;
  ca: {
    path: string; subject: string; sha1: string; sha256: string; expires: string;
    /** The names the CA may issue for (its name constraints); null for a CA made before CAs were constrained: it may issue for any name. */
    permitted: string[] | null;
  };
  tls: { path: string; names: string[]; expires: string };
  signing: Array<{ path: string; kid: string; x5t: string; thumbprint: string; expires: string }>;
  saml: Array<{ appId: string; slot: string; path: string; thumbprint: string; expires: string }>;
}

async function describe(keys: KeyMaterial): Promise<Described> {
  const ca = new X509Certificate(keys.caCertPem);
  const tls = new X509Certificate(keys.tls.certPem);
  const saml: Described['saml'] = [];
  for (const f of (await readdir(keys.certsDir)).sort()) {
    const m = /^saml-([0-9a-f-]{36})-([a-z]+)\.pem$/.exec(f);
    if (!m) continue;
    const cert = new X509Certificate(await readFile(join(keys.certsDir, f), 'utf8'));
    saml.push({ appId: m[1]!, slot: m[2]!, path: join(keys.certsDir, f), thumbprint: cert.fingerprint.replace(/:/g, ''), expires: day(new Date(cert.validTo)) });
  }
  return {
    certsDir: keys.certsDir,
    ca: {
      path: keys.caCertPath,
      subject: ca.subject.replace(/\n/g, ', '),
      sha1: ca.fingerprint,
      sha256: ca.fingerprint256,
      expires: day(new Date(ca.validTo)),
      permitted: (await readPermittedNames(keys.caCertPem)) ?? null,
    },
    tls: {
      path: join(keys.certsDir, 'tls.pem'),
      names: (tls.subjectAltName ?? '').split(', ').map((n) => n.replace(/^(DNS|IP Address):/, '')),
      expires: day(new Date(tls.validTo)),
    },
    signing: keys.signing.map((k, i) => ({ path: join(keys.certsDir, `signing-${i + 1}.pem`), kid: k.kid, x5t: k.x5t, thumbprint: k.thumbprintSha1Hex, expires: day(k.notAfter) })),
    saml,
  };
}

/** Said about a CA that is not name-constrained, wherever the CA is shown. */
function unconstrainedWarning(certsDir: string): string {
  return (
    'this CA is not name-constrained (made by an earlier mock-entra): a certificate its key signs is trusted for any host name, ' +
    `such as *.google.com, by every client that trusts it. Make a constrained one with ${regenerateCommand(certsDir)} ` +
    '(add --hostname for each name beyond localhost you serve), then trust the new ca.pem and remove the old one from your trust stores'
  );
}

function render(d: Described): string {
  return [
    `certs dir    ${d.certsDir}`,
    `CA           ${d.ca.path}`,
    `             ${d.ca.subject}, expires ${d.ca.expires}`,
    d.ca.permitted
      ? `             may issue only for ${d.ca.permitted.join(', ')}`
      : `             WARNING: ${unconstrainedWarning(d.certsDir)}`,
    `             SHA-1 ${d.ca.sha1}`,
    `             SHA-256 ${d.ca.sha256}`,
    `             trust it: NODE_EXTRA_CA_CERTS=${d.ca.path}  REQUESTS_CA_BUNDLE=${d.ca.path}  curl --cacert ${d.ca.path}`,
    `TLS          ${d.tls.path} for ${d.tls.names.join(', ')}, expires ${d.tls.expires}`,
    ...d.signing.map((s, i) => `signing key ${i + 1} kid ${s.kid}  thumbprint ${s.thumbprint}  expires ${s.expires}${i === 0 ? '  (signs unless a scenario says keys.active: 2)' : ''}`),
    ...d.saml.map((s) => `SAML         app ${s.appId} (${s.slot}) thumbprint ${s.thumbprint}  expires ${s.expires}`),
  ].join('\n');
}

export const certsCommand = (io: CliIo): CommandModule<object, CertsArgs> => ({
  command: 'certs [action]',
  describe: 'Show the local CA and the signing keys (kids, thumbprints), print the CA path, or regenerate everything',
  builder: (y) =>
    y
      .positional('action', { choices: ['show', 'path', 'regenerate'] as const, default: 'show' as const, describe: 'show: CA path, kids and thumbprints; path: the CA path only; regenerate: delete and recreate all keys (a new CA that permits localhost and the --hostname names)' })
      .option('certs-dir', { type: 'string', default: 'certs', describe: 'the certs directory, as for serve' })
      .option('hostname', { type: 'string', array: true, default: [] as string[], describe: 'extra host name the TLS certificate must cover, as for serve; a new CA permits only these and loopback' })
      .option('yes', { type: 'boolean', default: false, describe: 'confirm regenerate' })
      .option('json', { type: 'boolean', default: false, describe: 'show as JSON' })
      .example('$0 certs', 'the CA path, the token-signing kids and thumbprints, the SAML certificates')
      .example('export NODE_EXTRA_CA_CERTS="$($0 certs path)"', 'trust the local CA in Node (keys are made if missing)')
      .example('$0 certs regenerate --yes', 'delete every key and certificate in certs/ and make new ones')
      .example('$0 certs regenerate --yes --hostname idp.test', 'the same, with a CA that may also issue for idp.test') as never,
  handler: async (args) => {
    const certsDir = resolve(args['certs-dir']);
    if (args.action === 'regenerate') {
      if (!args.yes) {
        throw new UsageError(
          `regenerate deletes the CA, TLS, token-signing and SAML keys in ${certsDir}: clients that trust the old CA, ` +
            'and service providers that stored a SAML certificate, must be updated, and running servers must restart. Run it again with --yes to go ahead.',
        );
      }
    }
    const progress = (m: string) => io.stderr(`mock-entra: ${m}\n`);
    const opts = { certsDir, hostnames: args.hostname, onProgress: progress };
    const keys = args.action === 'regenerate' ? await regenerateKeys(opts) : await loadKeys(opts);
    if (args.action === 'path') {
      io.stdout(`${keys.caCertPath}\n`);
      if (!(await readPermittedNames(keys.caCertPem))) io.stderr(`mock-entra: warning: ${unconstrainedWarning(certsDir)}\n`);
      return;
    }
    const d = await describe(keys);
    io.stdout(args.json ? `${JSON.stringify(d, null, 2)}\n` : `${render(d)}\n`);
    if (args.action === 'regenerate' && !args.json) {
      io.stdout('New keys made. Restart running servers; SAML certificates are made again on first use.\n');
    }
  },
});
