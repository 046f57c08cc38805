/**
 * The hostile and defective SAML Responses a fault rule can ask for (`then: { samlResponse: KIND }`),
 * each in one line: the scenario schema lists the names, `scenario explain` and the dashboard print
 * the line. What each one is made of, its CVE family and what a correct SP answers:
 * docs/saml-sp-security.md; how it is made: hostile.ts.
 */
export const HOSTILE_SAML_KINDS = {
  'xsw-1': 'signature wrapping XSW1: an unsigned copy of the Response (attacker NameID) around the Signature, which holds the signed original',
  'xsw-2': 'signature wrapping XSW2: an unsigned copy of the Response (attacker NameID) with the signed original placed before its detached Signature',
  'xsw-3': 'signature wrapping XSW3: an unsigned attacker Assertion (new ID) placed before the signed Assertion',
  'xsw-4': 'signature wrapping XSW4: an unsigned attacker Assertion that holds the signed Assertion as its child',
  'xsw-5': 'signature wrapping XSW5: the signed Assertion edited to the attacker, an unsigned copy of the original (same ID) at the end of the Response',
  'xsw-6': "signature wrapping XSW6: the signed Assertion edited to the attacker, an unsigned copy of the original (same ID) inside its Signature",
  'xsw-7': 'signature wrapping XSW7: an unsigned attacker Assertion in the Response Extensions, before the signed Assertion',
  'xsw-8': "signature wrapping XSW8: the signed Assertion edited to the attacker, an unsigned copy of the original (same ID) in an Object of its Signature",
  'comment-injection': 'a comment in the signed NameID (ada@…<!---->.evil.example), signed so canonicalization hides it',
  'pi-injection': 'a processing instruction in the signed NameID (ada@…<?evil?>.evil.example), signed with it',
  'unsigned-assertion': 'a signed Response whose Assertion signature is removed',
  'unsigned-response': 'no signature at all, the attacker in the NameID',
  'foreign-key': 'signed by a key that is not in the metadata, its certificate in KeyInfo, the attacker in the NameID',
  'keyinfo-mismatch': "signed by another key whose KeyInfo certificate has the metadata certificate's subject name, the attacker in the NameID",
  sha1: 'signed with rsa-sha1 and a SHA-1 digest instead of SHA-256',
  'digest-mismatch': 'the NameID changed to the attacker after signing: the digest no longer matches',
  'wrong-audience': 'Audience of another service provider, signed',
  'wrong-recipient': 'Recipient and Destination of another service provider, signed',
  'wrong-issuer': 'Issuer of another tenant, signed',
  'foreign-in-response-to': 'InResponseTo of another request, signed',
  unsolicited: 'no InResponseTo although the SP sent a request, signed',
  expired: 'NotOnOrAfter an hour in the past, signed',
  'not-yet-valid': 'NotBefore an hour in the future, signed',
  'no-conditions': 'no Conditions (no Audience, no validity window), signed',
  replay: 'the bytes of the previous Response to this app and user again (same IDs): the first time a rule fires it is remembered',
  'unassigned-user': 'an Assertion for a user not assigned to the app, signed',
  'duplicate-attributes': 'the email attribute twice, the second with the attacker, signed',
  'success-without-assertion': 'a signed Response with status Success and no Assertion',
} as const;

export type HostileSamlKind = keyof typeof HOSTILE_SAML_KINDS;
export const HOSTILE_SAML_KIND_NAMES = Object.keys(HOSTILE_SAML_KINDS) as [HostileSamlKind, ...HostileSamlKind[]];

/** The NameID (and email) an attacker wants the SP to read. */
export const ATTACKER = 'attacker@evil.example';
