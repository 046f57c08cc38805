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
  // (unverified) Entra's text for an account its directory does not have, as ROPC answers it and the sign-in log records a username typed on the sign-in page.
  50034: { error: 'invalid_grant', status: 400, text: "The user account {EmailHidden} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory." },
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
  // (unverified) Entra's text in sign-in logs for a sign-in whose flow token expired before it finished; the mock records it for a started sign-in nobody finished (server/signins.ts).
  50089: { error: 'invalid_grant', status: 400, text: 'Flow token expired - Authentication Failed. Have the user try signing-in again with username -password.' },
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

// ---- Error lookup (`/error?code=N`, what `error_uri` points at): likely cause and fix per code ----

/** What most often makes Entra answer a code, and what to change; the error lookup page shows it. */
export interface Remediation {
  cause: string;
  fix: string;
}

/**
 * Short remediation texts, in the mock's words (Entra's own lookup shows only the message): codes
 * without one show their message, which for most codes already says what to do.
 */
export const REMEDIATION: Partial<Record<AadstsCode, Remediation>> = {
  50011: { cause: 'The redirect_uri the app sent is not one of the app registration\'s redirect URIs (scheme, host, port, path and trailing slash must all match).', fix: 'Add the exact redirect URI to the app registration (Authentication > Platform configurations; redirectUris in the scenario), or make the app send one that is registered.' },
  50034: { cause: 'The user name is not an account of this tenant (a typo, a user of another tenant, or a user the scenario does not have).', fix: 'Sign in with an account of the tenant (the users are on the dashboard), or add the user to the scenario (users:).' },
  50058: { cause: 'A silent request (prompt=none) was sent but there is no session for the user.', fix: 'Fall back to an interactive sign-in (drop prompt=none) when a silent one answers login_required.' },
  50105: { cause: 'The enterprise app has "Assignment required?" on, and the user is neither assigned nor in an assigned group.', fix: 'Assign the user (or a group they are in) to the app under Users and groups (assignments in the scenario), or turn off assignment required.' },
  50126: { cause: 'The user name or password is wrong.', fix: 'Check the user name and password; in the mock, the users and their passwords are on the dashboard.' },
  50148: { cause: 'The code_verifier sent to the token endpoint does not hash to the code_challenge of the authorization request.', fix: 'Send the code_verifier that belongs to the code_challenge of the same authorization request (check that the app keeps it per sign-in, not per session).' },
  501481: { cause: 'The code_verifier does not match the code_challenge of the authorization request.', fix: 'Send the code_verifier made for this authorization request.' },
  54005: { cause: 'The authorization code was already redeemed once (a retried or duplicated token request).', fix: 'Redeem each code once; get new tokens with the refresh token or a new sign-in.' },
  65001: { cause: 'No one has consented to the permissions the app asks for.', fix: 'Grant admin consent for the permissions (API permissions > Grant admin consent; permissions in the scenario), or ask only for scopes already granted.' },
  50076: { cause: 'A Conditional Access policy requires multi-factor authentication for this resource.', fix: 'Send an interactive request (with the claims challenge, if one came back) so the user can complete MFA.' },
  50079: { cause: 'The user must register for multi-factor authentication before accessing this resource.', fix: 'Have the user sign in interactively and register an MFA method.' },
  53003: { cause: 'A Conditional Access policy blocked the sign-in.', fix: 'Check the sign-in logs for the policy that applied, and sign in from a device, location or app the policy allows.' },
  70016: { cause: 'The user has not finished the device code sign-in yet: not an error.', fix: 'Keep polling at the interval the devicecode response gave.' },
  50089: { cause: 'The sign-in was started (the sign-in page was shown) and nobody finished it within the flow\'s lifetime: the user left the page, or a test stopped before submitting it.', fix: 'Start the sign-in again from the app and complete the page; in a test, submit the sign-in page, or send login_hint to sign in without it.' },
  70020: { cause: 'The device code expired before the user finished signing in.', fix: 'Request a new device code and ask the user to sign in within its expires_in.' },
  65004: { cause: 'The user declined the consent prompt.', fix: 'Ask the user to accept, or have an administrator grant consent for the tenant.' },
  70008: { cause: 'The code or refresh token is too old or was unused too long.', fix: 'Start a new interactive sign-in.' },
  70011: { cause: 'The scope parameter names a scope the resource does not expose or that is malformed.', fix: 'Request scopes in the form {App ID URI}/{scope} (or {App ID URI}/.default), as the API exposes them.' },
  700016: { cause: 'The client_id is not an app of this tenant: a typo, the wrong tenant in the URL, or an app that was deleted.', fix: 'Use the Application (client) ID from the app registration\'s Overview, with that tenant\'s endpoints.' },
  700022: { cause: 'One request asked for scopes of more than one resource.', fix: 'Ask for one resource\'s scopes per token request; get a second token for the other resource.' },
  700025: { cause: 'A public client (mobile/desktop, device code) sent a client secret or assertion.', fix: 'Leave out client_secret and client_assertion, or make the app confidential (turn off "Allow public client flows").' },
  7000215: { cause: 'The client_secret is not a current secret of the app: often the secret\'s ID was copied instead of its value, or the secret was rotated.', fix: 'Copy the secret\'s Value (shown once, when it is created) from Certificates & secrets, or create a new secret.' },
  7000218: { cause: 'A confidential client sent neither client_secret nor client_assertion.', fix: 'Send the client secret or a client assertion, or mark the app as a public client if it cannot keep a secret.' },
  7000222: { cause: 'The app\'s client secret has passed its expiry date.', fix: 'Create a new client secret under Certificates & secrets and configure the app with it.' },
  70002: { cause: 'The client_id is not a known app, or the app is not enabled for this kind of sign-in.', fix: 'Check the client ID against the app registration.' },
  7000112: { cause: 'The enterprise app is disabled ("Enabled for users to sign-in?" is No).', fix: 'Enable the enterprise app for sign-in.' },
  50194: { cause: 'A single-tenant app signed in through /common.', fix: 'Use the tenant-specific endpoints (https://login.microsoftonline.com/{tenant ID}/…), or make the app multi-tenant.' },
  90002: { cause: 'The tenant in the URL (ID or domain) does not exist, or is in another cloud.', fix: 'Use the Directory (tenant) ID from the app registration\'s Overview.' },
  900023: { cause: 'The tenant segment of the URL is neither a tenant ID nor a domain name.', fix: 'Put the tenant ID, a verified domain, common or organizations in the URL.' },
  700027: { cause: 'The client assertion is signed with a key whose certificate is not on the app registration.', fix: 'Upload the certificate under Certificates & secrets, or sign with the key of a certificate that is there (compare the thumbprints).' },
  700024: { cause: 'The client assertion has expired or is not valid yet (clock skew, or a cached assertion).', fix: 'Make a fresh assertion for each request, with nbf and exp around the current time; check the machine\'s clock.' },
  700021: { cause: 'The client assertion\'s iss/sub is not the client_id of the request.', fix: 'Set iss and sub of the assertion to the app\'s client ID.' },
  700023: { cause: 'The client assertion\'s aud is not this tenant\'s token endpoint.', fix: 'Set aud to the token endpoint the request is sent to.' },
  70021: { cause: 'No federated identity credential of the app matches the external token\'s issuer, subject and audience.', fix: 'Compare the token\'s iss, sub and aud with the app\'s federated credentials and fix the one that differs.' },
  700211: { cause: 'No federated credential names the external token\'s issuer.', fix: 'Add a federated credential with this exact issuer URL.' },
  700212: { cause: 'No federated credential names the external token\'s audience.', fix: 'Set the credential\'s audience to the token\'s aud (api://AzureADTokenExchange by default).' },
  700213: { cause: 'No federated credential names the external token\'s subject.', fix: 'Set the credential\'s subject to the token\'s sub, exactly.' },
  7002138: { cause: 'The external token\'s subject differs from the credential\'s only in case.', fix: 'Write the credential\'s subject with the same case as the token\'s sub.' },
  70025: { cause: 'The app has no federated identity credentials.', fix: 'Add a federated credential for the external issuer.' },
  900144: { cause: 'A required parameter is missing from the request.', fix: 'Send the parameter the message names.' },
  500011: { cause: 'The scope or resource names an API that is not in the tenant.', fix: 'Check the App ID URI of the API (Expose an API), and that the API\'s enterprise app exists in this tenant.' },
  500113: { cause: 'The app registration has no redirect URI (Reply URL) at all; or a SAML app sent a LogoutRequest but has no Logout URL to send the LogoutResponse to (the user is signed out all the same).', fix: 'Add a redirect URI to the app registration (redirectUris, or the SAML Reply URL); for SAML single logout, set the Logout URL (saml.logoutUrl) to the SP\'s single logout endpoint.' },
  75005: { cause: 'The SAML request is not one Entra accepts: malformed, or its signature does not verify with the app\'s verification certificates (AuthnRequests and LogoutRequests alike); the message names what was wrong.', fix: 'Fix what the message names; for a signature, sign with the key of a certificate under the app\'s verification certificates (saml.verificationCertificates) and sign the message as sent (HTTP-Redirect: the query; HTTP-POST: an enveloped signature of the root).' },
  1002012: { cause: 'A client credentials request asked for a delegated scope.', fix: 'Ask for {App ID URI}/.default in client credentials requests.' },
  700082: { cause: 'The refresh token was not used for 90 days.', fix: 'Start a new interactive sign-in.' },
  9002327: { cause: 'A SPA\'s code was redeemed without an Origin header (from a server).', fix: 'Redeem SPA codes from the browser, or register the redirect URI under Web instead of Single-page application.' },
  9002326: { cause: 'A browser redeemed a code cross-origin for a redirect URI that is not registered as a SPA.', fix: 'Register the redirect URI under Single-page application (spa.redirectUris).' },
  700054: { cause: 'The app asked for an ID token from /authorize, but ID tokens (implicit) are not enabled.', fix: 'Turn on "ID tokens" under Authentication > Implicit grant, or use the code flow.' },
  700051: { cause: 'The app asked for an access token from /authorize, but access tokens (implicit) are not enabled.', fix: 'Turn on "Access tokens" under Authentication > Implicit grant, or use the code flow with PKCE.' },
  9002325: { cause: 'A cross-origin (SPA) code redemption came without PKCE.', fix: 'Send code_challenge in the authorization request and code_verifier with the code.' },
  700084: { cause: 'A SPA\'s refresh token reached its fixed 24-hour lifetime.', fix: 'Send a new sign-in request (MSAL.js does it silently when the session is still there).' },
  75011: { cause: 'The SAML request\'s RequestedAuthnContext asks for a method the user did not sign in with.', fix: 'Leave out RequestedAuthnContext, or use Comparison="minimum" with PasswordProtectedTransport.' },
  750054: { cause: 'A request to the SAML endpoint carried neither SAMLRequest nor SAMLResponse.', fix: 'Send the AuthnRequest as SAMLRequest (deflated and base64-encoded for the Redirect binding).' },
  7500529: { cause: 'The AuthnRequest\'s ID starts with a digit, which XML IDs may not.', fix: 'Generate IDs that start with a letter or an underscore (for example _ plus a UUID).' },
  76021: { cause: 'The enterprise app requires signed requests (AuthnRequests and LogoutRequests) and this one was not signed.', fix: 'Sign the request with the SP\'s key, or turn off the requirement (saml.requireSignedRequests).' },
  50196: { cause: 'The app sent the user back to sign in again and again in a short time.', fix: 'Cache tokens instead of requesting new ones on every page; look for a redirect loop in the app.' },
  90033: { cause: 'A transient failure on Entra\'s side.', fix: 'Retry after a short delay.' },
};
// ---- end of error lookup ----

/** What Entra's sign-in page says under the form, one text per situation (every sign-in page of the mock uses these). */
export const SIGN_IN_PAGE_TEXT = {
  /** AADSTS50034: the account does not exist. */
  unknownUser: 'This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.',
  /** AADSTS50126. */
  wrongPassword: "Your account or password is incorrect. If you don't remember your password, reset it now.",
  noUsername: 'Enter a valid email address, phone number, or Skype name.',
} as const;
