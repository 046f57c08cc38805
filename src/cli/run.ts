/**
 * The mock-entra command line as a function: main.ts runs it on process.argv; tests run it in
 * process. Commands write through `io` and never exit the process; whatever they throw becomes the
 * exit code (0 success, 2 bad input with a message that says what to fix, 1 anything else).
 */
import yargs from 'yargs';
import { certsCommand } from './commands/certs.js';
import { metadataCommand } from './commands/metadata.js';
import { scenarioCommand } from './commands/scenario.js';
import { serveCommand } from './commands/serve.js';
import { tokenCommand } from './commands/token.js';
import { nearest } from '../scenario/load.js';
import { MOCK_ENTRA_VERSION } from '../version.js';
import { CliExit, type CliIo, exitCodeFor, processIo } from './common.js';

export type { CliIo } from './common.js';


/**
 * yargs' "Unknown argument(s): a, b" for options the user typed (`--scenaro`), as one line each with
 * the nearest option of the command, instead of the whole help above it; undefined when one of them
 * is not an option (an unknown command or positional), which the help answers best.
 */
function unknownOptions(msg: string, argv: readonly string[], help: string): string | undefined {
  const m = /^Unknown arguments?: (.+)$/.exec(msg);
  if (!m) return undefined;
  // Each name as it was typed: --name, -n or --no-name.
  const typed = new Map(argv.flatMap((a) => {
    const t = /^(--?(?:no-)?)([^=]+)/.exec(a);
    return t ? [[t[2]!, t[1]!] as const] : [];
  }));
  const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const names = m[1]!.split(', ');
  // yargs names a --foo-bar also as fooBar: only the form that was typed.
  const unknown = names.filter((n) => typed.has(n) || !names.some((o) => o !== n && camel(o) === n));
  if (!unknown.every((n) => typed.has(n))) return undefined;
  const options = [...new Set([...help.matchAll(/(?:^|\s)--([a-z][a-z0-9-]*)/gm)].map((o) => o[1]!))].filter((o) => o !== 'help' && o !== 'version');
  const command = (help.split('\n')[0] ?? 'mock-entra').replace(/\s*[<[].*$/, '').trim();
  const lines = unknown.map((n) => {
    const near = nearest(n, options);
    const dashes = typed.get(n)!;
    return `mock-entra: unknown option ${dashes}${n}${near ? `; did you mean ${dashes.length === 1 ? '--' : dashes}${near}?` : ''}`;
  });
  return `${lines.join('\n')}\n  ${command} --help lists its options.`;
}

/** Runs `mock-entra …argv`; resolves with the exit code once the command is done (serve: once it has stopped). */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  // What yargs itself prints (--help, --version): with a parse callback it hands it over instead of logging it.
  let shown = '';
  try {
    await yargs()
      .scriptName('mock-entra')
      .usage('$0 <command> [options]\n\nA local mock of Microsoft Entra ID for tests.')
      .command(serveCommand(io))
      .command(scenarioCommand(io))
      .command(tokenCommand(io))
      .command(certsCommand(io))
      .command(metadataCommand(io))
      .example('$0 serve', 'serve scenarios/default.yaml at https://localhost:8443')
      .example('$0 serve -s scenarios/first-test-failure.yaml', 'reproduce a failure (mock-entra scenario list shows them all)')
      .example('$0 token -u ada@contoso.onmicrosoft.com -a sample-web --type id', 'mint an ID token offline')
      .example('$0 <command> --help', 'options and examples of one command')
      .epilogue('Exit codes: 0 success, 2 bad input (the message says what to fix), 1 anything else. Docs: README.md and docs/ in the package.')
      .demandCommand(1, 'Name a command: serve, scenario, token, certs or metadata.')
      .strict()
      .recommendCommands()
      .wrap(Math.min(120, process.stdout.columns || 100))
      .exitProcess(false)
      .fail((msg, err, usage) => {
        // err: what a command threw (runCli maps it below); msg: yargs' own complaint about the arguments.
        if (err) throw err;
        // The third argument is yargs' usage object at run time, whose help() is the text (the typings say Argv).
        const help = String(usage.help() as unknown);
        throw new CliExit(unknownOptions(msg, argv, help) ?? `${help}\n\n${msg}`, 2);
      })
      .help()
      .version(MOCK_ENTRA_VERSION)
      .parseAsync(argv, {}, (_err, _argv, output) => {
        shown = output;
      });
  } catch (err) {
    return exitCodeFor(err, io);
  }
  if (shown) io.stdout(`${shown}\n`);
  return 0;
}
