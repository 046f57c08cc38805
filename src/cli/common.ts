/**
 * What the CLI's commands share. Commands write through a CliIo and never exit the process: they
 * throw, and runCli (run.ts) turns the error into the exit code and the message. Exit codes: 0
 * success, 2 bad input (with a message that says what to fix), 1 anything else.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildDirectory } from '../directory/build.js';
import type { App, Tenant, User } from '../directory/model.js';
import { findUser } from '../directory/lookup.js';
import { KeyFileError } from '../keys/errors.js';
import { StoreError } from '../store/types.js';
import { loadScenarioFile, ScenarioError } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { DEFAULT_SCENARIO } from '../start.js';

/** Where a command's output goes: the process's streams from main.ts, buffers in tests. */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** Ends a command with this exit code; runCli prints the message (when there is one) on stderr. */
export class CliExit extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliExit';
  }
}

/** Bad input: the user can fix it. runCli prints `mock-entra: ` and the message, and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The exit an error means: a CliExit as it is; bad input (UsageError, a bad scenario file, a
 * damaged key file) exits 2 with its message, which says what to fix; anything else is not the
 * user's to fix (undefined: runCli exits 1 with the stack).
 */
export function exitFor(err: unknown): CliExit | undefined {
  if (err instanceof CliExit) return err;
  if (err instanceof UsageError || err instanceof KeyFileError || err instanceof StoreError) return new CliExit(`mock-entra: ${err.message}`, 2);
  if (err instanceof ScenarioError) return new CliExit(`${err.message}${shippedHint(err)}`, 2);
  return undefined;
}

/** What a command threw, as the exit code, with its message on stderr (the stack only for what is not the user's to fix). */
export function exitCodeFor(err: unknown, io: CliIo): number {
  const exit = exitFor(err);
  if (!exit) {
    io.stderr(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
  if (exit.message) io.stderr(`${exit.message}\n`);
  return exit.exitCode;
}

/**
 * A process stream as a CliIo writer. Once its reader has gone (`mock-entra scenario list | head -3`
 * closes the pipe), what is left is dropped, as Unix tools do, instead of an unhandled EPIPE error
 * and exit 1; the command finishes and exits as it would have.
 */
function streamWriter(stream: NodeJS.WriteStream): (s: string) => void {
  let gone = false;
  let listening = false;
  return (s) => {
    if (gone) return;
    if (!listening) {
      listening = true;
      stream.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err;
        gone = true;
      });
    }
    stream.write(s);
  };
}

/** The process's own streams (main.ts); tests give buffers. */
export const processIo: CliIo = {
  stdout: streamWriter(process.stdout),
  stderr: streamWriter(process.stderr),
};

export const DEFAULT_ORIGIN = 'https://localhost:8443';

const SHIPPED_DIR = dirname(DEFAULT_SCENARIO);

/** A scenario file, or the name of a shipped scenario (`first-test-failure`) when no such file exists. */
export function scenarioPath(arg: string | undefined): string {
  if (arg === undefined) return DEFAULT_SCENARIO;
  if (!existsSync(arg) && /^[a-z0-9-]+$/i.test(arg)) {
    const shipped = join(SHIPPED_DIR, `${arg}.yaml`);
    if (existsSync(shipped)) return shipped;
  }
  return arg;
}

/** For a file that cannot be read: the shipped scenarios, which can be named without a path. */
export function shippedHint(err: ScenarioError): string {
  if (!err.problems.some((p) => p.startsWith('cannot read the file'))) return '';
  const names = readdirSync(SHIPPED_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
  return `\n  shipped scenarios can be named without a path: ${names.join(', ')}`;
}

export async function loadTenant(file: string | undefined): Promise<{ scenario: Scenario; tenant: Tenant }> {
  const scenario = await loadScenarioFile(scenarioPath(file));
  return { scenario, tenant: buildDirectory(scenario).tenants[0]! };
}

/** Apps a scenario defines (not the built-in Microsoft Graph). */
const ownApps = (tenant: Tenant) => tenant.apps.filter((a) => !a.firstParty);

/** An app by name, client ID, or SAML Identifier. */
export function appByName(tenant: Tenant, nameOrId: string, filter: (a: App) => boolean = () => true, what = 'app'): App {
  const s = nameOrId.toLowerCase();
  const candidates = ownApps(tenant).filter(filter);
  const app = candidates.find((a) => a.clientId === s || a.name.toLowerCase() === s || a.saml?.identifier.toLowerCase() === s);
  if (app) return app;
  const known = candidates.map((a) => `${a.name} (${a.clientId})`).join(', ') || 'none';
  const other = ownApps(tenant).find((a) => a.clientId === s || a.name.toLowerCase() === s);
  if (other) throw new UsageError(`app '${other.name}' is not a ${what}; ${what}s in this scenario: ${known}`);
  throw new UsageError(`unknown ${what} '${nameOrId}'; ${what}s in this scenario: ${known}`);
}

export function userByUpn(tenant: Tenant, upn: string): User {
  const user = findUser(tenant, upn);
  if (!user) throw new UsageError(`unknown user '${upn}'; users in this scenario: ${tenant.users.map((u) => u.upn).join(', ') || 'none'}`);
  return user;
}

/** `--origin` must be an http(s) origin; paths and trailing slashes are dropped. */
export function originOf(value: string, option: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`--${option} must be an absolute URL like ${DEFAULT_ORIGIN}, got '${value}'`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UsageError(`--${option} must be an http or https URL, got '${value}'`);
  return u.origin;
}
