/**
 * THE catalogue of Entra errors: AADSTS code -> OAuth `error`, HTTP status, channel and text
 * (reference §7.1, text as observed on the wire). Every error a client sees is rendered from here.
 */

/**
 * How Entra delivers an error: JSON from a back-channel endpoint, its HTML sign-in error page, a
 * redirect back to the app (query or fragment), an auto-posting form to the app (form_post), or
 * Microsoft Graph's error envelope.
 */
export type Channel = 'json' | 'page' | 'redirect' | 'form_post' | 'graph';

/** One AADSTS error as Entra sends it. */
export interface CatalogueEntry {
  error: string;
  /** HTTP status of the JSON answer (an error page answers 200, as Entra's does). */
  status: number;
  /**
   * 'page': Entra shows this one on its own error page even where the flow could redirect back to
   * the app (the redirect URI is not trusted, or the failure is the user's: 50011, 50105, SAML
   * request errors). Absent: the request's channel decides.
   */
  channel?: 'page';
  /** Text with {placeholders}; missing ones are left as-is so a gap is visible, not silent. */
  text: string;
  suberror?: string;
  /** The `error` Entra puts on a redirect from /authorize, where it differs from the token endpoint's. */
  authorizeError?: string;
}

/** Every AADSTS code the mock can answer with, keyed by number; rules' `then.error` must name one. */
export const AADSTS = {
  50011: { error: 'invalid_request', status: 400, channel: 'page', text: "The redirect URI '{uri}' specified in the request does not match the redirect URIs configured for the application '{appId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this." },
  50058: { error: 'login_required', status: 400, text: 'A silent sign-in request was sent but no user is signed in. The cookies used to represent the user\'s session were not sent in the request to Azure AD. This can happen if the user is using Internet Explorer or Edge, and the web app sending the silent sign-in request is in different IE security zone than the Azure AD endpoint (login.microsoftonline.com).' },
  50105: { error: 'interaction_required', status: 400, channel: 'page', text: "Your administrator has configured the application {appName} ('{appId}') to block users unless they are specifically granted ('assigned') access to the application. The signed in user '{EmailHidden}' is blocked because they are not a direct member of a group with access, nor had access directly assigned by an administrator. Please contact your administrator to assign access to this application." },
  50126: { error: 'invalid_grant', status: 400, text: 'Error validating credentials due to invalid username or password.' },
  50148: { error: 'invalid_grant', status: 400, text: 'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.' },
  501481: { error: 'invalid_grant', status: 400, text: 'The Code_Verifier does not match the code_challenge supplied in the authorization request.' },
  54005: { error: 'invalid_grant', status: 400, text: 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.' },
  65001: { error: 'invalid_grant', status: 400, suberror: 'consent_required', authorizeError: 'consent_required', text: "The user or administrator has not consented to use the application with ID '{appId}' named '{appName}'. Send an interactive authorization request for this user and resource." },
  50076: { error: 'invalid_grant', status: 400, suberror: 'basic_action', authorizeError: 'interaction_required', text: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resourceAppId}'." },
  50079: { error: 'interaction_required', status: 400, authorizeError: 'interaction_required', text: "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '{resourceAppId}'." },
  53003: { error: 'invalid_grant', status: 400, suberror: 'message_only', authorizeError: 'access_denied', text: 'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.' }, // suberror and authorize error (unverified)
  // Device code flow (reference §8): polling answers.
  70016: { error: 'authorization_pending', status: 400, text: 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.' },
  70018: { error: 'bad_verification_code', status: 400, text: 'Invalid verification code due to User typing in wrong user code for device code flow. Authorization is not approved.' },
  70020: { error: 'expired_token', status: 400, text: "The provided value for the input parameter 'device_code' is not valid. This device code has expired." },
  65004: { error: 'authorization_declined', status: 400, authorizeError: 'access_denied', text: 'User declined to consent to access the app.' },
  // On-behalf-of: the incoming assertion is checked like an API checks a token.
  50013: { error: 'invalid_grant', status: 400, text: '{detail}' },
  500133: { error: 'invalid_grant', status: 400, text: 'Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: {now}, expiry time of assertion {exp}.' },
  50027: { error: 'invalid_request', status: 400, text: 'JWT token is invalid or malformed.' },
  70000: { error: 'invalid_grant', status: 400, text: 'The request was denied because one or more scopes requested are unauthorized or expired. The user must first sign in and grant the client application access to the requested scope.' },
  70008: { error: 'invalid_grant', status: 400, text: 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.' },
  70011: { error: 'invalid_scope', status: 400, text: "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid." },
  700016: { error: 'unauthorized_client', status: 400, channel: 'page', text: "Application with identifier '{appId}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant." },
  700022: { error: 'invalid_scope', status: 400, text: "The provided value for the input parameter scope is not valid because it contains more than one resource. Scope {scope} is not valid." },
  700025: { error: 'invalid_client', status: 401, text: 'Client is public so neither \'client_assertion\' nor \'client_secret\' should be presented.' },
  7000215: { error: 'invalid_client', status: 401, text: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{appId}'." },
  7000218: { error: 'invalid_client', status: 401, text: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'." },
  7000222: { error: 'invalid_client', status: 401, text: "The provided client secret keys for app '{appId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds." },
  70002: { error: 'invalid_client', status: 400, text: "The client does not exist or is not enabled for consumers. If you are the application developer, configure a new application through the App Registrations in the Azure Portal at https://go.microsoft.com/fwlink/?linkid=2083908." },
  7000112: { error: 'unauthorized_client', status: 400, text: "Application '{appId}'({appName}) is disabled." }, // status (unverified)
  50194: { error: 'invalid_request', status: 400, text: "Application '{appId}'({appName}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant." },
  90002: { error: 'invalid_tenant', status: 400, channel: 'page', text: "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant." },
  900023: { error: 'invalid_request', status: 400, text: "Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid external domain." },
  700027: { error: 'invalid_client', status: 401, text: "Client assertion contains an invalid signature. [Reason - {reason}, Thumbprint of key used by client: '{thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{appId}'.]" },
  700024: { error: 'invalid_client', status: 401, text: 'Client assertion is not within its valid time range. Current time: {now}, assertion valid from {nbf}, expiry time of assertion {exp}. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .' },
  700021: { error: 'invalid_client', status: 401, text: "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials ." },
  700023: { error: 'invalid_client', status: 401, text: "Client assertion audience claim does not match Realm issuer. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials ." }, // code and text (unverified)
  // Workload identity federation (reference §13). T = the hint Entra appends to the no-match errors.
  70021: { error: 'invalid_request', status: 400, text: "No matching federated identity record found for presented assertion. Assertion Issuer: '{iss}'. Assertion Subject: '{sub}'. Assertion Audience: '{aud}'. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation" },
  700211: { error: 'invalid_client', status: 401, text: "No matching federated identity record found for presented assertion issuer '{iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation" },
  700212: { error: 'invalid_client', status: 401, text: "No matching federated identity record found for presented assertion audience '{aud}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation" },
  700213: { error: 'invalid_client', status: 401, text: "No matching federated identity record found for presented assertion subject '{sub}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation" }, // error and status (unverified)
  7002138: { error: 'invalid_client', status: 401, text: "No matching federated identity record found for presented assertion subject '{sub}'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation" }, // error, status and the text after "comparison." (unverified)
  70025: { error: 'invalid_client', status: 401, text: "The client '{appId}'({appName}) has no configured federated identity credentials." }, // error and status (unverified)
  // The reference's text, then the mock's own detail of what failed (Entra's further wording unverified).
  501661: { error: 'invalid_client', status: 401, text: 'Request to External OIDC endpoint failed. {detail}' }, // error and status (unverified)
  700222: { error: 'invalid_request', status: 400, text: 'AAD-issued tokens may not be used for federated identity flows.' }, // error and status (unverified)
  // ---- end of workload identity federation ----
  90014: { error: 'invalid_request', status: 400, text: "The required field '{field}' is missing from the credential. Ensure that you have all the necessary parameters for the login request." },
  900144: { error: 'invalid_request', status: 400, text: "The request body must contain the following parameter: '{param}'." },
  9002313: { error: 'invalid_request', status: 400, suberror: 'bad_token', text: 'Invalid request. Request is malformed or invalid.' },
  500011: { error: 'invalid_resource', status: 400, text: 'The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.' },
  500113: { error: 'invalid_request', status: 400, channel: 'page', text: 'No reply address is registered for the application.' },
  1002012: { error: 'invalid_scope', status: 400, text: 'The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).' },
  700082: { error: 'invalid_grant', status: 400, suberror: 'bad_token', text: 'The refresh token has expired due to inactivity. The token was issued on {issued} and was inactive for 90.00:00:00.' },
  9002327: { error: 'invalid_request', status: 400, text: "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests." },
  9002326: { error: 'invalid_request', status: 400, text: "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type." },
  90009: { error: 'invalid_request', status: 400, text: 'Application {appId} is requesting a token for itself. This scenario is supported only if resource is specified using the GUID based App Identifier.' },
  900971: { error: 'invalid_request', status: 400, text: 'No reply address provided.' },
  70003: { error: 'unsupported_grant_type', status: 400, text: 'The app requested an unsupported grant type \'{grantType}\'.' },
  700054: { error: 'invalid_request', status: 400, text: "response_type 'id_token' is not enabled for the application." },
  700051: { error: 'unsupported_response_type', status: 400, text: "response_type 'token' is not enabled for the application." },
  9002325: { error: 'invalid_request', status: 400, text: 'Proof Key for Code Exchange is required for cross-origin authorization code redemption.' },
  700084: { error: 'invalid_grant', status: 400, suberror: 'bad_token', text: 'The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on {issued}.' },
  90015: { error: 'invalid_request', status: 400, channel: 'page', text: 'Requested query string is too long. {detail}' }, // code and text (unverified): Entra refuses overlong sign-in requests; the limits are ours
  90023: { error: 'invalid_request', status: 400, text: 'The request is not valid. {detail}' },
  90100: { error: 'invalid_request', status: 400, text: "{param} parameter is empty or not valid." },
  50059: { error: 'invalid_request', status: 400, text: 'No tenant-identifying information found in either the request or implied by any provided credentials.' },
  500021: { error: 'access_denied', status: 400, text: 'Access to \'{tenant}\' tenant is denied.' },
  9002331: { error: 'invalid_request', status: 400, text: "Application '{appId}'({appName}) is configured for use by Microsoft Account users only. Please use the /consumers endpoint to serve this request." },
  90056: { error: 'invalid_request', status: 400, text: 'The resource is disabled or does not exist. Check your app\'s code to ensure that you have specified the exact resource URL for the resource you are trying to access.' },
  // SAML request problems: Entra renders its error page, never a SAML Response (reference §10.4).
  75005: { error: 'invalid_request', status: 400, channel: 'page', text: 'Saml Message is not a valid saml message. {detail}' }, // text (unverified)
  75011: { error: 'invalid_request', status: 400, channel: 'page', text: "Authentication method '{actual}' by which the user authenticated with the service doesn't match requested authentication method '{requested}'. Contact the application owner." }, // text partly (unverified)
  750054: { error: 'invalid_request', status: 400, channel: 'page', text: 'SAMLRequest or SAMLResponse must be present as query string parameters in HTTP request for SAML Redirect binding.' },
  7500529: { error: 'invalid_request', status: 400, channel: 'page', text: "The value '{id}' is not a valid SAML ID. The ID must not begin with a number." },
  76021: { error: 'invalid_request', status: 400, channel: 'page', text: 'The request sent by client is not signed while the application requires signed requests.' }, // text (unverified)
  50000: { error: 'server_error', status: 500, text: 'There was an error issuing a token or an issue with our sign-in service. {detail}' },
  50196: { error: 'temporarily_unavailable', status: 429, channel: 'page', text: 'The server terminated an operation because it encountered a loop while processing a request.' }, // the reference pairs it with 429 + Retry-After
  90033: { error: 'temporarily_unavailable', status: 503, channel: 'page', text: 'A transient error has occurred. Please try again.' },
  // Managed identity (reference §12.2): IMDS's answer for a resource that is not in the tenant. The text after the first sentence is 500011's (unverified).
  50001: { error: 'invalid_resource', status: 400, text: "The application named {resource} wasn't found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant." },
} as const satisfies Record<string, CatalogueEntry>;

/** A code of the catalogue, e.g. 50105. */
export type AadstsCode = { [K in keyof typeof AADSTS]: K extends number ? K : never }[keyof typeof AADSTS];

export function entryFor(code: AadstsCode): CatalogueEntry {
  return AADSTS[code];
}

/** Fills {placeholders}; unknown ones stay visible. */
export function formatText(template: string, params: Record<string, string | undefined> = {}): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => params[k] ?? m);
}

/**
 * What to fix, per code, as the sign-in log's additional details say it (Entra's own troubleshooting
 * texts, shortened; a code without one gets the generic pointer to the catalogue). Issue 13: the
 * error lookup page (item 2) may carry richer texts; these are the sign-in log's.
 */
export const REMEDIATION: Partial<Record<AadstsCode, string>> = {
  50126: 'The user typed a wrong password, or the username is not the one in the directory. Check the user\'s password in the scenario (users[].password) or reset it; for ROPC, check the username and password the client sends.',
  50105: 'Assign the user (or a group they are in) to the app: the app requires assignment. In the scenario: the app\'s assignments, or turn assignment required off.',
  53003: 'A Conditional Access policy blocked the sign-in. Check the policy named under Conditional Access (the scenario rule) and what it requires (location, device state, app).',
  50076: 'The user must complete multi-factor authentication: sign in interactively (not ROPC or a silent request) so the user can satisfy MFA.',
  50079: 'The user must register for multi-factor authentication: sign in interactively and complete the registration.',
  65001: 'Grant consent: an admin grants the app the permissions it asks for (admin consent), or the user consents in an interactive sign-in.',
  50058: 'No user is signed in for a silent request: send an interactive request (prompt=select_account or none removed).',
  50011: 'Add the redirect URI the app sends to the app registration\'s redirect URIs (exactly: scheme, host, port, path, trailing slash).',
  7000215: 'The client secret is wrong: send the secret\'s value (not its ID), or create a new secret for the app.',
  7000222: 'The client secret has expired: create a new secret for the app and update the application\'s configuration.',
  700016: 'The app is not in this tenant: check the client ID and the tenant the request is sent to.',
};
