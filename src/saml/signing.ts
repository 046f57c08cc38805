/** SAML signing: each enterprise app's certificate (and its successor during rotation), applied with samlify. */
import type { App } from '../directory/model.js';
import { loadSamlCert, type SigningKey } from '../keys/store.js';
import type { Runtime } from '../server/runtime.js';

export const SIG_ALGS = {
  sha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
} as const;

export interface AppCerts {
  /** Signs responses now. */
  active: SigningKey;
  /** Published in metadata: the current certificate and, during a rotation, the next. */
  published: SigningKey[];
}

/** Loaded once per server (the runtime caches the load). */
function cert(runtime: Runtime, certsDir: string, appId: string, slot: string, notAfter?: Date): Promise<SigningKey> {
  return runtime.samlCert(`${certsDir}|${appId}|${slot}|${notAfter?.getTime() ?? ''}`, () => loadSamlCert({ certsDir, appId, slot, notAfter }));
}

export async function appCerts(runtime: Runtime, certsDir: string, app: App, now = Date.now()): Promise<AppCerts> {
  const s = app.saml!.signing;
  const current = await cert(runtime, certsDir, app.clientId, 'current', s.expires);
  if (!s.nextCertificateFrom) return { active: current, published: [current] };
  const next = await cert(runtime, certsDir, app.clientId, 'next');
  return { active: now >= s.nextCertificateFrom.getTime() ? next : current, published: [current, next] };
}

/** The base64 body of a PEM certificate, as X509Certificate elements carry it. */
export const certBody = (k: SigningKey) => k.x5c;

type SamlLib = (typeof import('samlify'))['SamlLib'];
let lib: Promise<SamlLib> | undefined;
/** samlify loads on the first SAML request, so an OIDC-only start stays fast. */
export const samlLib = () =>
  // samlify is CommonJS: under Node's ESM loader its exports sit on `default` (bundlers flatten them).
  (lib ??= import('samlify').then((m) => ((m as unknown as { default?: typeof m }).default ?? m).SamlLib));

export interface SignOptions {
  xml: string;
  key: SigningKey;
  algorithm: keyof typeof SIG_ALGS;
  /** Which element to sign: the Assertion inside a Response, or the root element. */
  target: 'assertion' | 'root';
  /** XPath of the element the Signature goes after (Entra: right after the Issuer). */
  after?: string;
}

/** Enveloped XML-DSig with exclusive c14n, unprefixed like Entra's, KeyInfo with the X509 certificate only. */
export async function signXml(o: SignOptions): Promise<string> {
  const SamlLib = await samlLib();
  const location = o.after ? { reference: o.after, action: 'after' as const } : { reference: '/*', action: 'prepend' as const };
  return SamlLib.constructSAMLSignature({
    rawSamlMessage: o.xml,
    // samlify hands the key to xml-crypto unchanged; a parsed KeyObject signs faster than a PEM string.
    privateKey: o.key.privateKey as unknown as string,
    signingCert: certBody(o.key),
    signatureAlgorithm: SIG_ALGS[o.algorithm],
    isBase64Output: false,
    ...(o.target === 'assertion'
      ? { referenceTagXPath: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']" }
      : { isMessageSigned: true }),
    signatureConfig: { prefix: '', location },
  });
}
