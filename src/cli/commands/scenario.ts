import type { CommandModule } from 'yargs';
import { readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { plural } from '../../faults/rules.js';
import { explainFile, renderExplanation } from '../../scenario/explain.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { DEFAULT_SCENARIO } from '../../start.js';
import { scenarioJsonSchema } from '../../scenario/schema.js';
import { type CliIo, scenarioPath, UsageError } from '../common.js';

/** A bad file exits 2 with each problem's path (runCli prints the ScenarioError). */
export const scenarioCommand = (io: CliIo): CommandModule => ({
  command: 'scenario <action>',
  describe: 'Validate, explain, import and list scenario files; print their JSON Schema or reference',
  builder: (y) =>
    y
      .command({
        command: 'validate <file>',
        describe: 'Validate a scenario file; errors name the path inside it and what was expected',
        builder: (yy) => yy.positional('file', { type: 'string', demandOption: true }).example('$0 scenario validate scenarios/default.yaml', ''),
        handler: async (args) => {
          const file = String(args.file);
          const s = await loadScenarioFile(scenarioPath(file));
          io.stdout(`${resolve(scenarioPath(file))}: valid (${plural(s.users.length, 'user')}, ${plural(s.apps.length, 'app')}, ${plural(s.groups.length, 'group')})\n`);
        },
      })
      .command({
        command: 'explain <file>',
        describe: 'Say in plain words what a scenario file changes from what it extends (its header, apps, users, settings, rules, switches) and what each fault rule does',
        builder: (yy) =>
          yy
            .positional('file', { type: 'string', demandOption: true })
            .option('json', { type: 'boolean', default: false, describe: 'print it as JSON: file, header, description, extends, changes [{kind, name, field, from, to, effect}], notes, rules' })
            .option('full', { type: 'boolean', default: false, describe: 'also describe the whole merged scenario (tenant, managed identities, switches)' })
            .example('$0 scenario explain first-test-failure', 'a shipped scenario, by name')
            .example('$0 scenario explain my.yaml --json', 'the same for tools'),
        handler: async (args) => {
          const file = String(args.file);
          const { explanation, scenario } = await explainFile(scenarioPath(file), file);
          if (args.json === true) return io.stdout(`${JSON.stringify(explanation, null, 2)}\n`);
          io.stdout(`${renderExplanation(explanation, scenario, args.full === true)}\n`);
        },
      })
      .command({
        command: 'import <files..>',
        describe: 'Write a scenario from what production exports: app registration manifests (Manifest JSON in either format, or az ad app show output), SPs\' SAML metadata (as enterprise apps), and HAR or SAML-tracer captures of a failing sign-in (a rule that reproduces its AADSTS code)',
        builder: (yy) =>
          yy
            .positional('files', { type: 'string', array: true, demandOption: true, describe: 'files to import; the kind of each is recognised from its content' })
            .option('out', { alias: 'o', type: 'string', describe: 'write the scenario to this file instead of stdout' })
            .option('force', { type: 'boolean', default: false, describe: 'overwrite the --out file if it exists' })
            .option('standalone', { type: 'boolean', default: false, describe: 'a tenant and user of its own instead of extends of the default scenario' })
            .example('$0 scenario import app.json --out my-app.yaml', 'then: $0 serve -s my-app.yaml')
            .example('$0 scenario import web.json api.json', 'a client and the API it calls: its API permissions are granted')
            .example('$0 scenario import sp-metadata.xml', 'a SAML service provider as an enterprise app')
            .example('$0 scenario import failing-sign-in.har -o repro.yaml', 'a failing sign-in, reproduced: serve repro.yaml shows the same AADSTS code'),
        handler: async (args) => {
          const { importScenario, ImportError } = await import('../../scenario/import/index.js');
          const out = args.out === undefined ? undefined : resolve(String(args.out));
          const r = await importScenario((args.files as string[]).map(String), { standalone: args.standalone === true, outDir: out ? dirname(out) : undefined }).catch((err: unknown) => {
            throw err instanceof ImportError ? new UsageError(err.message) : err;
          });
          for (const u of r.unmapped) io.stderr(`not mapped: ${u}\n`);
          if (!out) return io.stdout(r.text);
          try {
            await writeFile(out, r.text, { flag: args.force === true ? 'w' : 'wx' });
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'EEXIST') throw new UsageError(`${out} exists: choose another --out file, or add --force to overwrite it`);
            throw new UsageError(`cannot write ${out} (${code ?? String(err)}): check the folder exists and is writable`);
          }
          io.stderr(`wrote ${out}: serve it with mock-entra serve -s ${out}\n`);
        },
      })
      .command({
        command: 'list',
        describe: 'List the shipped scenarios, one line each',
        builder: (yy) => yy.example('$0 scenario list', 'then: $0 serve -s scenarios/NAME.yaml'),
        handler: async () => {
          const dir = dirname(DEFAULT_SCENARIO);
          for (const name of (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()) {
            const s = await loadScenarioFile(join(dir, name));
            io.stdout(`${name.replace(/\.yaml$/, '').padEnd(28)} ${s.description ?? ''}\n`);
          }
        },
      })
      .command({
        command: 'reference',
        describe: 'Print the scenario format reference as Markdown (docs/scenario-reference.md)',
        handler: async () => {
          const { scenarioReferenceMarkdown } = await import('../reference.js');
          io.stdout(scenarioReferenceMarkdown());
        },
      })
      .command({
        command: 'schema',
        describe: 'Print the JSON Schema of scenario files (for editor autocompletion)',
        builder: (yy) => yy.example('$0 scenario schema > scenario.schema.json', 'then start a scenario file with # yaml-language-server: $schema=./scenario.schema.json'),
        handler: () => {
          io.stdout(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
        },
      })
      .example('$0 scenario list', 'the shipped scenarios: one failure each')
      .example('$0 scenario validate my.yaml', 'exit 0 when valid, 2 with each problem\'s path when not')
      .example('$0 scenario explain scenarios/first-test-failure.yaml', 'what a scenario changes, in words')
      .example('$0 scenario import app.json -o my-app.yaml', 'a production app registration (Manifest JSON, SP SAML metadata or a HAR capture) as a scenario')
      .demandCommand(1, 'Name an action: validate, explain, import, list, reference or schema.'),
  handler: () => {},
});
