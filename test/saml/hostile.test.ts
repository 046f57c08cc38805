/**
 * Hostile and defective SAML Responses (issue 16): for every `samlResponse` kind, the real mock
 * answers an SP-initiated sign-in with it, and the test proves it hostile and well-formed: a
 * vulnerable path accepts it, while @node-saml/node-saml and python3-saml (strict), configured as a
 * careful SP with the certificate from the App Federation Metadata, refuse it.
 */
import { inflateRawSync } from 'node:zlib';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ATTACKER, HOSTILE_SAML_KIND_NAMES, type HostileSamlKind } from '../../src/saml/hostile-kinds.js';
import { ADA, GRACE, TENANT_ID } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { type PythonResult, parse, pythonSaml, pythonSettings, type Reader, readNameId, statusOf, type Verifier, vulnerableVerify } from './hostile-support.js';
import { appCertPem, browse, SAML_APP, samlEndpoint, scenario, STATUS, withQuery } from './support.js';

const ISSUER = `https://sts.windows.net/${TENANT_ID}/`;
const ATTACKERS_OWN = `${ADA.upn}.evil.example`;

/**
 * What a correct SP library does with it: `rejects`, or it signs `signsIn` in: the real user (it was
 * not fooled), or, with `gap`, a defect the library lets through and the SP's own check (sp-checks
 * below, docs/saml-sp-security.md) must refuse.
 */
type Outcome = 'rejects' | { signsIn: string; gap?: string };

interface Case {
  kind: HostileSamlKind | 'real';
  /** The vulnerable path: how it checks the signature, how it reads the NameID, and whom it then signs in. */
  verify: Verifier;
  read: Reader;
  signsIn: string | undefined;
  nodeSaml?: Outcome;
  python?: Outcome;
}

/** Content defects carry a valid signature: an SP that checks only the signature signs Ada in. */
const signedDefect = (kind: HostileSamlKind, o: Pick<Case, 'nodeSaml' | 'python'> = {}): Case => ({ kind, verify: 'somewhere', read: 'first', signsIn: ADA.upn, ...o });

const CASES: Case[] = [
  { kind: 'real', verify: 'somewhere', read: 'first', signsIn: ADA.upn, nodeSaml: { signsIn: ADA.upn }, python: { signsIn: ADA.upn } },
  { kind: 'xsw-1', verify: 'somewhere', read: 'child', signsIn: ATTACKER },
  { kind: 'xsw-2', verify: 'somewhere', read: 'child', signsIn: ATTACKER },
  { kind: 'xsw-3', verify: 'somewhere', read: 'first', signsIn: ATTACKER },
  { kind: 'xsw-4', verify: 'somewhere', read: 'first', signsIn: ATTACKER },
  { kind: 'xsw-5', verify: 'somewhere', read: 'first', signsIn: ATTACKER },
  { kind: 'xsw-6', verify: 'somewhere', read: 'child', signsIn: ATTACKER },
  // node-saml reads the signed Assertion and ignores Extensions: Ada, not the attacker.
  { kind: 'xsw-7', verify: 'somewhere', read: 'first', signsIn: ATTACKER, nodeSaml: { signsIn: ADA.upn } },
  { kind: 'xsw-8', verify: 'somewhere', read: 'child', signsIn: ATTACKER },
  // Both read the whole text: the attacker's own account, never Ada.
  { kind: 'comment-injection', verify: 'somewhere', read: 'first-text', signsIn: ADA.upn, nodeSaml: { signsIn: ATTACKERS_OWN }, python: { signsIn: ATTACKERS_OWN } },
  { kind: 'pi-injection', verify: 'xmlsec', read: 'first-text', signsIn: ADA.upn },
  { kind: 'unsigned-assertion', verify: 'somewhere', read: 'first', signsIn: ADA.upn },
  { kind: 'unsigned-response', verify: 'none', read: 'first', signsIn: ATTACKER },
  { kind: 'foreign-key', verify: 'keyinfo', read: 'first', signsIn: ATTACKER },
  { kind: 'keyinfo-mismatch', verify: 'keyinfo-by-name', read: 'first', signsIn: ATTACKER },
  signedDefect('sha1', { nodeSaml: { signsIn: ADA.upn, gap: 'accepts rsa-sha1' }, python: { signsIn: ADA.upn, gap: 'python3-saml 1.12 has no rejectDeprecatedAlgorithm' } }),
  { kind: 'digest-mismatch', verify: 'signature-value', read: 'first', signsIn: ATTACKER },
  signedDefect('wrong-audience'),
  signedDefect('wrong-recipient', { nodeSaml: { signsIn: ADA.upn, gap: 'checks neither Destination nor Recipient' } }),
  signedDefect('wrong-issuer', { nodeSaml: { signsIn: ADA.upn, gap: 'idpIssuer is checked on logout messages only' } }),
  signedDefect('foreign-in-response-to'),
  signedDefect('unsolicited', { python: { signsIn: ADA.upn, gap: 'a Response without InResponseTo passes although request_id is given' } }),
  signedDefect('expired'),
  signedDefect('not-yet-valid'),
  signedDefect('no-conditions'),
  signedDefect('replay'),
  // Assignment is the IdP's check: only the SP's own list of users can refuse a validly signed Grace.
  { kind: 'unassigned-user', verify: 'somewhere', read: 'first', signsIn: GRACE.upn, nodeSaml: { signsIn: GRACE.upn, gap: 'cannot know' }, python: { signsIn: GRACE.upn, gap: 'cannot know' } },
  signedDefect('duplicate-attributes', { nodeSaml: { signsIn: ADA.upn, gap: 'keeps the last value of a repeated attribute' } }),
  { kind: 'success-without-assertion', verify: 'somewhere', read: 'first', signsIn: undefined },
];

interface Got {
  xml: string;
  b64: string;
  requestId: string;
  sp: SAML;
}

const idp = useMockEntra();
let cert: string;
const got = new Map<string, Got>();
let python: Map<string, PythonResult>;

/** node-saml configured as the Entra guides describe, with every check a careful SP turns on. */
const serviceProvider = () =>
  new SAML({
    entryPoint: samlEndpoint(idp),
    issuer: SAML_APP.identifier,
    audience: SAML_APP.identifier,
    callbackUrl: SAML_APP.acs,
    idpCert: cert,
    idpIssuer: ISSUER,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: ValidateInResponseTo.always,
  });

/** An SP-initiated sign-in through `sp` (login_hint, auto sign-in): the Response the browser carries to the ACS. */
async function signIn(sp: SAML, kind = ""): Promise<Omit<Got, "sp">> {
  const url = await sp.getAuthorizeUrlAsync('', undefined, {});
  const request = inflateRawSync(Buffer.from(new URL(url).searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
  const requestId = /\sID="([^"]+)"/.exec(request)![1]!;
  const answer = await browse(withQuery(url, { login_hint: ADA.upn }));
  expect(answer.action, `${kind} ${url}\n${/<main[\s\S]{0,600}/.exec(answer.html)?.[0]}`).toBe(SAML_APP.acs);
  return { xml: answer.responseXml!, b64: answer.samlResponse!, requestId };
}

beforeAll(async () => {
  await idp.useScenario(scenario());
  cert = await appCertPem(idp);
  for (const c of CASES) {
    const sp = serviceProvider();
    if (c.kind === 'replay') {
      // The first sign-in is answered normally and remembered; the second gets its bytes again.
      idp.use({ when: { endpoint: 'saml' }, then: { samlResponse: 'replay' }, times: { first: 2 } });
      const first = await signIn(sp);
      got.set('replay-first', { ...first, sp });
    } else if (c.kind !== 'real') {
      idp.use({ when: { endpoint: 'saml' }, then: { samlResponse: c.kind } }, { once: true });
    }
    got.set(c.kind, { ...(await signIn(sp, c.kind)), sp });
  }
  const b64 = (cert.match(/^[A-Za-z0-9+/=]+$/gm) ?? []).join('');
  const settings = pythonSettings({ spEntityId: SAML_APP.identifier, acs: SAML_APP.acs, idpEntityId: ISSUER, sso: samlEndpoint(idp), cert: b64 });
  const names = ['replay-first', ...CASES.map((c) => c.kind)];
  python = await pythonSaml({ settings, acs: SAML_APP.acs, cases: names.map((name) => ({ name, response: got.get(name)!.b64, requestId: got.get(name)!.requestId })) });
}, 60_000);

async function nodeSaml(g: Got): Promise<{ ok: boolean; nameId?: string; error?: string }> {
  try {
    const { profile } = await g.sp.validatePostResponseAsync({ SAMLResponse: g.b64 });
    return { ok: true, nameId: profile?.nameID };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

describe('every hostile kind is listed', () => {
  it('the table covers every kind the schema accepts', () => {
    expect(CASES.map((c) => c.kind).filter((k) => k !== 'real').sort()).toEqual([...HOSTILE_SAML_KIND_NAMES].sort());
  });
});

describe.each(CASES)('samlResponse: $kind', (c) => {
  it('is well-formed XML a plain parser reads, and a vulnerable SP accepts it', () => {
    const g = got.get(c.kind)!;
    const { doc, problems } = parse(g.xml);
    expect(problems).toEqual([]);
    expect(doc.documentElement.localName).toBe('Response');
    expect(statusOf(doc)).toBe(STATUS.success);
    expect(vulnerableVerify(g.xml, doc, c.verify, cert), `the ${c.verify} signature check`).toBe(true);
    expect(readNameId(doc, c.read)).toBe(c.signsIn);
  });

  it(`node-saml ${describeOutcome(c.nodeSaml)}`, async () => {
    const g = got.get(c.kind)!;
    // The replayed bytes come second: the SP consumed the first Response, as a browser would have posted it.
    if (c.kind === 'replay') expect((await nodeSaml(got.get('replay-first')!)).nameId).toBe(ADA.upn);
    const n = await nodeSaml(g);
    expectOutcome(c, c.nodeSaml, n.ok ? n.nameId : undefined, n.error);
  });

  it(`python3-saml (strict) ${describeOutcome(c.python)}`, () => {
    if (c.kind === 'replay') expect(python.get('replay-first')!.nameId).toBe(ADA.upn);
    const p = python.get(c.kind)!;
    expectOutcome(c, c.python, p.errors.length ? undefined : (p.nameId ?? undefined), p.reason ?? undefined);
  });
});

function describeOutcome(o: Outcome = 'rejects'): string {
  if (o === 'rejects') return 'rejects it';
  return o.gap ? `lets it through (${o.gap}), and the SP's own check refuses it` : `signs in ${o.signsIn}, not the attacker`;
}

function expectOutcome(c: Case, o: Outcome = 'rejects', signedIn: string | undefined, error: string | undefined) {
  if (o === 'rejects') {
    expect(signedIn, 'signed in').toBeUndefined();
    expect(error).toBeTruthy();
    return;
  }
  expect(signedIn, error).toBe(o.signsIn);
  if (o.gap) expect(spCheck(c.kind as HostileSamlKind, got.get(c.kind)!), 'the SP\'s own check').toMatch(/./);
}

/**
 * The checks an SP adds where its library lets a defect through (docs/saml-sp-security.md): each
 * returns why it refuses the Response, or undefined.
 */
function spCheck(kind: HostileSamlKind, g: Got): string | undefined {
  const { doc } = parse(g.xml);
  const all = (name: string) => Array.from(doc.getElementsByTagNameNS('*', name) as unknown as ArrayLike<Element>);
  const attr = (name: string, a: string) => all(name).map((e) => e.getAttribute(a));
  switch (kind) {
    case 'sha1':
      return attr('SignatureMethod', 'Algorithm').some((a) => a !== 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256') ? 'SignatureMethod is not rsa-sha256' : undefined;
    case 'wrong-recipient':
      return [...attr('Response', 'Destination'), ...attr('SubjectConfirmationData', 'Recipient')].some((u) => u !== SAML_APP.acs) ? 'Destination / Recipient is not our ACS' : undefined;
    case 'wrong-issuer':
      return all('Issuer').some((e) => e.textContent !== ISSUER) ? 'Issuer is not our IdP' : undefined;
    case 'unsolicited':
      return attr('Response', 'InResponseTo')[0] !== g.requestId ? 'InResponseTo is not the request we sent' : undefined;
    case 'duplicate-attributes': {
      const names = attr('Attribute', 'Name');
      return new Set(names).size !== names.length ? 'an attribute appears twice' : undefined;
    }
    case 'unassigned-user':
      return all('NameID').some((e) => e.textContent !== ADA.upn) ? 'not a user of this SP' : undefined;
    default:
      return undefined;
  }
}
