/**
 * THE scenario schema: validation, TypeScript types and the JSON Schema printed by
 * `mock-entra scenario schema` all come from here. Defaults live in defaults.ts.
 *
 * zod loads on the first validation, not with the server: a start whose scenario is already
 * compiled (scenario/source.ts) never needs it. It is required synchronously (its CommonJS build),
 * so parseScenario() and idp.use() stay synchronous.
 */
import { createRequire } from 'node:module';
import type * as Z from 'zod';
import { AADSTS } from '../entra/aadsts.js';
import { DEFAULTS } from './defaults.js';
import { HOSTILE_SAML_KIND_NAMES } from '../saml/hostile-kinds.js';

export const SAML_SOURCES = ['user.userprincipalname', 'user.mail', 'user.givenname', 'user.surname', 'user.displayname', 'user.objectid', 'user.groups'] as const;
export const OPTIONAL_CLAIMS = ['email', 'upn', 'family_name', 'given_name', 'login_hint', 'sid', 'acct', 'auth_time', 'ctry', 'tenant_ctry', 'tenant_region_scope', 'verified_primary_email', 'idtyp', 'ipaddr', 'preferred_username', 'wids'] as const;
/** The mock's own external issuers (issuers/builtin.ts): a Kubernetes service-account issuer and a GitHub Actions-like one. */
export const BUILTIN_ISSUERS = ['k8s', 'github'] as const;
/** `builtin:NAME` in a federated credential: the mock's own issuer at {origin}/_issuers/NAME. */
export const BUILTIN_ISSUER_REF = new RegExp(`^builtin:(${BUILTIN_ISSUERS.join('|')})$`);
export const ENDPOINTS = ['authorize', 'token', 'saml', 'metadata', 'jwks', 'discovery', 'userinfo', 'logout', 'managedIdentity'] as const;

/** Entra's limit on a redirect URI's length ("a maximum of 256 characters for each redirect URI"). */
export const REDIRECT_URI_MAX = 256;
/** Entra's portal, for a redirect URI that is neither https nor http on localhost (its words). */
const MUST_START = 'Entra: Must start with "HTTPS" or "http://localhost"';
/** Hosts Entra allows plain http for (the loopback names; [::1] is not supported). */
const HTTP_HOSTS = new Set(['localhost', '127.0.0.1']);

/**
 * Why Entra would refuse `uri` as a redirect URI (undefined when it would not), after its rules
 * (learn.microsoft.com/entra/identity-platform/reply-url, and the portal's own message): a scheme is
 * required; http only for localhost and 127.0.0.1, https otherwise, or (`customSchemes`: mobile and
 * desktop apps) a scheme of the app's own such as msal{clientId}://auth; no fragment; no wildcard;
 * none of the characters ! $ ' ( ) , ; and at most 256 characters. The wording for the fragment and
 * the wildcard is ours (unverified: the portal's text for them is not recorded).
 */
export function redirectUriProblem(uri: string, o: { customSchemes: boolean }): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
  if (!scheme) {
    const host = /^([a-z0-9.-]+)(:\d+)?(\/|$)/i.exec(uri);
    if (host && (host[1]!.includes('.') || host[2] || HTTP_HOSTS.has(host[1]!.toLowerCase()))) {
      return `'${uri}' has no scheme. ${MUST_START}; write ${HTTP_HOSTS.has(host[1]!.toLowerCase()) ? 'http' : 'https'}://${uri}`;
    }
    return `'${uri}' is not an absolute URI. ${MUST_START}, e.g. https://app.example.com/signin-oidc${o.customSchemes ? ' (or, for a mobile or desktop app, a scheme of its own such as myapp://auth)' : ''}`;
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `'${uri}' is not a valid URI: check the host name and port`;
  }
  if (scheme === 'http' && !HTTP_HOSTS.has(url.hostname)) return `'${uri}': ${MUST_START} (http is allowed only for localhost and 127.0.0.1); write https${uri.slice(4)}`;
  if (scheme !== 'http' && scheme !== 'https' && !o.customSchemes) return `'${uri}': ${MUST_START} (a custom scheme such as ${scheme}:// is for mobile and desktop apps: list it under redirectUris with publicClient)`;
  const hash = uri.indexOf('#');
  if (hash >= 0) return `'${uri}': Entra does not allow a fragment in a redirect URI; remove '${uri.slice(hash)}'`;
  if (uri.includes('*')) return `'${uri}': Entra does not support wildcards in redirect URIs of apps for work or school accounts; list each URI in full`;
  const special = [...new Set(uri.match(/[!$'(),;]/g) ?? [])];
  if (special.length) return `'${uri}': Redirect URIs do not support special characters ! $ ' ( ) , ; (found ${special.join(' ')}): remove them or percent-encode them`;
  if (uri.length > REDIRECT_URI_MAX) return `'${uri.slice(0, 40)}…' is ${uri.length} characters long: Entra allows at most ${REDIRECT_URI_MAX} characters for each redirect URI`;
  return undefined;
}

/** The schemas, built with zod once it is loaded. */
function define(z: typeof Z) {
  const guid = z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'expected a GUID like 4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36');
  const url = z.string().url('expected an absolute URL');
  /** A redirect URI (or SAML Reply URL) as Entra's portal accepts it: see redirectUriProblem. */
  const redirectUri = (customSchemes: boolean) =>
    z.string().superRefine((uri, ctx) => {
      const problem = redirectUriProblem(uri, { customSchemes });
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
  const RULES = 'https, or http for localhost and 127.0.0.1; no fragment (#); at most 256 characters';
  /** YAML turns unquoted dates into Date objects; accept both. */
  const date = z.union([z.date(), z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected a date like 2030-01-31')]).transform((d) => new Date(d));

  const secretSchema = z.union([
    z.string().min(1),
    z.strictObject({
      value: z.string().min(1).describe('the secret value a client sends as client_secret'),
      expires: date.optional().describe('expiry date; a past date gives AADSTS7000222'),
      name: z.string().optional().describe('description shown in the portal'),
    }),
  ]);

  const apiSchema = z.strictObject({
    identifierUri: z.string().min(1).optional().describe('Application ID URI, default api://{clientId}'),
    scopes: z.array(z.string().min(1)).default([]).describe('delegated permissions this API exposes, e.g. access_as_user'),
    roles: z.array(z.string().min(1)).default([]).describe('app roles (application permissions) this API defines'),
    accessTokenVersion: z.union([z.literal(1), z.literal(2)]).default(DEFAULTS.accessTokenVersion).describe('accessTokenAcceptedVersion: 1 (Entra default) or 2'),
  });

  /** Where a SAML claim's value comes from, as the portal's "Source attribute" names it. */

  const samlSchema = z.strictObject({
    identifier: z.string().min(1).describe('Identifier (Entity ID) of the service provider'),
    // Entra's Reply URL rules for SAML are taken to be its redirect URI rules without custom schemes (unverified).
    replyUrls: z.array(redirectUri(false)).min(1).describe(`Reply URLs (Assertion Consumer Service URLs); the first is the default. ${RULES}`),
    logoutUrl: url.optional().describe('Logout URL: where LogoutResponses go, and LogoutRequests when the user signs out of another app of the session (single logout)'),
    relayState: z.string().optional().describe('Relay State sent with IdP-initiated sign-in'),
    nameIdFormat: z.enum(['emailAddress', 'persistent', 'transient', 'unspecified']).default('emailAddress').describe('Name identifier format'),
    claims: z
      .record(z.string().min(1), z.enum(SAML_SOURCES))
      .optional()
      .describe('attribute name (a URI, or a short name such as mail) -> source; default: Entra\'s givenname, surname, emailaddress, name'),
    groups: z.enum(['none', 'objectIds', 'names']).default('none').describe('group claim: none, group object IDs, or names'),
    requireSignedRequests: z.boolean().default(false).describe('refuse unsigned AuthnRequests and LogoutRequests (AADSTS76021)'),
    encryptionCertificate: z
      .string()
      .regex(/-----BEGIN CERTIFICATE-----/, 'expected a PEM certificate')
      .optional()
      .describe('"Token encryption": the SP\'s certificate; assertions are then encrypted for it'),
    verificationCertificates: z
      .array(z.string().regex(/-----BEGIN CERTIFICATE-----/, 'expected a PEM certificate'))
      .default([])
      .describe('the SP\'s certificates: signed AuthnRequests must verify with one of them'),
    signing: z
      .strictObject({
        option: z.enum(['assertion', 'response', 'both']).default('assertion').describe('sign the assertion (Entra default), the response, or both'),
        algorithm: z.enum(['sha256', 'sha1']).default('sha256'),
        expires: date.optional().describe('when the active signing certificate expires; default three years from its creation'),
        nextCertificateFrom: date.optional().describe('a second certificate is published in metadata now and signs from this date on'),
      })
      .default({ option: 'assertion', algorithm: 'sha256' }),
  });

  /** Optional claims mock-entra can add (reference §4). */

  // ---- Workload identity federation (reference §13) ----
  /** A federated identity credential ("Certificates & secrets > Federated credentials"): which external tokens stand in for a secret. */
  const federatedCredentialSchema = z.strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/, 'expected a name of 3–120 letters, digits, - or _, starting with a letter or digit (as the portal requires)')
      .describe('name of the credential, unique on its app'),
    issuer: z
      .string()
      .refine((s) => BUILTIN_ISSUER_REF.test(s) || /^https:\/\/[^\s/?#]+[^\s?#]*$/.test(s), "expected the external issuer's https URL (the token's iss, e.g. https://token.actions.githubusercontent.com), or builtin:k8s / builtin:github for the mock's own issuers")
      .describe("the external token's iss, exactly: an https URL, or builtin:NAME for the mock's own issuer at {origin}/_issuers/NAME (k8s, github)"),
    subject: z.string().min(1).max(600).describe("the external token's sub, compared exactly (case-sensitive), e.g. system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT"),
    audiences: z
      .array(z.string().min(1))
      .min(1)
      .max(1, 'Entra takes exactly one audience per federated credential')
      .default([DEFAULTS.federatedAudience])
      .describe(`the aud the external token must carry; default [${DEFAULTS.federatedAudience}]`),
    description: z.string().max(600).optional().describe('what the credential is for, as the portal shows it'),
  });
  const federatedCredentialsSchema = z
    .array(federatedCredentialSchema)
    .max(DEFAULTS.maxFederatedCredentials, `an app has at most ${DEFAULTS.maxFederatedCredentials} federated identity credentials (Entra's limit)`)
    .superRefine((list, ctx) => {
      const seen = new Map<string, number>();
      list.forEach((c, i) => {
        const key = c.name.toLowerCase();
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `the name '${c.name}' is already used by entry ${seen.get(key)}: each federated credential of an app needs its own name` });
        else seen.set(key, i);
      });
      const pairs = new Map<string, number>();
      list.forEach((c, i) => {
        const key = `${c.issuer}\u0000${c.subject}`;
        if (pairs.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'subject'], message: `entry ${pairs.get(key)} already has this issuer and subject: Entra allows one credential per issuer and subject` });
        else pairs.set(key, i);
      });
    })
    .default([])
    .describe('federated identity credentials: external tokens (Kubernetes, GitHub Actions, …) the app may present as client_assertion instead of a secret');
  // ---- end of workload identity federation ----

  const appSchema = z.strictObject({
    name: z.string().min(1).describe('display name; also how other entries refer to this app'),
    clientId: guid.optional().describe('Application (client) ID; default derived from the name'),
    secrets: z.array(secretSchema).default([]).describe('client secrets: a string, or { value, expires }'),
    certificates: z.array(z.string().regex(/-----BEGIN CERTIFICATE-----/, 'expected a PEM certificate')).default([]).describe('certificate credentials (PEM): clients sign client_assertion with the matching key'),
    redirectUris: z
      .array(redirectUri(true))
      .default([])
      .describe(`Web platform redirect URIs (and, with publicClient, mobile and desktop ones, which may use a scheme of their own such as myapp://auth). ${RULES}`),
    spaRedirectUris: z
      .array(redirectUri(false))
      .default([])
      .describe(`Single-page application redirect URIs: PKCE required, CORS at the token endpoint, 24-hour refresh tokens. ${RULES}`),
    implicitGrant: z
      .strictObject({
        idTokens: z.boolean().default(false).describe('"ID tokens (used for implicit and hybrid flows)"'),
        accessTokens: z.boolean().default(false).describe('"Access tokens (used for implicit flows)"'),
      })
      .default({ idTokens: false, accessTokens: false }),
    postLogoutRedirectUris: z.array(redirectUri(false)).default([]).describe(`where logout may redirect to (post_logout_redirect_uri). ${RULES}`),
    frontchannelLogoutUrl: redirectUri(false)
      .optional()
      .describe(`"Front-channel logout URL": when the user signs out of any app of the session (OIDC or SAML), the browser loads it in a hidden frame with iss and sid. ${RULES}`),
    signInAudience: z
      .enum(['AzureADMyOrg', 'AzureADMultipleOrgs'])
      .default('AzureADMyOrg')
      .describe('"Supported account types": single tenant (Entra\'s default; /common and /organizations refuse it with AADSTS50194) or any organization'),
    publicClient: z.boolean().default(false).describe('"Allow public client flows": ROPC and device code without a secret'),
    api: apiSchema.optional().describe('present when this app is an API that other apps get tokens for'),
    permissions: z.record(z.string(), z.array(z.string())).default({}).describe('granted (admin-consented) permissions by API name: { sample-api: [Data.Read] }'),
    groupMembershipClaims: z.enum(['None', 'SecurityGroup', 'All']).default('None').describe('the manifest setting: put the user\'s group object IDs in the groups claim'),
    groupClaimNames: z.boolean().default(false).describe('emit group names instead of object IDs in the groups claim (cloud_displayname)'),
    optionalClaims: z
      .strictObject({
        idToken: z.array(z.enum(OPTIONAL_CLAIMS)).default([]),
        accessToken: z.array(z.enum(OPTIONAL_CLAIMS)).default([]),
      })
      .default({ idToken: [], accessToken: [] })
      .describe('optional claims per token type, as in Token configuration'),
    assignmentRequired: z.boolean().default(false).describe('"Assignment required?" on the enterprise app: unassigned users get AADSTS50105'),
    assignments: z.array(z.string()).default([]).describe('users (by UPN) and groups (by name) assigned to the app'),
    saml: samlSchema.optional().describe('SAML single sign-on settings of an enterprise app'),
    federatedCredentials: federatedCredentialsSchema,
  });

  const userSchema = z.strictObject({
    upn: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'expected a user principal name like ada@contoso.onmicrosoft.com'),
    name: z.string().min(1).describe('display name'),
    password: z.string().default(DEFAULTS.password),
    id: guid.optional().describe('object ID; default derived from the UPN'),
    givenName: z.string().optional().describe('default: first word of name'),
    surname: z.string().optional().describe('default: last word of name'),
    mail: z.string().optional().describe('mail attribute; without it tokens carry no email'),
    groups: z.array(z.string()).default([]).describe('group names'),
    appRoles: z.record(z.string(), z.array(z.string())).default({}).describe('app roles assigned to the user, by app name: { sample-api: [Data.Read] }'),
    directoryRoles: z.array(z.string()).default([]).describe('directory roles (names such as Global Administrator, or role template IDs): the wids claim'),
  });

  const groupSchema = z.strictObject({
    name: z.string().min(1),
    id: guid.optional().describe('object ID; default derived from the name'),
  });

  // Managed identities (issue 12): the identities an Azure resource's code gets tokens as, from the
  // App Service / Functions endpoint (IDENTITY_ENDPOINT) or IMDS, without a secret of its own.
  const armId = z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/[^/]+\/[^/]+\/[^/]+/i, 'expected an Azure resource ID like /subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Web/sites/{name}');
  const managedIdentitySchema = z.strictObject({
    name: z.string().min(1).describe('system-assigned: the name of the resource it belongs to (an App Service app, a VM); user-assigned: the identity\'s own name. Also how fault rules (when.app) name it'),
    type: z.enum(['systemAssigned', 'userAssigned']).describe('systemAssigned (at most one: what the endpoints answer when no identity is named) or userAssigned'),
    clientId: guid.optional().describe('client ID (appid of its tokens; client_id= picks it); default derived from the name'),
    objectId: guid.optional().describe('object ID of its service principal (oid/sub of its tokens; object_id= / principal_id= picks it); default derived from the name'),
    subscriptionId: guid.optional().describe('subscription of its resource ID; default derived from the tenant ID'),
    resourceGroup: z.string().min(1).default(DEFAULTS.managedIdentityResourceGroup).describe('resource group of its resource ID'),
    resourceId: armId
      .optional()
      .describe('ARM resource ID (xms_mirid of its tokens; mi_res_id= / msi_res_id= picks it). Default: …/providers/Microsoft.Web/sites/{name} (system-assigned), …/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name} (user-assigned)'),
    permissions: z.record(z.string(), z.array(z.string())).default({}).describe('granted application permissions (app roles) by API name, as for apps: { sample-api: [Data.Read] }'),
  });

  /** Where a fault rule can act: the endpoints a client meets. */

  const ruleMatchSchema = z.strictObject({
    endpoint: z.union([z.enum(ENDPOINTS), z.array(z.enum(ENDPOINTS)).min(1)]).optional().describe('endpoint(s) the rule applies to; default all'),
    tenant: z.string().optional().describe('tenant ID or domain'),
    app: z.string().optional().describe('app name, client ID or SAML Identifier; for managed identity requests, the identity\'s name or client ID'),
    user: z.string().optional().describe('user UPN (login_hint, username, or the signed-in user)'),
    grantType: z.string().optional().describe('token requests only: authorization_code, client_credentials, password, refresh_token…'),
    header: z.record(z.string(), z.string()).optional().describe('request headers that must have these values, e.g. { x-test-id: t1 }'),
    param: z.record(z.string(), z.string()).optional().describe('request parameters (query or form) that must have these values, e.g. { prompt: none }'),
  });

  const ruleEffectSchema = z
    .strictObject({
      error: z
        .number()
        .int()
        .refine((n) => n in AADSTS, { error: (iss) => `AADSTS${String(iss.input)} is not in the catalogue (known: ${Object.keys(AADSTS).join(', ')})` })
        .optional()
        .describe('answer with this AADSTS error from the catalogue, in the channel Entra uses'),
      status: z.union([z.literal(429), z.literal(503)]).optional().describe('429 (throttled, with Retry-After) or 503 (outage)'),
      retryAfter: z.number().int().positive().default(60).describe('seconds, for status 429/503'),
      delayMs: z.number().int().min(0).max(120_000).optional().describe('answer this much later'),
      removeClaims: z.array(z.string()).optional().describe('claims (or SAML attribute names) left out of issued tokens and assertions'),
      setClaims: z.record(z.string(), z.unknown()).optional().describe('claims (or SAML attributes) overridden in issued tokens and assertions'),
      clockSkewSeconds: z.number().int().optional().describe('shift iat/nbf/exp (and SAML NotBefore/NotOnOrAfter) by this many seconds: negative = already expired'),
      breakSignature: z.boolean().optional().describe('issue tokens and SAML responses whose signature does not verify'),
      swapKey: z.boolean().optional().describe('sign with a key that is not published in JWKS or metadata'),
      samlResponse: z
        .enum(HOSTILE_SAML_KIND_NAMES)
        .optional()
        .describe(`answer SAML sign-ins with this hostile or defective Response, made from the real one (docs/saml-sp-security.md): ${HOSTILE_SAML_KIND_NAMES.join(', ')}`),
    })
    .refine((e) => Object.keys(e).some((k) => k !== 'retryAfter'), 'a rule must do something: error, status, delayMs, removeClaims, setClaims, clockSkewSeconds, breakSignature, swapKey or samlResponse');

  const occurrenceSchema = z.union([
    z.literal('always'),
    z.strictObject({ first: z.number().int().positive() }).describe('only the first N matching requests'),
    z.strictObject({ every: z.number().int().positive() }).describe('every Nth matching request'),
    z.strictObject({ after: z.number().int().min(0) }).describe('every matching request after the first N'),
    z.strictObject({ until: z.string().min(1) }).describe('until the named switch is flipped on'),
    z.strictObject({ while: z.string().min(1) }).describe('only while the named switch is on (a rule that is off until asked for)'),
  ]);

  const ruleSchema = z.strictObject({
    name: z.string().optional().describe('shown in logs, the dashboard and the admin API'),
    description: z.string().optional(),
    when: ruleMatchSchema.default({}),
    then: ruleEffectSchema,
    times: occurrenceSchema.default('always').describe('always, { first: N }, { every: N }, { after: N }, { until: switch } or { while: switch }'),
  });

  const scenarioSchema = z.strictObject({
    $schema: z.string().optional(),
    extends: z
      .string()
      .optional()
      .describe('the scenario this one changes: a shipped one by name (default, or default.yaml; mock-entra scenario list), or a file by a path relative to this one (looked up first). apps/users/groups merge by name, rules are appended'),
    description: z.string().optional().describe('what this scenario reproduces'),
    tenant: z.strictObject({
      id: guid,
      domain: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'expected a domain like contoso.onmicrosoft.com'),
      name: z.string().optional().describe('organisation name; default from the domain'),
      region: z.string().default(DEFAULTS.region).describe('tenant_region_scope: WW, EU, NA…'),
      /**
       * Azure subscriptions of the tenant, as Azure Resource Manager lists them
       * (https://management.azure.com/subscriptions, served in the as-Microsoft mode, so `az login` finds them).
       * Every principal of the tenant sees every one. Default none: `az login` then needs --allow-no-subscriptions.
       */
      subscriptions: z
        .array(
          z.strictObject({
            id: guid.describe('subscription ID'),
            displayName: z.string().min(1).describe('name shown by az account list'),
            state: z.enum(['Enabled', 'Warned', 'PastDue', 'Disabled', 'Deleted']).default('Enabled').describe('ARM subscription state'),
          }),
        )
        .default([])
        .describe('Azure subscriptions ARM lists for this tenant (as-Microsoft mode, az login); default none'),
    }),
    signIn: z
      .strictObject({
        autoSignIn: z.boolean().default(DEFAULTS.autoSignIn).describe('a login_hint naming a known user signs in without a page'),
        deviceCode: z
          .strictObject({
            interval: z.number().int().min(1).default(DEFAULTS.deviceCodeInterval).describe('seconds between polls (Entra: 5)'),
            expiresIn: z.number().int().min(1).default(DEFAULTS.deviceCodeSeconds).describe('seconds a device code lives (Entra: 900)'),
            autoApprove: z.string().optional().describe('UPN of a user who approves every device code at once (CI without a browser)'),
          })
          .default({ interval: DEFAULTS.deviceCodeInterval, expiresIn: DEFAULTS.deviceCodeSeconds }),
      })
      .default({ autoSignIn: DEFAULTS.autoSignIn, deviceCode: { interval: DEFAULTS.deviceCodeInterval, expiresIn: DEFAULTS.deviceCodeSeconds } }),
    users: z.array(userSchema).default([]),
    groups: z.array(groupSchema).default([]),
    apps: z.array(appSchema).default([]),
    tokens: z
      .strictObject({
        accessTokenLifetime: z.number().int().min(60).default(DEFAULTS.accessTokenSeconds).describe('seconds (Entra: 60–90 min)'),
        idTokenLifetime: z.number().int().min(60).default(DEFAULTS.idTokenSeconds).describe('seconds (Entra: 1 h)'),
      })
      .default({ accessTokenLifetime: DEFAULTS.accessTokenSeconds, idTokenLifetime: DEFAULTS.idTokenSeconds }),
    keys: z
      .strictObject({
        active: z.union([z.literal(1), z.literal(2)]).default(1).describe('which token-signing key signs; both are always published in JWKS (2 = after a key rollover)'),
      })
      .default({ active: 1 }),
    tls: z
      .strictObject({
        certificate: z.enum(['trusted', 'untrusted', 'wrong-host']).default('trusted').describe('trusted: issued by the local CA; untrusted: self-signed by an unknown CA; wrong-host: the local CA, but for another host name'),
      })
      .default({ certificate: 'trusted' }),
    managedIdentities: z.array(managedIdentitySchema).default([]).describe('managed identities (system- and user-assigned) the managed identity endpoints issue tokens for'),
    rules: z.array(ruleSchema).default([]).describe('fault rules, first match wins'),
    switches: z.record(z.string(), z.boolean()).default({}).describe('named switches rules can wait on (until) or fire on (while), with their initial state'),
  });
  return { secretSchema, federatedCredentialSchema, apiSchema, samlSchema, appSchema, userSchema, groupSchema, managedIdentitySchema, ruleMatchSchema, ruleEffectSchema, occurrenceSchema, ruleSchema, scenarioSchema };
}

let built: ReturnType<typeof define> | undefined;

/** The zod schemas (loads zod on first use). */
export function schemas(): ReturnType<typeof define> {
  built ??= define(createRequire(import.meta.url)('zod') as typeof Z);
  return built;
}

type Schemas = ReturnType<typeof define>;

/** A scenario as written (a file, or code): defaults may be left out. */
export type ScenarioInput = Z.input<Schemas['scenarioSchema']>;
/** A scenario after validation, with every default filled in. */
export type Scenario = Z.output<Schemas['scenarioSchema']>;
export type AppInput = Z.output<Schemas['appSchema']>;
/** A fault rule after validation. */
export type Rule = Z.output<Schemas['ruleSchema']>;
/** A fault rule as written: `when` (what it matches), `then` (what happens), `times` (how often). */
export type RuleInput = Z.input<Schemas['ruleSchema']>;
/** The endpoints a rule's `when.endpoint` names. */
export type Endpoint = (typeof ENDPOINTS)[number];

export function scenarioJsonSchema(): unknown {
  const z = createRequire(import.meta.url)('zod') as typeof Z;
  return z.toJSONSchema(schemas().scenarioSchema, { io: 'input', unrepresentable: 'any' });
}
