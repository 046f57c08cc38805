/** Token encryption: the assertion arrives as an EncryptedAssertion only the SP's key opens (node-saml decrypts and validates it). */
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockEntra } from '../../src/start.js';
import { ADA } from '../helpers/ids.js';
import { keyAndCertificate } from '../helpers/credentials.js';
import { startMock } from '../helpers/server.js';
import { appCertPem, browse, CLAIM, SAML_APP, samlEndpoint, scenario, withQuery } from './support.js';

let idp: MockEntra;
let spKey: string;
let otherKey: string;

beforeAll(async () => {
  const [sp, other] = await Promise.all([keyAndCertificate('sp.example.test'), keyAndCertificate('someone else')]);
  spKey = sp.keyPem;
  otherKey = other.keyPem;
  idp = await startMock({ scenario: scenario({ encryptionCertificate: sp.certPem }) });
});
afterAll(async () => {
  await idp?.stop();
});

async function signIn(decryptionPvk: string) {
  const sp = new SAML({
    entryPoint: samlEndpoint(idp),
    issuer: SAML_APP.identifier,
    audience: SAML_APP.identifier,
    callbackUrl: SAML_APP.acs,
    idpCert: await appCertPem(idp),
    decryptionPvk,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.never,
  });
  const answer = await browse(withQuery(await sp.getAuthorizeUrlAsync('', undefined, {}), { login_hint: ADA.upn }));
  return { sp, answer };
}

describe('SAML token encryption', () => {
  it('the response carries an EncryptedAssertion (AES-256-CBC, RSA-OAEP) and no readable assertion', async () => {
    const { answer } = await signIn(spKey);
    expect(answer.responseXml).toContain('<EncryptedAssertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion">');
    expect(answer.responseXml).toContain('http://www.w3.org/2001/04/xmlenc#aes256-cbc');
    expect(answer.responseXml).toContain('http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p');
    expect(answer.responseXml).not.toContain(ADA.upn);
  });

  it('the SP with its key decrypts it and validates the signed assertion inside', async () => {
    const { sp, answer } = await signIn(spKey);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! });
    expect(profile?.nameID).toBe(ADA.upn);
    expect(profile?.[CLAIM.displayname]).toBe('Ada Lovelace');
  });

  it('another key cannot open it', async () => {
    const { sp, answer } = await signIn(otherKey);
    await expect(sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! })).rejects.toThrow();
  });
});
