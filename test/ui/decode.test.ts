import { generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { decodeJwt, prettyXml } from '../../src/ui/decode.js';
import { ADA } from '../helpers/ids.js';
import { authnRequest } from '../saml/support.js';

describe('decodeJwt', () => {
  it('returns the header and claims of a signed JWT', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = await new SignJWT({ preferred_username: ADA.upn, roles: ['Data.Read'] })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'k1' })
      .setAudience('aud-1')
      .setIssuedAt(1_700_000_000)
      .sign(privateKey);
    expect(decodeJwt(token)).toEqual({
      header: { alg: 'RS256', typ: 'JWT', kid: 'k1' },
      claims: { preferred_username: ADA.upn, roles: ['Data.Read'], aud: 'aud-1', iat: 1_700_000_000 },
      signed: true,
    });
  });

  it('marks an unsecured JWT (empty signature) as unsigned', () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(decodeJwt(`${part({ alg: 'none' })}.${part({ sub: 'x' })}.`)).toEqual({ header: { alg: 'none' }, claims: { sub: 'x' }, signed: false });
  });

  it('refuses what is not a JWS: opaque tokens, JWE (five parts), parts that are not JSON objects', () => {
    expect(decodeJwt('0.AAAA-opaque-refresh-token')).toBeUndefined();
    expect(decodeJwt('a.b.c.d.e')).toBeUndefined();
    expect(decodeJwt('bm90IGpzb24.e30.sig')).toBeUndefined();
    expect(decodeJwt(`${Buffer.from('[1]').toString('base64url')}.e30.sig`)).toBeUndefined();
  });
});

describe('prettyXml', () => {
  it('indents elements two spaces per level and keeps text-only elements on one line', () => {
    const xml = '<?xml version="1.0"?><a x="1"><b>text</b><c><d/><e></e></c><!-- note --></a>';
    expect(prettyXml(xml)).toBe(
      ['<?xml version="1.0"?>', '<a x="1">', '  <b>text</b>', '  <c>', '    <d/>', '    <e></e>', '  </c>', '  <!-- note -->', '</a>'].join('\n'),
    );
  });

  it('changes only whitespace between tags, and drops the BOM of federation metadata', () => {
    const { xml } = authnRequest();
    const pretty = prettyXml(`\uFEFF${xml}`);
    expect(pretty.split('\n').length).toBeGreaterThan(1);
    expect(pretty.replace(/>\s+</g, '><')).toBe(xml);
  });

  it('keeps text that needs escaping escaped, and does not choke on unbalanced input', () => {
    expect(prettyXml('<a>x &lt; y</a>')).toBe('<a>x &lt; y</a>');
    expect(prettyXml('</a></b><c>')).toBe('</a>\n</b>\n<c>');
  });
});
