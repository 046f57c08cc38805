/** What the CLI's commands share: bad input ends with exit code 2 and a message that says what to fix. */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildDirectory } from '../directory/build.js';
import type { App, Tenant, User } from '../directory/model.js';
import { findUser } from '../directory/lookup.js';
import { KeyFileError } from '../keys/errors.js';
import { loadScenarioFile, ScenarioError } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { DEFAULT_SCENARIO } from '../start.js';

/** Bad input: the user can fix it. main.ts prints the message and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Runs a command body; bad input (UsageError, ScenarioError, KeyFileError) exits 2 with its message. */
export async function guarded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof UsageError || err instanceof ScenarioError || err instanceof KeyFileError) {
      process.stderr.write(`${err instanceof ScenarioError ? '' : 'mock-entra: '}${err.message}${err instanceof ScenarioError ? shippedHint(err) : ''}\n`);
      process.exit(2);
    }
    throw err;
  }
}

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
