import type { CommandModule } from 'yargs';
import { loadScenarioFile, ScenarioError } from '../../scenario/load.js';
import { scenarioJsonSchema } from '../../scenario/schema.js';

export const scenarioCommand: CommandModule = {
  command: 'scenario <action>',
  describe: 'Check scenario files',
  builder: (y) =>
    y
      .command({
        command: 'validate <file>',
        describe: 'Validate a scenario file; errors name the path inside it and what was expected',
        builder: (yy) => yy.positional('file', { type: 'string', demandOption: true }).example('$0 scenario validate scenarios/default.yaml', ''),
        handler: async (args) => {
          const file = String(args.file);
          try {
            const s = await loadScenarioFile(file);
            process.stdout.write(`${file}: valid (${s.users.length} users, ${s.apps.length} apps, ${s.groups.length} groups)\n`);
          } catch (err) {
            if (!(err instanceof ScenarioError)) throw err;
            process.stderr.write(`${err.message}\n`);
            process.exit(2);
          }
        },
      })
      .command({
        command: 'schema',
        describe: 'Print the JSON Schema of scenario files (for editor autocompletion)',
        handler: () => {
          process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
        },
      })
      .demandCommand(1, 'Name an action: validate or schema.'),
  handler: () => {},
};
