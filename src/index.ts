/**
 * mock-entra's public API: start a mock Entra ID, drive its faults, listen to what it issues.
 * @packageDocumentation
 */
import * as nodeModule from 'node:module';
export { start, DEFAULT_SCENARIO, type StartOptions, type MockEntra, type UseOptions, type ManagedIdentityEnv } from './start.js';
export { EntraError, GraphError, ManagedIdentityError, type RequestIds, type EntraErrorOptions } from './entra/errors.js';
export { EntraResponseError, type SignInOptions, type ClientCredentialsOptions, type TokenResponse } from './test-api.js';
export { AADSTS, type AadstsCode, type CatalogueEntry, type Channel } from './entra/aadsts.js';
export { parseScenario, parseScenarioText, loadScenarioFile, ScenarioError } from './scenario/load.js';
export type { Scenario, ScenarioInput, Rule, RuleInput, Endpoint } from './scenario/schema.js';
export type { Directory, Tenant, App, User, Group, Api, SamlSettings, Secret, CertificateCredential, ManagedIdentity } from './directory/model.js';
export type { RequestRecord, Artifact, LogFormat } from './server/log.js';
export type { SignInRecord, SignInQuery, SignInFlowKind, AuthenticationDetail } from './server/signins.js';
export { KeyFileError, type KeyFileProblem } from './keys/errors.js';
export { StoreError } from './store/types.js';
export type { FederatedTokenOptions } from './issuers/mint.js';
export type { BuiltinIssuerName } from './issuers/builtin.js';
export type { FederatedCredential } from './directory/model.js';
export {
  MockEvents,
  type MockEventMap,
  type MockEventName,
  type SignInEvent,
  type TokenEvent,
  type SamlResponseEvent,
  type FaultEvent,
  type IdentifiedBy,
} from './server/events.js';
import type { ScenarioInput } from './scenario/schema.js';

/**
 * Builds a scenario in code, with the same types and defaults as a scenario file.
 * @example const scenario = defineScenario({ extends: 'default.yaml', rules: [{ when: { app: 'sample-web' }, then: { error: 53003 } }] })
 */
export function defineScenario(s: ScenarioInput): ScenarioInput {
  return s;
}

// Node 22+: the compiled code of what loads on first use (the provider, SAML's XML stack) is kept
// on disk (Node's own compile cache, in the OS temp directory), so later starts compile it once less.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
