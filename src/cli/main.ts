#!/usr/bin/env node
/** The mock-entra command line. Exit codes: 0 success, 2 bad input (with a message that says what to fix), 1 anything else. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { certsCommand } from './commands/certs.js';
import { metadataCommand } from './commands/metadata.js';
import { scenarioCommand } from './commands/scenario.js';
import { serveCommand } from './commands/serve.js';
import { tokenCommand } from './commands/token.js';

await yargs(hideBin(process.argv))
  .scriptName('mock-entra')
  .usage('$0 <command> [options]\n\nA local mock of Microsoft Entra ID for tests.')
  .command(serveCommand)
  .command(scenarioCommand)
  .command(tokenCommand)
  .command(certsCommand)
  .command(metadataCommand)
  .example('$0 serve', 'serve scenarios/default.yaml at https://localhost:8443')
  .example('$0 serve -s scenarios/first-test-failure.yaml', 'reproduce a failure (mock-entra scenario list shows them all)')
  .example('$0 token -u ada@contoso.onmicrosoft.com -a sample-web --type id', 'mint an ID token offline')
  .example('$0 <command> --help', 'options and examples of one command')
  .epilogue('Exit codes: 0 success, 2 bad input (the message says what to fix), 1 anything else. Docs: README.md and docs/ in the package.')
  .demandCommand(1, 'Name a command: serve, scenario, token, certs or metadata.')
  .strict()
  .recommendCommands()
  .wrap(Math.min(120, process.stdout.columns || 100))
  .fail((msg, err, y) => {
    if (err) throw err;
    process.stderr.write(`${y.help()}\n\n${msg}\n`);
    process.exit(2);
  })
  .help()
  .version()
  .parseAsync();
