/**
 * docs/clients/spring-boot.md and aspnet-core.md: the frameworks do not run here (no JVM, no .NET
 * SDK), so this checks what of their configuration the mock decides: each guide's scenario loads,
 * its issuer/authority serves a discovery document naming that issuer (Spring and ASP.NET both
 * insist), and a sign-in to the guide's redirect URI, redeemed with the guide's client ID and
 * secret the way the framework sends them, gives Ada's ID token.
 */
import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { snippet, Visitor, writeSnippet } from '../helpers/clients.js';
import { ADA } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

interface Client {
  issuer: string;
  clientId: string;
  secret: string;
  redirectUri: string;
  scope: string;
  /** client_secret_basic (Spring's default) or client_secret_post (ASP.NET's). */
  auth: 'basic' | 'post';
}

function scenario(doc: string, name: string): string {
  return writeSnippet(`${name}.yaml`, snippet(doc, name), {});
}

/** The authorization code flow as the framework runs it, with the values from its configuration. */
async function signIn(c: Client): Promise<Record<string, unknown>> {
  const discovery = (await (await fetch(`${c.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;
  expect(discovery.issuer).toBe(c.issuer);
  const authorize = new URL(discovery.authorization_endpoint!);
  authorize.search = new URLSearchParams({ client_id: c.clientId, redirect_uri: c.redirectUri, response_type: 'code', scope: c.scope, state: 's1', nonce: 'n1' }).toString();
  const landed = await new Visitor().go(authorize.href, { stopAt: new URL(c.redirectUri).origin });
  expect(`${landed.url.origin}${landed.url.pathname}`, landed.trail.join('\n')).toBe(c.redirectUri);
  expect(landed.url.searchParams.get('state')).toBe('s1');
  const form = new URLSearchParams({ grant_type: 'authorization_code', code: landed.url.searchParams.get('code')!, redirect_uri: c.redirectUri });
  const headers: Record<string, string> = {};
  if (c.auth === 'basic') headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.secret)}`).toString('base64')}`;
  else {
    form.set('client_id', c.clientId);
    form.set('client_secret', c.secret);
  }
  const res = await fetch(discovery.token_endpoint!, { method: 'POST', body: form, headers });
  const body = (await res.json()) as Record<string, string>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return decodeJwt(body.id_token!);
}

describe('Spring Boot (docs/clients/spring-boot.md)', () => {
  const DOC = 'docs/clients/spring-boot.md';
  const idp = useMockEntra({ scenario: scenario(DOC, 'spring-scenario') });

  it("application.yml's registration signs Ada in at /login/oauth2/code/entra", async () => {
    const yml = writeSnippet('spring-application.yml', snippet(DOC, 'spring-application-yml'), { 'https://localhost:8443': idp.url });
    type Section = { entra: Record<string, string> };
    const config = parse(readFileSync(yml, 'utf8')) as { spring: { security: { oauth2: { client: { registration: Section; provider: Section } } } } };
    const { registration, provider } = config.spring.security.oauth2.client;
    const claims = await signIn({
      issuer: provider.entra['issuer-uri']!,
      clientId: registration.entra['client-id']!,
      secret: registration.entra['client-secret']!,
      // {baseUrl}/login/oauth2/code/{registrationId} on Spring Boot's default port
      redirectUri: registration.entra['redirect-uri']!.replace('{baseUrl}', 'http://localhost:8080').replace('{registrationId}', 'entra'),
      scope: registration.entra.scope!.split(/,\s*/).join(' '),
      auth: 'basic',
    });
    expect(claims[provider.entra['user-name-attribute']!]).toBe(ADA.upn);
    expect(claims.email).toBe(ADA.upn);
  });
});

describe('ASP.NET Core (docs/clients/aspnet-core.md)', () => {
  const DOC = 'docs/clients/aspnet-core.md';
  const idp = useMockEntra({ scenario: scenario(DOC, 'aspnet-scenario') });

  it("appsettings.json's Entra section signs Ada in at /signin-oidc", async () => {
    const json = snippet(DOC, 'aspnet-appsettings').split('https://localhost:8443').join(idp.url);
    const o = (JSON.parse(json) as { Entra: Record<string, string> }).Entra;
    expect(o.ResponseType).toBe('code');
    const claims = await signIn({
      issuer: o.Authority!,
      clientId: o.ClientId!,
      secret: o.ClientSecret!,
      redirectUri: `https://localhost:5001${o.CallbackPath}`,
      scope: 'openid profile email', // the handler's defaults plus the guide's Scope.Add("email")
      auth: 'post',
    });
    expect(claims.preferred_username).toBe(ADA.upn);
  });
});
