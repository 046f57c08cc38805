/** The sign-in pages' markup: what keyboard and screen-reader users rely on, and escaping. */
import { describe, expect, it } from 'vitest';
import type { Tenant } from '../../src/directory/model.js';
import { EntraError } from '../../src/index.js';
import { errorPage, loginPage } from '../../src/ui/pages.js';
import { ADA, GRACE } from '../helpers/ids.js';

const tenant = {
  name: 'Contoso <Ltd>',
  users: [
    { upn: ADA.upn, name: ADA.name },
    { upn: GRACE.upn, name: GRACE.name },
  ],
} as unknown as Tenant;

const headings = (html: string) => [...html.matchAll(/<h(\d)/g)].map((m) => Number(m[1]));

describe('account picker', () => {
  const html = loginPage({ tenant, action: '/t/login/1', appName: 'sample-web' });

  it('offers each account as a real submit button, the first one focused', () => {
    const buttons = [...html.matchAll(/<button type="submit" name="username" value="([^"]+)"( autofocus)?>/g)];
    expect(buttons.map((m) => m[1])).toEqual([ADA.upn, GRACE.upn]);
    expect(buttons.map((m) => Boolean(m[2]))).toEqual([true, false]);
  });

  it('labels the other-account field, declares its language and has one h1', () => {
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/<label for="username">Use another account<\/label><input type="email" id="username"/);
    expect(headings(html)).toEqual([1]);
    expect(html).toContain('Contoso &lt;Ltd&gt;');
  });

  it('after a bad username, focuses the field and ties the announced error to it', () => {
    const again = loginPage({ tenant, action: '/t/login/1', error: 'This username may be incorrect.' });
    expect(again).toContain('<p class="error" role="alert" id="error">This username may be incorrect.</p>');
    expect(again).toMatch(/<input type="email" id="username"[^>]* autofocus aria-invalid="true" aria-describedby="error">/);
    expect(again).not.toMatch(/value="[^"]+" autofocus/);
  });
});

describe('password form', () => {
  it('focuses the labelled password field and marks it invalid after a wrong password', () => {
    const first = loginPage({ tenant, action: '/t/login/1', user: { upn: ADA.upn, name: ADA.name } });
    expect(first).toMatch(/<label for="password">Password<\/label><input type="password" id="password" name="password" autocomplete="current-password" required autofocus>/);
    const wrong = loginPage({ tenant, action: '/t/login/1', username: ADA.upn, error: 'Your account or password is incorrect.' });
    expect(wrong).toMatch(/id="password"[^>]* aria-invalid="true" aria-describedby="error"/);
    expect(wrong).toContain(`<input type="hidden" name="username" value="${ADA.upn}">`);
  });
});

describe('error page', () => {
  it('shows the code, trace ID, correlation ID and timestamp under headings in order', () => {
    const ids = { traceId: '11111111-1111-4111-8111-111111111111', correlationId: '22222222-2222-4222-8222-222222222222', origin: 'https://x', at: new Date('2030-01-02T03:04:05.678Z'), time: Date.parse('2030-01-02T03:04:05.678Z') };
    const html = errorPage(new EntraError(50011, { params: { uri: 'https://evil.example/<cb>', appId: 'app' } }), ids);
    expect(headings(html)).toEqual([1, 2]);
    expect(html).toMatch(/<p class="error" id="message" role="alert">AADSTS50011: /);
    expect(html).toContain('data-field="code">AADSTS50011: ');
    expect(html).toContain(`data-field="trace_id">${ids.traceId}<`);
    expect(html).toContain(`data-field="correlation_id">${ids.correlationId}<`);
    expect(html).toContain('data-field="timestamp">2030-01-02T03:04:05Z<');
    expect(html).toContain('https://evil.example/&lt;cb&gt;');
  });
});
