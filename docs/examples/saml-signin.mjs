#!/usr/bin/env node
// Signs a user in to a SAML enterprise app without a browser, the way a service provider's
// "Test sign-in" does (SP-initiated: an AuthnRequest over the HTTP-Redirect binding), or the way
// Entra's "Test this application" does (--idp: IdP-initiated). login_hint makes mock-entra sign
// the user in at once. Prints the SAML Response's status, subject, conditions and attributes, or
// the Entra error page's code and message.
//
//   node docs/examples/saml-signin.mjs [--user UPN] [--identifier URI] [--acs URL] [--idp --app-id ID]
//
// Defaults: sample-saml of the default scenario (Identifier https://sp.example.test/saml/metadata,
// Reply URL http://localhost:3000/saml/acs, app ID 5d4c3b2a-9e8f-4a7b-8c6d-1e0f2a3b4c5d), user
// ada@contoso.onmicrosoft.com. Environment: MOCK (https://localhost:8443), CA (certs/ca.pem),
// TENANT (4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parseArgs } from 'node:util';
import { deflateRawSync } from 'node:zlib';

const { values: o } = parseArgs({
  options: {
    user: { type: 'string', default: 'ada@contoso.onmicrosoft.com' },
    identifier: { type: 'string', default: 'https://sp.example.test/saml/metadata' },
    acs: { type: 'string', default: 'http://localhost:3000/saml/acs' },
    idp: { type: 'boolean', default: false },
    'app-id': { type: 'string', default: '5d4c3b2a-9e8f-4a7b-8c6d-1e0f2a3b4c5d' },
  },
});
const MOCK = process.env.MOCK ?? 'https://localhost:8443';
const TENANT = process.env.TENANT ?? '4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36';
const ca = readFileSync(process.env.CA ?? 'certs/ca.pem', 'utf8');

/** GET with the mock's CA and a cookie jar; resolves with status, location and body. */
const cookies = new Map();
function get(url) {
  return new Promise((resolve, reject) => {
    const headers = { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    request(url, { ca, headers }, (res) => {
      for (const c of res.headers['set-cookie'] ?? []) {
        const [pair] = c.split(';');
        const i = pair.indexOf('=');
        cookies.set(pair.slice(0, i), pair.slice(i + 1));
      }
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location, body }));
    })
      .on('error', reject)
      .end();
  });
}

const unescapeHtml = (s) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

let url;
if (o.idp) {
  url = new URL(`${MOCK}/api/signin/${o['app-id']}`);
  url.searchParams.set('tenantId', TENANT);
} else {
  const authnRequest =
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
    ` ID="_${randomUUID()}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${MOCK}/${TENANT}/saml2"` +
    ` AssertionConsumerServiceURL="${o.acs}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">` +
    `<saml:Issuer>${o.identifier}</saml:Issuer></samlp:AuthnRequest>`;
  url = new URL(`${MOCK}/${TENANT}/saml2`);
  url.searchParams.set('SAMLRequest', deflateRawSync(Buffer.from(authnRequest)).toString('base64'));
  url.searchParams.set('RelayState', 'test-sign-in');
}
url.searchParams.set('login_hint', o.user);

let res;
try {
  for (let hop = 0; hop < 10; hop++) {
    res = await get(url);
    if (!res.location) break;
    url = new URL(res.location, url);
  }
} catch (err) {
  console.log(`sign-in failed: ${err.code ?? ''} ${err.message}`);
  process.exit(1);
}

const error = /AADSTS\d+: [^<]*/.exec(res.body);
const form = /<form[^>]*action="([^"]*)"[^>]*>[\s\S]*?name="SAMLResponse" value="([^"]*)"/.exec(res.body);
if (!form) {
  console.log(error ? `sign-in stopped on Entra's error page: ${unescapeHtml(error[0])}` : `no SAML Response (HTTP ${res.status})`);
  process.exit(1);
}
const xml = Buffer.from(unescapeHtml(form[2]), 'base64').toString('utf8');
const one = (re) => re.exec(xml)?.[1];
console.log(`POST to the Reply URL ${unescapeHtml(form[1])}`);
console.log(`Status        ${one(/<samlp:StatusCode Value="([^"]+)"/)}`);
console.log(`Issuer        ${one(/<Issuer>([^<]+)<\/Issuer>/)}`);
console.log(`NameID        ${one(/<NameID[^>]*>([^<]+)<\/NameID>/)}`);
console.log(`Audience      ${one(/<Audience>([^<]+)<\/Audience>/)}`);
console.log(`Valid         ${one(/<Conditions NotBefore="([^"]+)"/)} .. ${one(/<Conditions[^>]*NotOnOrAfter="([^"]+)"/)}`);
console.log(`Signed        ${/<Signature[\s>]/.test(xml) ? 'yes (verify it with the certificate from the App Federation Metadata)' : 'no'}`);
console.log('Attributes');
for (const m of xml.matchAll(/<Attribute Name="([^"]+)"[^>]*>([\s\S]*?)<\/Attribute>/g)) {
  const values = [...m[2].matchAll(/<AttributeValue[^>]*>([^<]*)<\/AttributeValue>/g)].map((v) => unescapeHtml(v[1]));
  console.log(`  ${m[1]} = ${values.join(', ')}`);
}
