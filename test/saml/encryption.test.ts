/** Token encryption: the assertion arrives as an EncryptedAssertion only the SP's key opens (node-saml decrypts and validates it). */
import { beforeAll, describe, expect, it } from 'vitest';
import { ADA } from '../helpers/ids.js';
import { keyAndCertificate } from '../helpers/credentials.js';
import { useMockEntra } from '../helpers/mock.js';
import { CLAIM, nodeSamlSignIn, scenario } from './support.js';

const idp = useMockEntra();
let spKey: string;
let otherKey: string;

// The SP's encryption certificate is made here, so the scenario is switched to once the server runs.
beforeAll(async () => {
  const [sp, other] = await Promise.all([keyAndCertificate('sp.example.test'), keyAndCertificate('someone else')]);
  spKey = sp.keyPem;
  otherKey = other.keyPem;
  await idp.useScenario(scenario({ encryptionCertificate: sp.certPem }));
});

const signIn = (decryptionPvk: string) => nodeSamlSignIn(idp, { upn: ADA.upn, assertion: true, response: false, decryptionPvk });

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

  it('another key cannot open it: RSA-OAEP decryption of the content key fails', async () => {
    // The wrong private key fails RSA-OAEP either in the padding check or, when the ciphertext is numerically larger than its modulus, before it.
    const { sp, answer } = await signIn(otherKey);
    await expect(sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! })).rejects.toThrow(/oaep decoding error|data too large for modulus/);
  });
});
