/** Shared pieces of the SAML tests: the default scenario as an object, metadata and HTML form readers, xmlsec1. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { expect } from 'vitest';
import type { MockEntra, ScenarioInput } from '../../src/index.js';
import { CookieJar } from '../helpers/browserless.js';
import { ADA, TENANT_ID } from '../helpers/ids.js';

export { CookieJar };

export const SAML_APP = {
  name: 'sample-saml',
  clientId: '5d4c3b2a-9e8f-4a7b-8c6d-1e0f2a3b4c5d',
  identifier: 'https://sp.example.test/saml/metadata',
  acs: 'http://localhost:3000/saml/acs',
  acs2: 'https://localhost:9443/saml/acs',
};
/** A second SAML app of the inline scenarios: its certificate is one sample-saml's SP must not trust. */
export const OTHER_SAML_APP = {
  name: 'other-saml',
  clientId: '3e2d1c0b-4a5f-4b6c-9d8e-7f6a5b4c3d2e',
  identifier: 'https://other.example.test/saml',
  acs: 'http://localhost:4000/saml/acs',
};
export const LOGOUT_URL = 'http://localhost:3000/saml/logout';

export const CLAIM = {
  tenantid: 'http://schemas.microsoft.com/identity/claims/tenantid',
  objectidentifier: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  displayname: 'http://schemas.microsoft.com/identity/claims/displayname',
  identityprovider: 'http://schemas.microsoft.com/identity/claims/identityprovider',
  authnmethodsreferences: 'http://schemas.microsoft.com/claims/authnmethodsreferences',
  givenname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  emailaddress: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  groups: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
} as const;

export const NAMEID = {
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
};
export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
  noPassive: 'urn:oasis:names:tc:SAML:2.0:status:NoPassive',
};

type SamlInput = NonNullable<NonNullable<NonNullable<ScenarioInput['apps']>[number]['saml']>>;
/** What a test varies in the SAML app: any setting, and any part of `signing`. */
export type SamlSettings = Partial<Omit<SamlInput, 'signing'>> & { signing?: Partial<NonNullable<SamlInput['signing']>> };

/**
 * scenarios/default.yaml as an object, with the SAML app's settings merged with `saml`
 * (and `signing` merged with `saml.signing`), plus a second SAML app (other-saml).
 */
export function scenario(saml: SamlSettings = {}): ScenarioInput {
  const { signing, ...rest } = saml;
  return {
    description: 'Contoso (default.yaml) with SAML settings varied by the test',
    tenant: { id: TENANT_ID, domain: 'contoso.onmicrosoft.com', name: 'Contoso' },
    signIn: { autoSignIn: true },
    groups: [{ name: 'Engineering' }],
    users: [
      { upn: ADA.upn, name: 'Ada Lovelace', password: 'Passw0rd!', mail: 'ada@contoso.onmicrosoft.com', groups: ['Engineering'] },
      { upn: 'grace@contoso.onmicrosoft.com', name: 'Grace Hopper', password: 'Passw0rd!', mail: 'grace@contoso.onmicrosoft.com' },
    ],
    apps: [
      {
        name: 'sample-web',
        clientId: '2f6c9e1a-8b3d-4c7e-a5f0-1d2e3f4a5b6c',
        secrets: ['sample-web-secret'],
        redirectUris: ['http://localhost:3000/auth/callback'],
      },
      {
        name: SAML_APP.name,
        clientId: SAML_APP.clientId,
        assignmentRequired: true,
        assignments: [ADA.upn],
        saml: {
          identifier: SAML_APP.identifier,
          replyUrls: [SAML_APP.acs, SAML_APP.acs2],
          ...rest,
          signing: { option: 'assertion', algorithm: 'sha256', ...signing },
        },
      },
      {
        name: OTHER_SAML_APP.name,
        clientId: OTHER_SAML_APP.clientId,
        saml: { identifier: OTHER_SAML_APP.identifier, replyUrls: [OTHER_SAML_APP.acs] },
      },
    ],
  };
}

export const samlEndpoint = (idp: MockEntra) => `${idp.url}/${idp.tenantId}/saml2`;
export const appMetadataUrl = (idp: MockEntra, appId = SAML_APP.clientId) =>
  `${idp.url}/${idp.tenantId}/federationmetadata/2007-06/federationmetadata.xml?appid=${appId}`;
export const tenantMetadataUrl = (idp: MockEntra) => `${idp.url}/${idp.tenantId}/federationmetadata/2007-06/federationmetadata.xml`;

/** The raw bytes of a metadata document (the App Federation Metadata starts with a BOM). */
export async function fetchBytes(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** The document without its UTF-8 BOM, as text. */
export const stripBom = (bytes: Buffer): string =>
  (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes).toString('utf8');

/** Base64 bodies of the X509Certificate elements of the IDPSSODescriptor, in document order. */
export function idpCertificates(metadataXml: string): string[] {
  const idp = /<IDPSSODescriptor[\s\S]*?<\/IDPSSODescriptor>/.exec(metadataXml)?.[0];
  if (!idp) throw new Error('no IDPSSODescriptor in the metadata');
  return [...idp.matchAll(/<X509Certificate>([^<]+)<\/X509Certificate>/g)].map((m) => m[1]!.replace(/\s+/g, ''));
}

export const toPem = (b64: string) => `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

/** The first signing certificate of an app's federation metadata, as PEM. */
export async function appCertPem(idp: MockEntra, appId = SAML_APP.clientId): Promise<string> {
  const [first] = idpCertificates(stripBom(await fetchBytes(appMetadataUrl(idp, appId))));
  return toPem(first!);
}

const unescapeHtml = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The auto-submitting form a SAML sign-in ends with: where it posts and its hidden fields. */
export function readForm(html: string): { action: string; fields: Record<string, string> } | undefined {
  const form = /<form[^>]*method="POST"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const fields: Record<string, string> = {};
  for (const m of form[2]!.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"\/?>/g)) fields[unescapeHtml(m[1]!)] = unescapeHtml(m[2]!);
  return { action: unescapeHtml(form[1]!), fields };
}

/** The AADSTS code on Entra's error page. */
export const pageCode = (html: string | undefined) => /data-field="code">AADSTS(\d+)/.exec(html ?? '')?.[1];

export interface Answer {
  status: number;
  html: string;
  headers: Headers;
  /** The SAMLResponse of the auto-submitting form, decoded. */
  responseXml?: string;
  samlResponse?: string;
  relayState?: string;
  action?: string;
}

/** A browser-like request (no redirects followed, cookies kept in `jar`). */
export async function browse(url: string, opts: { jar?: CookieJar; method?: string; body?: URLSearchParams } = {}): Promise<Answer> {
  const res = await fetch(url, {
    method: opts.method ?? 'GET',
    body: opts.body,
    redirect: 'manual',
    headers: opts.jar ? { cookie: opts.jar.header() } : {},
    signal: AbortSignal.timeout(10_000),
  });
  opts.jar?.store(res);
  const html = await res.text();
  const form = readForm(html);
  const samlResponse = form?.fields.SAMLResponse;
  return {
    status: res.status,
    html,
    headers: res.headers,
    samlResponse,
    responseXml: samlResponse ? Buffer.from(samlResponse, 'base64').toString('utf8') : undefined,
    relayState: form?.fields.RelayState,
    action: form?.action,
  };
}

/** Appends query parameters to a URL. */
export function withQuery(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

let counter = 0;
/** A minimal AuthnRequest, as an SP would send it. */
export function authnRequest(o: { id?: string; issuer?: string; acs?: string; destination?: string; extra?: string; body?: string } = {}): { id: string; xml: string } {
  const id = o.id ?? `_req${Date.now().toString(16)}${(counter++).toString(16)}a`;
  const xml =
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${new Date().toISOString()}"` +
    `${o.destination ? ` Destination="${o.destination}"` : ''} AssertionConsumerServiceURL="${o.acs ?? SAML_APP.acs}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"${o.extra ? ` ${o.extra}` : ''}>` +
    `<saml:Issuer>${o.issuer ?? SAML_APP.identifier}</saml:Issuer>${o.body ?? ''}</samlp:AuthnRequest>`;
  return { id, xml };
}

/** HTTP-Redirect encoding: DEFLATE, base64 (URL-encoding is left to URLSearchParams). */
export const deflate64 = (xml: string) => deflateRawSync(Buffer.from(xml)).toString('base64');

/** `${url}/${tenant}/saml2?SAMLRequest=…` for an AuthnRequest (HTTP-Redirect binding). */
export function redirectUrl(idp: MockEntra, xml: string, params: Record<string, string> = {}): string {
  return withQuery(samlEndpoint(idp), { SAMLRequest: deflate64(xml), ...params });
}

/** Values of one Attribute of a Response (by exact Name). */
export function attributeValues(xml: string, name: string): string[] | undefined {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`<Attribute Name="${esc}">([\\s\\S]*?)</Attribute>`).exec(xml);
  return m ? [...m[1]!.matchAll(/<AttributeValue>([^<]*)<\/AttributeValue>/g)].map((v) => v[1]!) : undefined;
}

const XMLSEC_ID_ATTRS = [
  ['--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion'],
  ['--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:protocol:Response'],
  ['--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor'],
].flat();

/**
 * Debian's xmlsec1 (libxmlsec1 on OpenSSL), a verifier independent of our code:
 * `xmlsec1 --verify --pubkey-cert-pem cert.pem --id-attr:ID … file.xml`. It checks the first
 * Signature in the document, or the one `signatureXpath` selects. Throws when xmlsec1 is not
 * installed (Debian/Ubuntu: apt-get install -y xmlsec1).
 */
export function xmlsecVerify(xml: string, certPem: string, signatureXpath?: string): { ok: boolean; output: string } {
  const work = mkdtempSync(join(tmpdir(), 'mock-entra-xmlsec-'));
  try {
    const xmlFile = join(work, 'message.xml');
    const certFile = join(work, 'cert.pem');
    writeFileSync(xmlFile, xml);
    writeFileSync(certFile, certPem);
    const node = signatureXpath ? ['--node-xpath', signatureXpath] : [];
    const run = spawnSync('xmlsec1', ['--verify', '--pubkey-cert-pem', certFile, ...XMLSEC_ID_ATTRS, ...node, xmlFile], { encoding: 'utf8', timeout: 15_000 });
    if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('xmlsec1 is not installed; these tests need it (Debian/Ubuntu: apt-get install -y xmlsec1)');
    }
    if (run.error) throw run.error;
    return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function expectXmlsecVerified(xml: string, certPem: string, signatureXpath?: string) {
  const r = xmlsecVerify(xml, certPem, signatureXpath);
  expect(r.ok, r.output).toBe(true);
  expect(r.output).toMatch(/^OK$/m);
  expect(r.output).toContain('SignedInfo References (ok/all): 1/1');
}

export function expectXmlsecRejected(xml: string, certPem: string, signatureXpath?: string) {
  const r = xmlsecVerify(xml, certPem, signatureXpath);
  expect(r.ok, r.output).toBe(false);
}

/**
 * A user signs in through node-saml's AuthnRequest (login_hint, auto sign-in): the SP that asked
 * and what the browser got back. `assertion` / `response`: which signatures the SP requires.
 */
export async function nodeSamlSignIn(idp: MockEntra, o: { upn: string; assertion: boolean; response: boolean; decryptionPvk?: string }): Promise<{ sp: SAML; answer: Answer }> {
  const sp = new SAML({
    entryPoint: samlEndpoint(idp),
    issuer: SAML_APP.identifier,
    audience: SAML_APP.identifier,
    callbackUrl: SAML_APP.acs,
    idpCert: await appCertPem(idp),
    wantAssertionsSigned: o.assertion,
    wantAuthnResponseSigned: o.response,
    validateInResponseTo: ValidateInResponseTo.never,
    ...(o.decryptionPvk ? { decryptionPvk: o.decryptionPvk } : {}),
  });
  const answer = await browse(withQuery(await sp.getAuthorizeUrlAsync('', undefined, {}), { login_hint: o.upn }));
  return { sp, answer };
}
