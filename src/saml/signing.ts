/** SAML signing: each enterprise app's certificate (and its successor during rotation), and the enveloped XML-DSig of what we write. */
import { createHash, sign } from 'node:crypto';
import type { App } from '../directory/model.js';
import { loadSamlCert, type SigningKey } from '../keys/store.js';
import type { Runtime } from '../server/runtime.js';
import { c14n, el, type Namespaces, type XmlElement, type XmlNode } from './tree.js';

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
  return runtime.samlCert(`${certsDir}|${appId}|${slot}|${notAfter?.getTime() ?? ''}`, () => loadSamlCert({ certsDir, appId, slot, notAfter, files: runtime.keyFiles(certsDir) }));
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

/** The digest paired with each signature algorithm, as Entra pairs them. */
const DIGEST_ALGS = {
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
} as const;
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
/** The Signature's children see its default namespace: SignedInfo is canonicalized with it in scope. */
const IN_SIGNATURE: Namespaces = new Map([['', DSIG]]);

export interface SignOptions {
  key: SigningKey;
  algorithm: keyof typeof SIG_ALGS;
  /**
   * The signed element with the Signature in its place: Entra puts it right after the Issuer
   * (the SAML schema's place for it), metadata as the first child.
   */
  place: (signature: XmlElement) => XmlElement;
}

/** RSA on libuv's thread pool, like the JWT funnel's: the event loop keeps serving meanwhile. */
const rsaSign = (algorithm: string, data: Buffer, key: SigningKey['privateKey']) =>
  new Promise<Buffer>((resolve, reject) => sign(algorithm, data, key, (err, sig) => (err ? reject(err) : resolve(sig))));

/**
 * Enveloped XML-DSig over an element the mock wrote (tree.ts), as Entra signs: one Reference to
 * the element's ID, enveloped-signature then exc-c14n, unprefixed Signature, KeyInfo with the
 * X509 certificate only. The enveloped transform removes the Signature again, so the digest is
 * over the element as given, before `place` puts the Signature in. The element must declare
 * every namespace it uses (what we write always does): its canonical form needs no ancestor.
 */
export async function signElement(element: XmlElement, o: SignOptions): Promise<XmlElement> {
  const id = element.attrs.find(([k]) => k === 'ID')?.[1];
  if (!id) throw new Error(`signElement: <${element.name}> has no ID`);
  const hash = o.algorithm === 'sha1' ? 'sha1' : 'sha256';
  const digest = createHash(hash).update(c14n(element)).digest('base64');
  const signedInfo = el('SignedInfo', {}, [
    el('CanonicalizationMethod', { Algorithm: EXC_C14N }),
    el('SignatureMethod', { Algorithm: SIG_ALGS[o.algorithm] }),
    el('Reference', { URI: `#${id}` }, [
      el('Transforms', {}, [el('Transform', { Algorithm: ENVELOPED }), el('Transform', { Algorithm: EXC_C14N })]),
      el('DigestMethod', { Algorithm: DIGEST_ALGS[o.algorithm] }),
      el('DigestValue', {}, [digest]),
    ]),
  ]);
  const value = await rsaSign(hash, Buffer.from(c14n(signedInfo, IN_SIGNATURE)), o.key.privateKey);
  return o.place(
    el('Signature', { xmlns: DSIG }, [
      signedInfo,
      el('SignatureValue', {}, [value.toString('base64')]),
      el('KeyInfo', {}, [el('X509Data', {}, [el('X509Certificate', {}, [certBody(o.key)])])]),
    ]),
  );
}

/** `element` with `child` inserted at `index` among its children (1: after the Issuer). */
export const withChild = (element: XmlElement, index: number, child: XmlNode): XmlElement => ({
  ...element,
  children: [...element.children.slice(0, index), child, ...element.children.slice(index)],
});
