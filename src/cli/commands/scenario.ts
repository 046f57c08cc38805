import type { CommandModule } from 'yargs';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { explainScenario } from '../../scenario/explain.js';
import { loadScenarioFile, ScenarioError } from '../../scenario/load.js';
import { DEFAULT_SCENARIO } from '../../start.js';
import { scenarioJsonSchema } from '../../scenario/schema.js';

export const scenarioCommand: CommandModule = {
  command: 'scenario <action>',
  describe: 'Check, explain and list scenario files',
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
        command: 'explain <file>',
        describe: 'Say in plain words what a scenario changes and what each fault rule does',
        builder: (yy) => yy.positional('file', { type: 'string', demandOption: true }).example('$0 scenario explain scenarios/first-test-failure.yaml', ''),
        handler: async (args) => {
          const file = String(args.file);
          try {
            process.stdout.write(`${explainScenario(await loadScenarioFile(file), file)}\n`);
          } catch (err) {
            if (!(err instanceof ScenarioError)) throw err;
            process.stderr.write(`${err.message}\n`);
            process.exit(2);
          }
        },
      })
      .command({
        command: 'list',
        describe: 'List the shipped scenarios, one line each',
        handler: async () => {
          const dir = dirname(DEFAULT_SCENARIO);
          for (const name of (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()) {
            const s = await loadScenarioFile(join(dir, name));
            process.stdout.write(`${name.replace(/\.yaml$/, '').padEnd(28)} ${s.description ?? ''}\n`);
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
      .demandCommand(1, 'Name an action: validate, explain, list or schema.'),
  handler: () => {},
};
