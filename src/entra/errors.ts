/** EntraError (one AADSTS code from the catalogue) and GraphError; render.ts turns them into what a client sees. */
import { type AadstsCode, entryFor, formatText } from './aadsts.js';
import { errorUri } from './urls.js';

/** Per-request IDs Entra prints in every error; set by the server's first middleware. */
export interface RequestIds {
  traceId: string;
  correlationId: string;
  origin: string;
  /** Request time, so every rendering of one error shows the same timestamp. */
  readonly at: Date;
  /** The same, in milliseconds since the epoch. */
  readonly time: number;
}

/** How an EntraError differs from its catalogue entry on one endpoint. */
export interface EntraErrorOptions {
  params?: Record<string, string | undefined>;
  /** Overrides of the catalogue's `error` and status, where Entra answers differently on one endpoint. */
  error?: string;
  status?: number;
  suberror?: string;
  /** JSON string of a claims challenge (conditional access, MFA). */
  claims?: string;
  /** Seconds for the Retry-After header (throttling, outages). */
  retryAfter?: number;
  /** Extra members of the JSON body (the admin API lists scenario problems this way). */
  details?: Record<string, unknown>;
}

/**
 * An error as Entra answers it: one AADSTS code of the catalogue, its text filled in.
 * @example throw new EntraError(50011, { params: { uri, appId } })
 */
export class EntraError extends Error {
  readonly code: AadstsCode;
  readonly error: string;
  readonly status: number;
  readonly suberror?: string;
  readonly claims?: string;
  readonly text: string;
  /** `error` on a redirect from /authorize. */
  readonly authorizeError: string;
  /** Entra shows this error on its page even where the flow could redirect (catalogue channel 'page'). */
  readonly pageOnly: boolean;
  readonly retryAfter?: number;
  readonly details?: Record<string, unknown>;
  /** As given: the error can be made again from its code and these (a device code's error, kept in the store). */
  readonly options: EntraErrorOptions;

  constructor(code: AadstsCode, opts: EntraErrorOptions = {}) {
    const entry = entryFor(code);
    const text = formatText(entry.text, opts.params);
    super(`AADSTS${code}: ${text}`);
    this.name = 'EntraError';
    this.code = code;
    this.error = opts.error ?? entry.error;
    this.status = opts.status ?? entry.status;
    this.suberror = opts.suberror ?? entry.suberror;
    this.claims = opts.claims;
    this.text = text;
    this.authorizeError = opts.error ?? entry.authorizeError ?? this.error;
    this.pageOnly = entry.channel === 'page';
    this.retryAfter = opts.retryAfter;
    this.details = opts.details;
    this.options = opts;
  }
}

/** Microsoft Graph's own error envelope (`{ error: { code, message, innerError } }`), for the small Graph. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

/**
 * Azure Resource Manager's error envelope (`{ error: { code, message } }`), for the management
 * routes of the as-Microsoft mode. A 401 carries ARM's WWW-Authenticate challenge (render.ts).
 */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ArmError';
  }
}

/**
 * An error of a managed identity endpoint that has no AADSTS code (reference §12): rendered as App
 * Service's `{statusCode, message, correlationId}` or IMDS's `{error, error_description}`.
 * @example throw new ManagedIdentityError(400, 'Identity not found')
 */
export class ManagedIdentityError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** IMDS's `error`. */
    readonly error = 'invalid_request',
  ) {
    super(message);
    this.name = 'ManagedIdentityError';
  }
}

/** Entra's timestamp format in error bodies: `2023-05-06 06:03:00Z`. */
export function entraTimestamp(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function errorDescription(err: EntraError, ids: RequestIds): string {
  return `AADSTS${err.code}: ${err.text}\r\nTrace ID: ${ids.traceId}\r\nCorrelation ID: ${ids.correlationId}\r\nTimestamp: ${entraTimestamp(ids.at)}`;
}

export interface EntraErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
  claims?: string;
}

export function errorBody(err: EntraError, ids: RequestIds): EntraErrorBody {
  return {
    error: err.error,
    error_description: errorDescription(err, ids),
    error_codes: [err.code],
    timestamp: entraTimestamp(ids.at),
    trace_id: ids.traceId,
    correlation_id: ids.correlationId,
    error_uri: errorUri(ids.origin, err.code),
    ...(err.suberror ? { suberror: err.suberror } : {}),
    ...(err.claims ? { claims: err.claims } : {}),
    ...err.details,
  };
}

/** The fields Entra puts on a redirect back to the app (query, fragment or form_post). */
export function redirectErrorParams(err: EntraError, ids: RequestIds, state?: string): Record<string, string> {
  return {
    error: err.authorizeError,
    error_description: errorDescription(err, ids),
    error_uri: errorUri(ids.origin, err.code),
    ...(state !== undefined ? { state } : {}),
  };
}

/** .NET's form encoding, as Entra writes it: lower-case %xx and + for spaces. */
export function netFormEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
}

export function encodeParams(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${netFormEncode(v)}`)
    .join('&');
}
