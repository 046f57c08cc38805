/**
 * samlify as a second, independent service provider: it reads the App Federation Metadata as an SP
 * would (the downloaded file, BOM and all), sends its AuthnRequest over HTTP-Redirect or HTTP-POST,
 * and parses and verifies the Response.
 */
import * as samlify from 'samlify';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADA, TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { CLAIM, NAMEID, OTHER_SAML_APP, SAML_APP, appMetadataUrl, browse, fetchBytes, samlEndpoint, scenario, withQuery } from './support.js';

const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const ISSUER = `https://sts.windows.net/${TENANT_ID}/`;

const idp = useMockEntra({ scenario: scenario() });
let entra: ReturnType<typeof samlify.IdentityProvider>;
let sp: ReturnType<typeof samlify.ServiceProvider>;

beforeAll(async () => {
  samlify.setSchemaValidator({ validate: async () => 'skipped' });
  const metadata = await fetchBytes(appMetadataUrl(idp));
  // The file as downloaded from "App Federation Metadata Url", UTF-8 BOM included.
  entra = samlify.IdentityProvider({ metadata: metadata.toString('utf8') });
  sp = samlify.ServiceProvider({
    entityID: SAML_APP.identifier,
    assertionConsumerService: [{ Binding: POST, Location: SAML_APP.acs }],
    wantAssertionsSigned: true,
  });
});

type Extract = {
  nameID: string;
  attributes: Record<string, string | string[]>;
  sessionIndex: { sessionIndex?: string; authnInstant?: string };
  issuer: string | string[];
  audience: string;
  response: { inResponseTo?: string; destination?: string };
  conditions: { notBefore: string; notOnOrAfter: string };
};

/** samlify's parse and verification of the posted SAMLResponse; its extracted fields. */
async function parseResponse(samlResponse: string, from = entra): Promise<Extract> {
  const { extract } = await sp.parseLoginResponse(from, 'post', { body: { SAMLResponse: samlResponse } });
  return extract as unknown as Extract;
}

function expectAda(extract: Extract) {
  expect(extract.nameID).toBe(ADA.upn);
  expect(extract.audience).toBe(SAML_APP.identifier);
  expect(extract.response.destination).toBe(SAML_APP.acs);
  expect(extract.sessionIndex.sessionIndex).toMatch(/^_[0-9a-f-]{36}$/);
  expect(extract.attributes).toMatchObject({
    [CLAIM.tenantid]: TENANT_ID,
    [CLAIM.displayname]: 'Ada Lovelace',
    [CLAIM.identityprovider]: ISSUER,
    [CLAIM.givenname]: 'Ada',
    [CLAIM.surname]: 'Lovelace',
    [CLAIM.emailaddress]: 'ada@contoso.onmicrosoft.com',
    [CLAIM.name]: ADA.upn,
  });
}

describe('samlify as the SP of the default app', () => {
  it('reads Entra’s endpoints from the App Federation Metadata', () => {
    expect(entra.entityMeta.getEntityID()).toBe(ISSUER);
    expect(entra.entityMeta.getSingleSignOnService('redirect')).toBe(samlEndpoint(idp));
    expect(entra.entityMeta.getSingleSignOnService('post')).toBe(samlEndpoint(idp));
  });

  it('signs Ada in over HTTP-Redirect and verifies the signed assertion: NameID, attributes, InResponseTo', async () => {
    const { id, context } = sp.createLoginRequest(entra, 'redirect', { relayState: 'samlify-relay' }) as { id: string; context: string };
    expect(context.startsWith(`${samlEndpoint(idp)}?SAMLRequest=`)).toBe(true);
    const answer = await browse(withQuery(context, { login_hint: ADA.upn }));
    expect(answer.status).toBe(200);
    expect(answer.action).toBe(SAML_APP.acs);
    expect(answer.relayState).toBe('samlify-relay');
    expect(answer.samlResponse, answer.html.slice(0, 400)).toBeDefined();
    const extract = await parseResponse(answer.samlResponse!);
    expectAda(extract);
    expect(extract.response.inResponseTo).toBe(id);
  });

  it('signs Ada in when the AuthnRequest comes over HTTP-POST (login_hint on the POST URL)', async () => {
    const request = sp.createLoginRequest(entra, 'post', { relayState: 'posted' }) as { id: string; context: string; entityEndpoint: string; relayState?: string };
    expect(request.entityEndpoint).toBe(samlEndpoint(idp));
    expect(Buffer.from(request.context, 'base64').toString('utf8')).toContain(`ID="${request.id}"`);
    const answer = await browse(withQuery(request.entityEndpoint, { login_hint: ADA.upn }), {
      method: 'POST',
      body: new URLSearchParams({ SAMLRequest: request.context, RelayState: 'posted' }),
    });
    expect(answer.status).toBe(200);
    expect(answer.action).toBe(SAML_APP.acs);
    expect(answer.relayState).toBe('posted');
    expect(answer.samlResponse, answer.html.slice(0, 400)).toBeDefined();
    const extract = await parseResponse(answer.samlResponse!);
    expectAda(extract);
    expect(extract.response.inResponseTo).toBe(request.id);
  });

  it('gets the emailAddress NameID format and a one-hour validity window starting five minutes back', async () => {
    const { context } = sp.createLoginRequest(entra, 'redirect') as { context: string };
    const answer = await browse(withQuery(context, { login_hint: ADA.upn }));
    expect(answer.responseXml).toContain(`<NameID Format="${NAMEID.emailAddress}">${ADA.upn}</NameID>`);
    const extract = await parseResponse(answer.samlResponse!);
    const issued = Date.parse(/<Assertion ID="[^"]+" IssueInstant="([^"]+)"/.exec(answer.responseXml!)![1]!);
    expect(Date.parse(extract.conditions.notBefore)).toBe(issued - 5 * 60 * 1000);
    expect(Date.parse(extract.conditions.notOnOrAfter)).toBe(issued + 60 * 60 * 1000);
  });

  it('refuses the response when it trusts another app’s metadata', async () => {
    const other = samlify.IdentityProvider({ metadata: (await fetchBytes(appMetadataUrl(idp, OTHER_SAML_APP.clientId))).toString('utf8') });
    const { context } = sp.createLoginRequest(entra, 'redirect') as { context: string };
    const answer = await browse(withQuery(context, { login_hint: ADA.upn }));
    await expect(parseResponse(answer.samlResponse!, other)).rejects.toThrow(/CERTIFICATE|SIGNATURE/);
  });
});
