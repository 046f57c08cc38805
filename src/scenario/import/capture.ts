/**
 * A capture of a failing sign-in, as a HAR file (any browser's devtools: Network > Save all as HAR)
 * or a SAML-tracer export: the Entra requests in it (authorize, token, saml2, on
 * login.microsoftonline.com or any host with Entra's paths) name the app, its redirect URI or ACS
 * and what it asked for; Entra's answers (error page, error redirect, token error JSON, SAML
 * Response status) name the AADSTS code. The scenario gets that app, configured so the mock fails
 * for the same reason where the code comes from configuration, and a fault rule otherwise.
 *
 * Only those fields are read. Passwords, cookies, authorization codes, tokens, state, nonces and
 * assertions are never copied: nothing else of a request or a response reaches the scenario.
 */
import { AADSTS, type AadstsCode, entryFor, formatText, REMEDIATION } from '../../entra/aadsts.js';
import { isGraphAudience, MICROSOFT_HOSTNAMES, OIDC_SCOPES } from '../../entra/urls.js';
import { NAMEID_FORMATS } from '../../saml/request.js';
import { childElements, decodeMessage, parseXml } from '../../saml/xml.js';
import { arr, GUID, isObj, isUrl, type J, slugify, str } from './manifest.js';
import { blankApp, ImportError, type ImportedApp, type ImportedPart, type ImportedRule, type Importer } from './types.js';

/** One request and its answer, whichever tool captured it. */
interface Exchange {
  method: string;
  url: URL;
  form: URLSearchParams;
  status: number;
  location?: string;
  /** Response body (HAR only, when saved with content). */
  body?: string;
  requestHeader: (name: string) => string | undefined;
  /** SAML-tracer's decoded SAML message of this request. */
  saml?: string;
  started?: string;
}

/** The sign-in a request belongs to: what the app sent. */
interface Flow {
  kind: 'authorize' | 'saml';
  tenant: string;
  clientId?: string;
  redirectUri?: string;
  scopes: string[];
  responseType?: string;
  /** Token requests of this flow. */
  token?: { grantType?: string; secret: boolean; assertion: boolean; origin: boolean };
  issuer?: string;
  acsUrl?: string;
  nameIdFormat?: string;
  authnContext: string[];
  signedRequest: boolean;
}

interface Failure {
  code: number;
  flow: Flow;
  endpoint: 'authorize' | 'token' | 'saml';
  /** How the capture shows it, for "What the user sees". */
  seen: string;
}

const ENTRA_PATH = /^\/([^/]+)\/(?:oauth2\/(?:v2\.0\/)?(authorize|token)|(saml2))\/?$/i;
const AADSTS_TEXT = /AADSTS(\d{5,7})\b/;
/** HAR bodies read for codes: a sign-in page is tens of KB; bigger ones (scripts) are skipped. */
const BODY_LIMIT = 512 * 1024;

const headerOf = (list: unknown) => (name: string) => {
  for (const h of arr(list)) if (isObj(h) && String(h.name).toLowerCase() === name) return String(h.value ?? '');
  return undefined;
};

function fromHar(doc: J): Exchange[] {
  const out: Exchange[] = [];
  for (const e of arr((doc.log as J).entries)) {
    if (!isObj(e) || !isObj(e.request)) continue;
    const req = e.request;
    const res = isObj(e.response) ? e.response : {};
    let url: URL;
    try {
      url = new URL(String(req.url));
    } catch {
      continue;
    }
    const post = isObj(req.postData) ? req.postData : {};
    const form = new URLSearchParams();
    if (arr(post.params).length) for (const p of arr(post.params)) if (isObj(p)) form.append(decodeURIComponent(String(p.name ?? '')), decodeURIComponent(String(p.value ?? '').replace(/\+/g, ' ')));
    if (!arr(post.params).length && /x-www-form-urlencoded/i.test(String(post.mimeType ?? ''))) for (const [k, v] of new URLSearchParams(String(post.text ?? ''))) form.append(k, v);
    const content = isObj(res.content) ? res.content : {};
    let body = typeof content.text === 'string' && content.text.length <= BODY_LIMIT * 2 ? content.text : undefined;
    if (body !== undefined && content.encoding === 'base64') body = Buffer.from(body, 'base64').toString('utf8');
    if (body !== undefined && body.length > BODY_LIMIT) body = undefined;
    const rh = headerOf(res.headers);
    out.push({ method: String(req.method ?? 'GET'), url, form, status: Number(res.status ?? 0), location: str(res.redirectURL) ?? rh('location'), body, requestHeader: headerOf(req.headers), started: str(e.startedDateTime) });
  }
  return out;
}

function fromSamlTracer(doc: J): Exchange[] {
  const out: Exchange[] = [];
  for (const r of arr(doc.requests)) {
    if (!isObj(r)) continue;
    let url: URL;
    try {
      url = new URL(String(r.url));
    } catch {
      continue;
    }
    const form = new URLSearchParams();
    for (const p of arr(r.post)) if (Array.isArray(p)) form.append(String(p[0]), String(p[1] ?? ''));
    const rh = headerOf(r.responseHeaders);
    out.push({ method: String(r.method ?? 'GET'), url, form, status: Number(r.responseStatus ?? 0), location: rh('location'), requestHeader: headerOf(r.requestHeaders), saml: str(r.saml), started: typeof doc.timestamp === 'string' ? doc.timestamp : undefined });
  }
  return out;
}

/** A SAML message of a request: SAML-tracer's decoded one, else SAMLRequest / SAMLResponse decoded from the query or form. */
function samlMessage(x: Exchange, name: 'SAMLRequest' | 'SAMLResponse'): Document | undefined {
  const q = x.url.searchParams.get(name);
  const f = x.form.get(name);
  if (q === null && f === null) return undefined;
  try {
    const xml = x.saml ?? (q !== null ? decodeMessage(q, 'redirect') : decodeMessage(f!.replace(/\s+/g, ''), 'post'));
    return parseXml(xml.replace(/^<\?xml[^>]*\?>\s*/, ''));
  } catch {
    return undefined;
  }
}

const child = (el: Element, localName: string) => childElements(el).find((c) => c.localName === localName);
const codeIn = (s: string | null | undefined) => {
  const m = AADSTS_TEXT.exec(s ?? '');
  return m ? Number(m[1]) : undefined;
};

/** The AADSTS code an error redirect (query, fragment or form_post) carries. */
function redirectCode(x: Exchange): number | undefined {
  const hash = new URLSearchParams(x.url.hash.replace(/^#/, ''));
  return codeIn(x.url.searchParams.get('error_description') ?? hash.get('error_description') ?? x.form.get('error_description'));
}

/** The AADSTS code of an Entra answer's body: the token error JSON's error_codes, else the code on the error page. */
function bodyCode(body: string | undefined): { code: number; json: boolean } | undefined {
  if (!body) return undefined;
  try {
    const j = JSON.parse(body) as unknown;
    if (isObj(j)) {
      const c = Number(arr(j.error_codes)[0] ?? codeIn(String(j.error_description ?? '')));
      if (Number.isInteger(c) && c > 0) return { code: c, json: true };
    }
  } catch {
    // an HTML page
  }
  const c = codeIn(body);
  return c === undefined ? undefined : { code: c, json: false };
}

/** The Entra requests and failures of a capture. */
function read(list: Exchange[]): { flows: Flow[]; failures: Failure[] } {
  const flows: Flow[] = [];
  const failures: Failure[] = [];
  const entraHosts = new Set<string>(MICROSOFT_HOSTNAMES);
  let flow: Flow | undefined;
  const fail = (code: number, endpoint: Failure['endpoint'], seen: string) => {
    if (!flow) return;
    const last = failures.at(-1);
    if (last && last.code === code && last.flow === flow) return; // one failure seen twice (the redirect, then the app's request)
    failures.push({ code, flow, endpoint, seen });
  };
  for (const x of list) {
    const m = ENTRA_PATH.exec(x.url.pathname);
    const p = (k: string) => x.url.searchParams.get(k) ?? x.form.get(k) ?? undefined;
    if (m) {
      entraHosts.add(x.url.host);
      const tenant = m[1]!;
      if (m[2]?.toLowerCase() === 'authorize') {
        flow = { kind: 'authorize', tenant, clientId: p('client_id'), redirectUri: p('redirect_uri'), scopes: (p('scope') ?? '').split(/\s+/).filter(Boolean), responseType: p('response_type'), authnContext: [], signedRequest: false };
        flows.push(flow);
      } else if (m[2]) {
        const clientId = p('client_id');
        if (!flow || flow.kind !== 'authorize' || (clientId && flow.clientId && clientId !== flow.clientId)) {
          flow = { kind: 'authorize', tenant, clientId, redirectUri: p('redirect_uri'), scopes: (p('scope') ?? '').split(/\s+/).filter(Boolean), authnContext: [], signedRequest: false };
          flows.push(flow);
        }
        flow.clientId ??= clientId;
        flow.token = { grantType: p('grant_type'), secret: x.form.has('client_secret') || /^basic /i.test(x.requestHeader('authorization') ?? ''), assertion: x.form.has('client_assertion'), origin: !!x.requestHeader('origin') };
      } else {
        const doc = samlMessage(x, 'SAMLRequest');
        const root = doc?.documentElement;
        if (root?.localName === 'AuthnRequest') {
          const policy = child(root, 'NameIDPolicy')?.getAttribute('Format') ?? undefined;
          const ctx = child(root, 'RequestedAuthnContext');
          flow = {
            kind: 'saml', tenant, scopes: [],
            issuer: child(root, 'Issuer')?.textContent?.trim(),
            acsUrl: root.getAttribute('AssertionConsumerServiceURL') || undefined,
            nameIdFormat: policy,
            authnContext: ctx ? childElements(ctx).map((c) => c.textContent?.trim() ?? '').filter(Boolean) : [],
            signedRequest: x.url.searchParams.has('Signature') || !!child(root, 'Signature'),
          };
          flows.push(flow);
        }
      }
    }
    // Entra's answers: on the Entra hosts, a page or JSON with a code; anywhere, an error redirect or a SAML Response.
    const onEntra = entraHosts.has(x.url.host);
    const rc = redirectCode(x) ?? (x.location && onEntra ? codeIn(new URL(x.location, x.url).searchParams.get('error_description') ?? new URLSearchParams(new URL(x.location, x.url).hash.slice(1)).get('error_description')) : undefined);
    if (rc !== undefined) fail(rc, flow?.kind === 'saml' ? 'saml' : 'authorize', 'a redirect back to the app with error and error_description');
    const response = samlMessage(x, 'SAMLResponse');
    if (response?.documentElement.localName === 'Response') {
      const status = child(response.documentElement, 'Status');
      const code = codeIn(status && child(status, 'StatusMessage')?.textContent);
      if (flow?.kind === 'saml' && !flow.acsUrl) flow.acsUrl = `${x.url.origin}${x.url.pathname}`;
      if (code !== undefined) fail(code, 'saml', `a SAML Response to the app whose status is not Success (StatusMessage AADSTS${code})`);
    }
    if (onEntra && rc === undefined) {
      const b = bodyCode(x.body);
      if (b) fail(b.code, b.json ? 'token' : flow?.kind === 'saml' ? 'saml' : 'authorize', b.json ? `the token endpoint's JSON error (HTTP ${x.status})` : "Entra's error page");
    }
  }
  return { flows, failures };
}

/** Codes the mock gives for the real reason once the app is configured as below (or the same request is sent). */
const BY_CONFIGURATION = new Set([50011, 700016, 50105, 7000222, 7000215, 90002, 50194, 75011, 76021, 7500529, 700054, 700051, 50126, 50058, 500113, 7000218]);

const PLACEHOLDER_URI = 'https://replace-with-a-registered-uri.invalid/';

function mapCapture(exchanges: Exchange[], file: string, format: string): ImportedPart {
  const { flows, failures } = read(exchanges);
  if (flows.length === 0) throw new ImportError(`${file}: no Entra sign-in requests (/{tenant}/oauth2/v2.0/authorize, /token, /saml2) in the ${format}: record the capture from the app's sign-in button to Entra's answer`);
  const unmapped: string[] = [];
  const skip = (what: string, why: string) => unmapped.push(`${file}: ${what}: ${why}`);
  const failure = failures.at(-1);
  for (const f of failures.slice(0, -1)) skip(`AADSTS${f.code} (earlier in the capture)`, `only the last failure, AADSTS${failure!.code}, is reproduced`);
  const flow = failure?.flow ?? flows.at(-1)!;
  const code = failure?.code;
  const known = code !== undefined && code in AADSTS;
  const notes: string[] = [];
  const apps: ImportedApp[] = [];
  const rules: ImportedRule[] = [];
  const why: string[] = [];

  // The tenant: served under the captured ID, so the app's configured authority works unchanged (unless the capture shows a tenant that does not exist).
  let tenant: ImportedPart['tenant'];
  if (GUID.test(flow.tenant) && code !== 90002) tenant = { id: flow.tenant.toLowerCase() };
  else if (/\./.test(flow.tenant) && code !== 90002) tenant = { domain: flow.tenant.toLowerCase() };

  let appRef: string | undefined;
  if (flow.kind === 'authorize') {
    const clientId = flow.clientId ?? '';
    if (!GUID.test(clientId)) throw new ImportError(`${file}: the captured sign-in has no client_id that is a GUID (${JSON.stringify(clientId)}): not a request to Entra that the mock can reproduce`);
    appRef = clientId.toLowerCase();
    const app = blankApp(file, format, `the app with client ID ${appRef}`, `app-${appRef.slice(0, 8)}`, appRef);
    app.notes = ['from the capture: client_id, redirect_uri, response_type and the token requests (a capture holds no secret: one is generated)'];
    const redirect = flow.redirectUri && isUrl(flow.redirectUri) ? flow.redirectUri : undefined;
    const spa = flow.token?.origin === true;
    if (code === 50011 || code === 500113) {
      if (code === 50011) app.redirectUris.push(PLACEHOLDER_URI);
      why.push(code === 50011 ? `${redirect ?? 'the redirect URI the app sends'} is NOT registered (the capture does not show which URIs production registers: replace ${PLACEHOLDER_URI} with them)` : 'the app has no redirect URI at all');
    } else if (redirect) (spa ? app.spaRedirectUris : app.redirectUris).push(redirect);
    else if (flow.redirectUri) skip(`redirect_uri ${JSON.stringify(flow.redirectUri)}`, 'not an absolute URL');
    const rt = flow.responseType ?? '';
    app.implicitGrant = { idTokens: /\bid_token\b/.test(rt) && code !== 700054, accessTokens: /\btoken\b/.test(rt) && code !== 700051 };
    const t = flow.token;
    const publicFlow = t && !t.secret && !t.assertion && !spa;
    if (publicFlow) {
      app.publicClient = code !== 700025;
      app.noSecret = true;
    }
    if (t?.assertion) skip('client_assertion', 'the app signs in with a certificate: add its certificate (PEM, public part) under certificates: to use it; a secret is generated meanwhile');
    if (code === 7000222) {
      const started = Date.parse(exchanges.find((x) => x.started)?.started ?? '');
      const day = Number.isNaN(started) ? Date.parse('2020-01-01') : started - 86_400_000;
      app.passwordCredentials.push({ displayName: 'expired, as in the capture (AADSTS7000222)', endDateTime: new Date(day).toISOString() });
      why.push('its only client secret has expired');
    }
    if (code === 7000215) why.push('its client secret is the generated one below: a client that sends any other secret (production\'s) gets AADSTS7000215');
    if (code === 7000218) why.push('it is a confidential client: a token request without client_secret or client_assertion is refused');
    if (code === 50194) why.push('it is single-tenant (signInAudience AzureADMyOrg): /common and /organizations refuse it');
    else if (/^(common|organizations)$/i.test(flow.tenant)) app.signInAudience = 'AzureADMultipleOrgs';
    for (const s of flow.scopes) {
      const i = s.lastIndexOf('/');
      if (i <= 0 || OIDC_SCOPES.has(s)) continue;
      const resource = s.slice(0, i);
      const scope = s.slice(i + 1);
      if (isGraphAudience(resource)) continue;
      let api = apps.find((a) => a.identifierUri === resource || a.clientId === resource);
      if (!api) {
        api = blankApp(file, format, resource, slugify(resource.replace(/^\w+:\/\//, '')) || 'captured-api', GUID.test(resource) ? resource.toLowerCase() : '');
        if (!GUID.test(resource)) api.identifierUri = resource;
        api.accessTokenVersion = 2;
        api.noSecret = true;
        api.notes = ['an API the app asks for scopes of (only the scopes the capture names); import its manifest for the rest'];
        apps.push(api);
      }
      if (scope !== '.default' && !api.scopes.some((x) => x.value === scope)) api.scopes.push({ id: '', value: scope });
    }
    if (code === 50105) {
      app.assignmentRequired = true;
      app.assignments = [];
      why.push('"Assignment required?" is on and no one is assigned');
    }
    if (code === 700016) why.push(`no app with client ID ${appRef} is registered here (it is left out on purpose)`);
    else apps.unshift(app);
  } else {
    const issuer = flow.issuer ?? '';
    if (!issuer) throw new ImportError(`${file}: the captured SAMLRequest has no Issuer: the mock finds the enterprise app by it`);
    appRef = issuer;
    const name = slugify(hostOf(issuer));
    const app = blankApp(file, format, hostOf(issuer), name);
    app.noSecret = true;
    app.notes = ['enterprise app (SAML) from the captured AuthnRequest: Issuer, AssertionConsumerServiceURL, NameIDPolicy'];
    const acs = flow.acsUrl && isUrl(flow.acsUrl) ? flow.acsUrl : undefined;
    if (!acs) skip('AssertionConsumerServiceURL', `the capture shows no Reply URL (the request names none and no Response was posted): replace ${PLACEHOLDER_URI} with the app's`);
    const format2 = flow.nameIdFormat ? (Object.entries(NAMEID_FORMATS).find(([, uri]) => uri === flow.nameIdFormat)?.[0] as 'emailAddress' | undefined) : undefined;
    if (flow.nameIdFormat && !format2) skip(`NameIDPolicy Format ${flow.nameIdFormat}`, 'not a format the mock issues; the app keeps emailAddress');
    app.saml = {
      identifier: issuer,
      replyUrls: [{ url: code === 50011 || !acs ? PLACEHOLDER_URI : acs, note: code === 50011 ? `${acs ?? 'the ACS the SP sends'} is NOT among the Reply URLs (replace with production's)` : 'the ACS the request named (or the Response was posted to)' }],
      ...(format2 ? { nameIdFormat: format2 } : {}),
      verificationCertificates: [],
      ...(code === 76021 ? { requireSignedRequests: true } : {}),
    };
    if (code === 50011) why.push(`${acs ?? 'the AssertionConsumerServiceURL the SP sends'} is not among the Reply URLs`);
    if (code === 76021) why.push('the app requires signed requests and the captured request is not signed');
    if (flow.signedRequest) skip('the SP signs its requests', 'a capture holds no certificate: add the SP\'s under saml.verificationCertificates to have them verified');
    if (flow.authnContext.length) notes.push(`The SP asks for RequestedAuthnContext ${flow.authnContext.join(', ')}${code === 75011 ? ': users here sign in with a password, so the mock answers AADSTS75011 for the same request' : ''}.`);
    if (code === 50105) {
      app.assignmentRequired = true;
      app.assignments = [];
      why.push('"Assignment required?" is on and no one is assigned');
    }
    if (code === 700016) why.push(`no enterprise app has the Identifier ${issuer} here (it is left out on purpose)`);
    else apps.unshift(app);
  }
  if (code === 90002) why.push(`the app signs in to tenant ${flow.tenant}, which is not this scenario's tenant`);
  if (code === 7500529) why.push('the SP\'s request ID starts with a digit, which Entra refuses (send the same request)');
  if (code === 700054 || code === 700051) why.push(`the implicit grant (${code === 700054 ? 'ID tokens' : 'access tokens'}) is off`);
  if (code === 50126) why.push('nothing needs configuring: type a wrong password on the sign-in page (or send one with ROPC)');
  if (code === 50058) why.push('nothing needs configuring: a prompt=none request without a session gets it');

  if (failure && code !== undefined) {
    const entry = known ? entryFor(code as AadstsCode) : undefined;
    const requested = flow.authnContext.map((c) => c.split(':').pop()).join(', ');
    // Placeholders the capture cannot fill (the user's name, a thumbprint) become an ellipsis.
    const text = entry ? formatText(entry.text, { appId: appRef, uri: flow.redirectUri ?? flow.acsUrl, tenant: flow.tenant, actual: 'Password', requested }).replace(/\{\w+\}/g, '…') : undefined;
    notes.unshift(
      `What the user sees: ${failure.seen}, at ${failure.endpoint === 'saml' ? 'the SAML endpoint (/saml2)' : `the ${failure.endpoint} endpoint`}.`,
      `Code: AADSTS${code}${text ? ` "${text}"` : ' (not in the mock\'s catalogue)'}`,
      ...(REMEDIATION[code as AadstsCode] ? [`Fix: ${REMEDIATION[code as AadstsCode]!.fix}`] : []),
    );
    if (BY_CONFIGURATION.has(code)) notes.push(`Reproduced by configuration, for the real reason: ${why.join('; ') || 'the same request gets it'}.`);
    else if (known) {
      rules.push({ name: `captured-aadsts${code}`, description: `reproduces AADSTS${code} from ${file}`, when: { endpoint: failure.endpoint, app: appRef }, then: { error: code } });
      notes.push(`Reproduced by a fault rule: the mock has no setting that makes Entra answer AADSTS${code}, so the rule below answers it at the same endpoint.`);
    } else {
      skip(`AADSTS${code}`, 'not in the mock\'s catalogue of errors (mock-entra scenario reference lists them): the scenario has the app but cannot reproduce the code');
    }
    notes.push(`Reproduce it: mock-entra serve -s THIS_FILE, then sign in to ${appRef} as ada@contoso.onmicrosoft.com (password Passw0rd!) with the same request.`);
  } else {
    skip('AADSTS code', `none found in the ${format} (no error page, error redirect, token error or SAML status): the scenario has the app only; save the capture with response content (HAR) to include Entra's error page`);
  }
  return { apps, rules, notes, tenant, unmapped, description: `${appRef}${code !== undefined ? ` fails with AADSTS${code}` : ''}, as in the capture ${file}` };
}

function hostOf(s: string): string {
  try {
    return new URL(s).hostname || s;
  } catch {
    return s;
  }
}

export const harImporter: Importer = {
  kind: 'a HAR capture of a sign-in',
  detect: (doc) => isObj(doc) && isObj(doc.log) && Array.isArray(doc.log.entries),
  map: (doc, file) => mapCapture(fromHar(doc as J), file, 'HAR capture'),
};

export const samlTracerImporter: Importer = {
  kind: 'a SAML-tracer export',
  detect: (doc) => isObj(doc) && Array.isArray(doc.requests) && doc.requests.every((r) => isObj(r) && typeof r.url === 'string'),
  map: (doc, file) => mapCapture(fromSamlTracer(doc as J), file, 'SAML-tracer export'),
};
