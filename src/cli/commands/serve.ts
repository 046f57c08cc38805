import type { CommandModule } from 'yargs';
import { ScenarioError } from '../../scenario/load.js';
import { DEFAULT_SCENARIO, start } from '../../start.js';

interface ServeArgs {
  scenario: string;
  port: number;
  host: string;
  tls: boolean;
  'certs-dir': string;
  hostname: string[];
  'public-url'?: string;
  'log-format': 'pretty' | 'json';
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Serve a scenario over HTTPS (OIDC endpoints in Entra\'s layout)',
  builder: (y) =>
    y
      .option('scenario', { alias: 's', type: 'string', default: DEFAULT_SCENARIO, defaultDescription: 'scenarios/default.yaml', describe: 'scenario file (YAML or JSON)' })
      .option('port', { alias: 'p', type: 'number', default: 8443, describe: 'port to listen on (0: any free port)' })
      .option('host', { type: 'string', default: 'localhost', describe: 'interface to bind (localhost = 127.0.0.1 and ::1)' })
      .option('tls', { type: 'boolean', default: true, describe: 'serve HTTPS with the local CA (--no-tls: plain HTTP)' })
      .option('certs-dir', { type: 'string', default: 'certs', describe: 'where the CA, TLS and signing keys are kept' })
      .option('hostname', { type: 'string', array: true, default: [], describe: 'extra host name for the TLS certificate' })
      .option('public-url', { type: 'string', describe: 'origin clients use, if not https://localhost:PORT' })
      .option('log-format', { choices: ['pretty', 'json'] as const, default: 'pretty' as const, describe: 'request log format' })
      .example('$0 serve', 'serve scenarios/default.yaml at https://localhost:8443')
      .example('$0 serve -s scenarios/my.yaml -p 9443 --hostname idp.test', 'another scenario, port and host name')
      .example('$0 serve --no-tls --port 8080', 'plain HTTP (MSAL refuses http authorities; openid-client allows it)') as never,
  handler: async (args) => {
    try {
      const idp = await start({
        scenario: args.scenario,
        port: args.port,
        host: args.host,
        tls: args.tls,
        certsDir: args['certs-dir'],
        hostnames: args.hostname,
        publicUrl: args['public-url'],
        logFormat: args['log-format'],
      });
      const t = idp.directory.tenants[0]!;
      const lines = [
        `mock-entra serving ${args.scenario}`,
        `  url:       ${idp.url}`,
        `  tenant:    ${t.id} (${t.domain})`,
        `  discovery: ${idp.url}/${t.id}/v2.0/.well-known/openid-configuration`,
        ...(args.tls ? [`  CA:        ${idp.caCertPath}  (NODE_EXTRA_CA_CERTS=${idp.caCertPath})`] : []),
      ];
      if (args['log-format'] === 'json') process.stdout.write(`${JSON.stringify({ msg: 'listening', url: idp.url, tenantId: t.id, caCertPath: idp.caCertPath })}\n`);
      else process.stdout.write(`${lines.join('\n')}\n`);
      const stop = async () => {
        await idp.stop();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (err) {
      if (err instanceof ScenarioError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(2);
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        process.stderr.write(`mock-entra: cannot listen on ${args.host}:${args.port} (${code}); choose another --port or --host\n`);
        process.exit(2);
      }
      throw err;
    }
  },
};
