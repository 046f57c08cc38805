// SAML baseline for bench/run.js: the least a SAML IdP can do. node:https with the mock's TLS
// key/cert; every GET takes an Entra-shaped Response (a real one from the mock, its Signature
// stripped), gives it fresh Response/Assertion IDs, signs the Assertion with xml-crypto alone
// (KeyObject, RSA-SHA256, exc-c14n, enveloped, Signature after the Assertion's Issuer) and answers
// the same auto-submitting form page the mock does.
// Usage: node bench/baseline-saml-server.js <port> <certsDir> <templateXmlFile> <appId>
import { randomUUID, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { SignedXml } from 'xml-crypto';

const [port, certsDir, templateFile, appId] = [Number(process.argv[2]), process.argv[3], process.argv[4], process.argv[5]];
const pem = (name) => readFileSync(join(certsDir, name), 'utf8');
const origin = `https://localhost:${port}`;
const signingKey = createPrivateKey(pem(`saml-${appId}-current-key.pem`));
const x5c = pem(`saml-${appId}-current.pem`).replace(/-----[^-]+-----|\s+/g, '');
const keyInfo = `<X509Data><X509Certificate>${x5c}</X509Certificate></X509Data>`;

// The template with its two IDs replaced by placeholders (the Assertion ID is also the SessionIndex).
const template = readFileSync(templateFile, 'utf8');
const responseId = /^<samlp:Response ID="([^"]+)"/.exec(template)?.[1];
const assertionId = /<Assertion ID="([^"]+)"/.exec(template)?.[1];
if (!responseId || !assertionId) throw new Error(`no Response/Assertion ID in ${templateFile}`);
const parts = template.split(responseId).join('\u0000R').split(assertionId).join('\u0000A').split('\u0000');
const acs = /Destination="([^"]+)"/.exec(template)[1];
const xmlFor = (rid, aid) => parts.map((p, i) => (i === 0 ? p : (p[0] === 'R' ? rid : aid) + p.slice(1))).join('');

function sign(xml) {
  const sig = new SignedXml({
    privateKey: signingKey,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
    getKeyInfoContent: () => keyInfo,
  });
  sig.addReference({
    xpath: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']",
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, {
    prefix: '',
    location: { reference: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' },
  });
  return sig.getSignedXml();
}

const esc = (s) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const page = (action, fields) =>
  `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="${esc(action)}">` +
  Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}"/>`).join('') +
  '<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"/></noscript></form>' +
  '<script language="javascript">document.forms[0].submit();</script></body></html>';

const server = createServer({ key: pem('tls-key.pem'), cert: pem('tls.pem') + pem('ca.pem') }, (req, res) => {
  try {
    const relayState = new URL(req.url, origin).searchParams.get('RelayState');
    const xml = sign(xmlFor(`_${randomUUID()}`, `_${randomUUID()}`));
    const html = page(acs, { SAMLResponse: Buffer.from(xml).toString('base64'), ...(relayState !== null ? { RelayState: relayState } : {}) });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
  }
});
server.keepAliveTimeout = 5000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ msg: 'listening', url: origin })}\n`));
process.once('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
