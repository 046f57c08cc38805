/** `mock-entra metadata`: an enterprise app's federation metadata XML, offline, as its App Federation Metadata URL serves it. */
import type { CommandModule } from 'yargs';
import { Runtime } from '../../server/runtime.js';
import { loadKeys } from '../../keys/store.js';
import { federationMetadata } from '../../saml/metadata.js';
import { appCerts } from '../../saml/signing.js';
import { appByName, DEFAULT_ORIGIN, type CliIo, loadTenant, originOf } from '../common.js';
import { Origins } from '../../entra/urls.js';

interface MetadataArgs {
  app?: string;
  scenario?: string;
  origin: string;
  'certs-dir': string;
}

export const metadataCommand = (io: CliIo): CommandModule<object, MetadataArgs> => ({
  command: 'metadata',
  describe: 'Print a SAML app\'s federation metadata XML (what its App Federation Metadata URL serves)',
  builder: (y) =>
    y
      .option('app', { alias: 'a', type: 'string', describe: 'the SAML app: name, app ID or Identifier (omit for the tenant\'s metadata)' })
      .option('scenario', { alias: 's', type: 'string', describe: 'scenario file, or the name of a shipped one', defaultDescription: 'scenarios/default.yaml' })
      .option('origin', { alias: 'issuer-origin', type: 'string', default: DEFAULT_ORIGIN, describe: 'the origin of the server the metadata points at' })
      .option('certs-dir', { type: 'string', default: 'certs', describe: 'where the SAML certificates are kept (made on first use), as for serve' })
      .example('$0 metadata --app sample-saml > idp-metadata.xml', 'the metadata an SP imports for sample-saml')
      .example('$0 metadata --app 5d4c3b2a-9e8f-4a7b-8c6d-1e0f2a3b4c5d --origin https://idp.test:8443', 'by app ID, for a server reached under another name') as never,
  handler: async (args) => {
    const origin = Origins.local(originOf(args.origin, 'origin'));
    const { tenant } = await loadTenant(args.scenario);
    const keys = await loadKeys({ certsDir: args['certs-dir'] });
    let xml: string;
    if (args.app === undefined) {
      xml = await federationMetadata({ origin, tenant, certs: keys.signing, signer: keys.signing[0]!, algorithm: 'sha256' });
    } else {
      const app = appByName(tenant, args.app, (a) => !!a.saml, 'SAML app');
      const certs = await appCerts(new Runtime(), keys.certsDir, app);
      xml = await federationMetadata({ origin, tenant, certs: certs.published, signer: certs.active, algorithm: 'sha256' });
    }
    io.stdout(`${xml}\n`);
  },
});
