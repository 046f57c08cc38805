/**
 * The hostile SAML Responses as a user meets them outside one kind's test: the loop of
 * docs/saml-sp-security.md through the test API, the shipped scenario in `scenario explain` and
 * on the dashboard, and the error a misspelt kind gets.
 */
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { describe, expect, it } from 'vitest';
import { ATTACKER, HOSTILE_SAML_KIND_NAMES, HOSTILE_SAML_KINDS } from '../../src/saml/hostile-kinds.js';
import { explainFile, renderExplanation } from '../../src/scenario/explain.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { ADA } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';
import { parse } from './hostile-support.js';
import { appCertPem, browse, SAML_APP, samlEndpoint, scenario, withQuery } from './support.js';

const idp = useMockEntra();
const unescapeHtml = (s: string) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

async function serviceProvider(o: { responseSigned?: boolean } = {}): Promise<SAML> {
  return new SAML({
    entryPoint: samlEndpoint(idp),
    issuer: SAML_APP.identifier,
    audience: SAML_APP.identifier,
    callbackUrl: SAML_APP.acs,
    idpCert: await appCertPem(idp),
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: o.responseSigned ?? false,
    validateInResponseTo: ValidateInResponseTo.always,
  });
}

/** The SP's sign-in: to the mock and back to the ACS; the user the SP signs in, or the error it shows. */
async function spSignIn(sp: SAML, seen?: (xml: string) => void): Promise<{ user?: string; error?: string }> {
  const answer = await browse(withQuery(await sp.getAuthorizeUrlAsync('', undefined, {}), { login_hint: ADA.upn }));
  expect(answer.action, answer.html.slice(0, 300)).toBe(SAML_APP.acs);
  seen?.(answer.responseXml!);
  try {
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: answer.samlResponse! });
    return { user: profile?.nameID };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('the loop for an SP test suite (docs/saml-sp-security.md)', () => {
  it("idp.use({ when: { endpoint: 'saml' }, then: { samlResponse: 'xsw-3' } }, { once: true }): the next sign-in is refused, the one after it succeeds", async () => {
    const sp = await serviceProvider();
    idp.use({ when: { endpoint: 'saml' }, then: { samlResponse: 'xsw-3' } }, { once: true });
    const attacked = await spSignIn(sp);
    expect(attacked.user).toBeUndefined();
    expect(attacked.error).toMatch(/Invalid signature/);
    expect(await spSignIn(sp)).toEqual({ user: ADA.upn });
  });

  it('each kind reaches the SP as its own rule, listed in the fault event with its one-line description', async () => {
    const sp = await serviceProvider();
    const fired: string[] = [];
    const off = idp.events.on('fault', (f) => fired.push(f.explain));
    try {
      idp.use({ when: { endpoint: 'saml', app: 'sample-saml' }, then: { samlResponse: 'wrong-audience' } }, { once: true });
      expect((await spSignIn(sp)).error).toMatch(/audience mismatch/);
    } finally {
      off();
    }
    expect(fired).toEqual([`saml requests for app sample-saml: send the hostile SAML Response 'wrong-audience' (${HOSTILE_SAML_KINDS['wrong-audience']}), the first time only.`]);
  });

  it('a kind that does not exist is refused with the list of those that do', () => {
    expect(() => idp.use({ when: { endpoint: 'saml' }, then: { samlResponse: 'xsw-9' as 'xsw-1' } })).toThrow(/samlResponse.*xsw-1.*success-without-assertion/s);
  });
});

describe('scenarios/saml-sp-security.yaml', () => {
  it('scenario explain lists one rule per kind, with its description, firing only while its switch is on', async () => {
    const { explanation, scenario } = await explainFile('scenarios/saml-sp-security.yaml');
    const text = renderExplanation(explanation, scenario);
    for (const [kind, line] of Object.entries(HOSTILE_SAML_KINDS)) {
      expect(text).toContain(`${kind}: saml requests for app sample-saml: send the hostile SAML Response '${kind}' (${line}), while switch '${kind}' is on.`);
    }
    expect(Object.keys(scenario.switches).sort()).toEqual(Object.keys(HOSTILE_SAML_KINDS).sort());
    expect(Object.values(scenario.switches).every((on) => on === false)).toBe(true);
  });

  it('a switch rule names a switch the scenario declares', () => {
    const yaml = 'tenant: { id: 4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36, domain: contoso.onmicrosoft.com }\nrules:\n  - when: { endpoint: saml }\n    then: { samlResponse: xsw-3 }\n    times: { while: xsw3 }\n';
    expect(() => parseScenarioText(yaml, 'my.yaml')).toThrow(/rules\[0\]\.times\.while: no switch named 'xsw3' \(declare it under switches\)/);
  });

  it('the dashboard lists its rules in the same words', async () => {
    await idp.useScenario('scenarios/saml-sp-security.yaml');
    try {
      const html = unescapeHtml(await (await fetch(`${idp.url}/`)).text());
      expect(html).toContain(`send the hostile SAML Response 'xsw-3' (${HOSTILE_SAML_KINDS['xsw-3']}), while switch 'xsw-3' is on.`);
      expect(html).toContain(`send the hostile SAML Response 'replay'`);
    } finally {
      await idp.useScenario('scenarios/default.yaml');
    }
  });
});

describe('with "Sign SAML response and assertion"', () => {
  it('every kind is still a well-formed Response, and node-saml requiring both signatures never signs the attacker in', async () => {
    await idp.useScenario(scenario({ signing: { option: 'both' } }));
    try {
      const sp = await serviceProvider({ responseSigned: true });
      for (const kind of HOSTILE_SAML_KIND_NAMES) {
        idp.use({ when: { endpoint: 'saml' }, then: { samlResponse: kind } }, { once: true });
        let problems: string[] = [];
        const outcome = await spSignIn(sp, (xml) => (problems = parse(xml).problems));
        expect(problems, kind).toEqual([]);
        expect(outcome.user, `${kind}: ${outcome.error}`).not.toBe(ATTACKER);
      }
    } finally {
      await idp.useScenario('scenarios/default.yaml');
    }
  });
});
