/**
 * `mock-entra token federated`: a token of one of the mock's own external issuers (a Kubernetes
 * service-account token, a GitHub Actions OIDC token), for workload identity federation: what
 * AZURE_FEDERATED_TOKEN_FILE points at. Computed offline from the certs directory, with the same
 * issuer key a server on that directory publishes, so no server needs to run; the issuer URL names
 * the server's origin (--issuer-origin), which must be the one the server answers on.
 */
import { writeFile, chmod } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import { loadIssuerKey } from '../../keys/store.js';
import { mintFederatedToken } from '../../issuers/mint.js';
import { DEFAULTS } from '../../scenario/defaults.js';
import { BUILTIN_ISSUERS } from '../../scenario/schema.js';
import { type CliIo, DEFAULT_ORIGIN, originOf, UsageError } from '../common.js';

interface FederatedArgs {
  subject: string;
  audience: string;
  'issuer-name': (typeof BUILTIN_ISSUERS)[number];
  lifetime: number;
  out?: string;
  'certs-dir': string;
  'issuer-origin': string;
  json: boolean;
}

export const federatedTokenCommand = (io: CliIo): CommandModule<object, FederatedArgs> => ({
  command: 'federated',
  describe: "Mint a token of the mock's own external issuer (Kubernetes- or GitHub Actions-like) for workload identity federation",
  builder: (y) =>
    y
      .option('subject', { type: 'string', demandOption: 'name the workload: --subject system:serviceaccount:NAMESPACE:NAME (k8s) or repo:OWNER/REPO:ref:refs/heads/main (github)', describe: "the token's sub: what the app's federated credential names as subject" })
      .option('audience', { type: 'string', default: DEFAULTS.federatedAudience, describe: "the token's aud: one of the federated credential's audiences" })
      .option('issuer-name', { choices: BUILTIN_ISSUERS, default: 'k8s' as const, describe: 'which built-in issuer signs it (its iss is ORIGIN/_issuers/NAME; a federated credential names it as builtin:NAME)' })
      .option('lifetime', { type: 'number', default: DEFAULTS.federatedTokenSeconds, describe: 'seconds until it expires (negative: already expired)' })
      .option('out', { alias: 'o', type: 'string', describe: 'write the token to this file (mode 0600), e.g. the file AZURE_FEDERATED_TOKEN_FILE names; default: print it' })
      .option('certs-dir', { type: 'string', default: 'certs', describe: 'where the issuer key is kept (made on first use), as for serve' })
      .option('issuer-origin', { alias: 'origin', type: 'string', default: DEFAULT_ORIGIN, describe: 'the origin of the mock that verifies it (its issuer lives under it)' })
      .option('json', { type: 'boolean', default: false, describe: 'print { claims } (and the token unless --out) as JSON' })
      .example('$0 token federated --subject system:serviceaccount:default:workload --out /tmp/token', 'a Kubernetes-like service-account token for AZURE_FEDERATED_TOKEN_FILE=/tmp/token')
      .example('$0 token federated --issuer-name github --subject repo:contoso/app:ref:refs/heads/main', 'a GitHub Actions-like token, printed') as never,
  handler: async (args) => {
    const origin = originOf(args['issuer-origin'], 'issuer-origin');
    if (!Number.isInteger(args.lifetime)) throw new UsageError(`--lifetime must be a whole number of seconds, got '${String(args.lifetime)}'`);
    if (!args.subject.trim()) throw new UsageError('--subject must not be empty: name the workload, e.g. system:serviceaccount:default:workload');
    const key = await loadIssuerKey(args['certs-dir'], args['issuer-name']);
    const minted = mintFederatedToken(origin, key, { issuer: args['issuer-name'], subject: args.subject, audience: args.audience, lifetimeSeconds: args.lifetime });
    if (args.out) {
      await writeFile(args.out, minted.token, { mode: 0o600 });
      await chmod(args.out, 0o600);
      const exp = new Date(Number(minted.claims.exp) * 1000).toISOString();
      io.stdout(args.json ? `${JSON.stringify({ claims: minted.claims }, null, 2)}\n` : `wrote a token of ${String(minted.claims.iss)} for ${args.subject} (aud ${args.audience}, expires ${exp}) to ${args.out}\n`);
      return;
    }
    io.stdout(args.json ? `${JSON.stringify({ token: minted.token, claims: minted.claims }, null, 2)}\n` : `${minted.token}\n`);
  },
});
