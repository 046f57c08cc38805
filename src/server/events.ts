/**
 * Typed events of one server: tests and the dashboard listen to what happened, never parse bodies.
 * @example idp.events.on('token', (e) => console.log(e.kind, e.claims.aud))
 */
import type { RequestRecord } from './log.js';
import type { SignInRecord } from './signins.js';

/** How the user behind a sign-in was identified. */
export type IdentifiedBy =
  /** Typed on a sign-in page (OIDC, SAML, device login) or sent as username and password (ROPC). */
  | 'password'
  /** A login_hint naming a known user, with auto sign-in on. */
  | 'login_hint'
  /** Already signed in: Entra's session cookie (SSO across apps and protocols). */
  | 'session'
  /** The user of a code, refresh token, device code or on-behalf-of assertion being redeemed. */
  | 'authorization_code'
  | 'refresh_token'
  | 'device_code'
  | 'on_behalf_of';

/** A user signed in (or was named by what a client redeemed). */
export interface SignInEvent {
  traceId: string;
  tenantId: string;
  /** Client ID of the app signed in to. */
  appId?: string;
  upn: string;
  userId: string;
  by: IdentifiedBy;
  /** The route's fault endpoint: authorize, token, saml. */
  endpoint?: string;
}

/** A JWT the mock issued: after fault effects, signed once. */
export interface TokenEvent {
  traceId: string;
  kind: 'id_token' | 'access_token' | 'federated_token';
  token: string;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  appId?: string;
  upn?: string;
  endpoint?: string;
  /** Name (or id) of the fault rule whose effects shaped it. */
  rule?: string;
}

/** A SAML Response the mock posted to a service provider. */
export interface SamlResponseEvent {
  traceId: string;
  xml: string;
  appId: string;
  upn?: string;
  acsUrl: string;
  inResponseTo?: string;
  /** Success, or the status code of an error Response (NoPassive). */
  status: string;
  rule?: string;
}

/** A fault rule fired. */
export interface FaultEvent {
  traceId: string;
  ruleId: string;
  name?: string;
  endpoint?: string;
  appId?: string;
  upn?: string;
  /** The rule in words (describeRule). */
  explain: string;
}

/** Event name -> payload. */
export interface MockEventMap {
  request: RequestRecord;
  signin: SignInEvent;
  token: TokenEvent;
  'saml.response': SamlResponseEvent;
  fault: FaultEvent;
  /** A sign-in attempt ended: its sign-in log record (Graph's signIn shape). */
  signInLog: SignInRecord;
}

export type MockEventName = keyof MockEventMap;

/** A listener that throws is reported on stderr and never turns a served request into an error. */
export class MockEvents {
  private readonly listeners = new Map<MockEventName, Set<(payload: never) => void>>();

  /** Calls `handler` for every event of this kind; returns a function that removes it. */
  on<K extends MockEventName>(name: K, handler: (payload: MockEventMap[K]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(handler as (payload: never) => void);
    return () => this.off(name, handler);
  }

  off<K extends MockEventName>(name: K, handler: (payload: MockEventMap[K]) => void): void {
    this.listeners.get(name)?.delete(handler as (payload: never) => void);
  }

  /** Whether anyone listens to this kind: an event's payload is built only then. */
  listened(name: MockEventName): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }

  /** Internal: the server emits. */
  emit<K extends MockEventName>(name: K, payload: MockEventMap[K]): void {
    const set = this.listeners.get(name);
    if (!set?.size) return;
    for (const fn of set) {
      try {
        (fn as (p: MockEventMap[K]) => void)(payload);
      } catch (err) {
        console.error(`mock-entra: a '${name}' event listener threw:`, err);
      }
    }
  }
}
