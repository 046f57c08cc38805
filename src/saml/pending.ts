/** A SAML sign-in waiting on the sign-in page (kept in the server's runtime, see server/runtime.ts). */
import type { SignInFlow } from '../server/transaction.js';
import type { AuthnRequestInfo } from './request.js';

export interface PendingSamlSignIn {
  tenantId: string;
  appId: string;
  acsUrl: string;
  /** Absent for IdP-initiated sign-in. */
  request?: AuthnRequestInfo;
  relayState?: string;
  /** What the request that showed the page decided: the fault that fired, its effects. */
  flow: SignInFlow;
}
