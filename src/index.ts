/** mock-entra's public API. */
export { start, DEFAULT_SCENARIO, type StartOptions, type MockEntra, type UseOptions } from './start.js';
export { EntraError } from './entra/errors.js';
export { EntraResponseError, type SignInOptions, type ClientCredentialsOptions, type TokenResponse } from './test-api.js';
export { AADSTS, type AadstsCode } from './entra/aadsts.js';
export { parseScenario, parseScenarioText, loadScenarioFile, ScenarioError } from './scenario/load.js';
export type { Scenario, ScenarioInput, RuleInput } from './scenario/schema.js';
import type { ScenarioInput } from './scenario/schema.js';

/** Builds a scenario in code, with the same types and defaults as a scenario file. */
export function defineScenario(s: ScenarioInput): ScenarioInput {
  return s;
}
