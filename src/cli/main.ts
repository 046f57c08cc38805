#!/usr/bin/env node
/** The mock-entra command line. Exit codes: 0 success, 2 bad input (with a message that says what to fix), 1 anything else. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { scenarioCommand } from './commands/scenario.js';
import { serveCommand } from './commands/serve.js';

await yargs(hideBin(process.argv))
  .scriptName('mock-entra')
  .usage('$0 <command> [options]\n\nA local mock of Microsoft Entra ID for tests.')
  .command(serveCommand)
  .command(scenarioCommand)
  .demandCommand(1, 'Name a command: serve or scenario.')
  .strict()
  .recommendCommands()
  .fail((msg, err, y) => {
    if (err) throw err;
    process.stderr.write(`${y.help()}\n\n${msg}\n`);
    process.exit(2);
  })
  .help()
  .version()
  .parseAsync();
