/** docs/clients/azure-identity.md: its scripts, run as written, get tokens from the mock (app-only, and a person through /devicelogin). */
import { afterEach, expect, it } from 'vitest';
import { DOC_MOCK, type RunningApp, snippet, startApp, Visitor, writeSnippet } from '../helpers/clients.js';
import { runProcess } from '../helpers/process.js';
import { ADA, API, WEB } from '../helpers/ids.js';
import { useMockEntra } from '../helpers/mock.js';

const DOC = 'docs/clients/azure-identity.md';
const idp = useMockEntra();
let script: RunningApp | undefined;
afterEach(() => script?.stop());

it('ClientSecretCredential gets an app-only token for sample-api with its Data.Read role', async () => {
  const file = writeSnippet('azure-identity-client-secret.mjs', snippet(DOC, 'azure-identity-client-secret'), { [DOC_MOCK]: idp.url });
  const ran = await runProcess(process.execPath, [file], { timeoutMs: 20_000 });
  expect(ran.stderr).toBe('');
  expect(JSON.parse(ran.stdout)).toEqual({ aud: API.clientId, roles: [API.role], azp: WEB.clientId });
});

it('DeviceCodeCredential prints the prompt, and once Ada enters the code at /devicelogin, gets her delegated token', async () => {
  const file = writeSnippet('azure-identity-device-code.mjs', snippet(DOC, 'azure-identity-device-code'), { [DOC_MOCK]: idp.url });
  script = await startApp(process.execPath, [file], { ready: /enter the code \w+/ });
  const prompt = /open the page (\S+) and enter the code (\w+)/.exec(script.output())!;
  expect(prompt[1]).toBe(`${idp.url}/devicelogin`);
  const done = await new Visitor().go(prompt[1]!, { method: 'POST', body: new URLSearchParams({ otc: prompt[2]! }) });
  expect(done.html).toContain('You have signed in to the sample-cli application on your device.');
  await expect.poll(() => script!.output(), { timeout: 15_000 }).toMatch(/"aud"/);
  const claims = JSON.parse(script.output().trim().split('\n').at(-1)!) as Record<string, string>;
  expect(claims).toEqual({ aud: API.clientId, scp: API.scope, preferred_username: ADA.upn });
});
