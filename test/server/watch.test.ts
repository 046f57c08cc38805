/**
 * serve --watch (start({ watch: true })): a save of the scenario file or of a file it extends puts
 * the edited scenario in force as one world; an edit that does not load keeps the running world,
 * and says what is wrong (onWatch, every dashboard page, GET /_mock/scenario, /health) until a
 * save loads. Each test waits for the watcher's own event, never for a time.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEntra, start } from '../../src/index.js';
import type { WatchEvent } from '../../src/server/watch.js';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { printWatch } from '../../src/cli/commands/serve.js';
import { cli } from '../cli/in-process.js';
import { serve } from '../cli/spawn.js';

const dir = mkdtempSync(join(tmpdir(), 'mock-entra-watch-'));
const base = join(dir, 'base.yaml');
const file = join(dir, 'my-app.yaml');

const baseText = (displayName: string) => `extends: default\nusers:\n  - upn: ada@contoso.onmicrosoft.com\n    name: ${displayName}\n`;
const fileText = (extra: string) => `extends: ./base.yaml\ndescription: watched\nusers:\n  - upn: ${extra}@contoso.onmicrosoft.com\n    name: ${extra}\n    password: Passw0rd!\n`;

/** The watcher's events, one at a time, in order. */
const events: WatchEvent[] = [];
const waiting: Array<(e: WatchEvent) => void> = [];
const nextEvent = () => new Promise<WatchEvent>((resolve) => (events.length ? resolve(events.shift()!) : waiting.push(resolve)));

let idp: MockEntra;
const upns = () => idp.directory.tenants[0]!.users.map((u) => u.upn);
const ada = () => idp.directory.tenants[0]!.users.find((u) => u.upn === 'ada@contoso.onmicrosoft.com')!;
const state = async () => (await (await fetch(`${idp.url}/_mock/scenario`)).json()) as { description: string; watch?: { files: string[]; lastReload: { ok: boolean } | null; error: { file: string; problems: string[]; message: string } | null } };

beforeAll(async () => {
  writeFileSync(base, baseText('Ada Lovelace'));
  writeFileSync(file, fileText('first'));
  idp = await start({
    scenario: file,
    certsDir: TEST_CERTS_DIR,
    watch: true,
    onWatch: (e) => {
      const w = waiting.shift();
      if (w) w(e);
      else events.push(e);
    },
  });
});
afterAll(async () => {
  await idp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('start({ watch: true })', () => {
  it('follows the file and what it extends; GET /_mock/scenario shows it, with no error', async () => {
    const s = await state();
    expect(s.watch).toEqual({ files: expect.arrayContaining([file, base, expect.stringMatching(/scenarios[/\\]default\.yaml$/)]), lastReload: null, error: null });
    expect(upns()).toContain('first@contoso.onmicrosoft.com');
  });

  it('a save of the file puts the edit in force', async () => {
    writeFileSync(file, fileText('second'));
    expect(await nextEvent()).toEqual({ kind: 'reloaded', file, files: expect.arrayContaining([file, base]), notes: [] });
    expect(upns()).toContain('second@contoso.onmicrosoft.com');
    expect(upns()).not.toContain('first@contoso.onmicrosoft.com');
    expect((await state()).watch?.lastReload?.ok).toBe(true);
  });

  it('a save of the file it extends does too', async () => {
    writeFileSync(base, baseText('Augusta Ada King'));
    expect((await nextEvent()).kind).toBe('reloaded');
    expect(ada().name).toBe('Augusta Ada King');
  });

  it('an editor that saves by renaming a new file over the old one is followed', async () => {
    const tmp = join(dir, '.my-app.yaml.swp');
    writeFileSync(tmp, fileText('third'));
    renameSync(tmp, file);
    expect((await nextEvent()).kind).toBe('reloaded');
    expect(upns()).toContain('third@contoso.onmicrosoft.com');
  });

  it('an edit that does not load keeps the running scenario and says why: onWatch, the dashboard banner, the admin API, /health', async () => {
    writeFileSync(file, 'extends: ./base.yaml\ndescription: broken\nusers:\n  - upn: fourth@contoso.onmicrosoft.com\n    nmae: Fourth\n');
    const e = await nextEvent();
    expect(e).toMatchObject({ kind: 'error', file, message: 'invalid scenario' });
    expect(e.kind === 'error' && e.problems.join('\n')).toMatch(/unknown key 'nmae': did you mean 'name'\?/);
    // The old world answers, whole.
    expect(upns()).toContain('third@contoso.onmicrosoft.com');
    expect(upns()).not.toContain('fourth@contoso.onmicrosoft.com');
    expect(ada().name).toBe('Augusta Ada King');
    const s = await state();
    expect(s.description).toBe('watched');
    expect(s.watch?.error).toMatchObject({ file, message: 'invalid scenario', problems: expect.arrayContaining([expect.stringContaining("did you mean 'name'")]) });
    for (const page of ['/', '/requests', '/signins']) {
      const html = await (await fetch(`${idp.url}${page}`)).text();
      expect(html, page).toContain('The scenario file has an error');
      expect(html, page).toContain('nmae');
    }
    expect(await (await fetch(`${idp.url}/health`)).json()).toMatchObject({ status: 'ok', scenario: 'my-app', scenarioError: true });
  });

  it('the save that fixes it loads, and the banner goes', async () => {
    writeFileSync(file, fileText('fifth'));
    expect((await nextEvent()).kind).toBe('reloaded');
    expect(upns()).toContain('fifth@contoso.onmicrosoft.com');
    expect((await state()).watch?.error).toBeNull();
    expect(await (await fetch(`${idp.url}/`)).text()).not.toContain('The scenario file has an error');
    expect(await (await fetch(`${idp.url}/health`)).json()).not.toHaveProperty('scenarioError');
  });

  it('a YAML syntax error is reported with its line and column, the world kept', async () => {
    writeFileSync(file, 'extends: ./base.yaml\nusers: [\n  - upn: x: y\n');
    const e = await nextEvent();
    expect(e.kind === 'error' && e.problems[0]).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: `));
    expect(upns()).toContain('fifth@contoso.onmicrosoft.com');
    writeFileSync(file, fileText('sixth'));
    expect((await nextEvent()).kind).toBe('reloaded');
  });

  it('needs a file: a scenario built in code is refused', async () => {
    await expect(start({ scenario: { tenant: { id: '11111111-2222-4333-8444-555555555555', domain: 'x.onmicrosoft.com' } } as never, watch: true, certsDir: TEST_CERTS_DIR })).rejects.toThrow(/watch\b.*needs a scenario file/);
  });
});

describe('serve --watch', () => {
  it('is in serve --help', async () => {
    const r = await cli(['serve', '--help']);
    expect(r.stdout).toMatch(/--watch\s+reload the scenario file \(and the files it extends\) when one changes/);
  });
});

describe('serve --watch, the process', () => {
  it('prints each reload and each edit that does not load (JSON lines with --log-format json), and keeps serving', async () => {
    const own = join(dir, 'served.yaml');
    writeFileSync(own, fileText('served'));
    const served = await serve(['--certs-dir', TEST_CERTS_DIR, '--scenario', own, '--watch']);
    try {
      const lines = () => served.output().split('\n').filter((l) => l.includes('"msg":"scenario'));
      const line = async (n: number) => {
        // Bounded: the server's own output, read as it comes.
        for (let i = 0; i < 200 && lines().length < n; i++) await new Promise((r) => served.child.stdout.once('data', r));
        return JSON.parse(lines()[n - 1]!) as Record<string, unknown>;
      };
      writeFileSync(own, 'extends: ./base.yaml\nusers: 3\n');
      expect(await line(1)).toMatchObject({ msg: 'scenario not reloaded', file: own, error: 'invalid scenario', problems: [expect.stringContaining('users')] });
      expect((await fetch(`${served.url}/health`)).status).toBe(200);
      writeFileSync(own, fileText('served-again'));
      expect(await line(2)).toMatchObject({ msg: 'scenario reloaded', file: own, files: expect.arrayContaining([own, base]) });
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });

  it('in the pretty format, says what was reloaded, and for a bad edit the problems and that the old scenario still serves', () => {
    let err = '';
    const io = { stdout: () => {}, stderr: (s: string) => (err += s) };
    printWatch({ kind: 'reloaded', file, files: [file, base], notes: ['TLS: new connections get …'] }, 'pretty', io);
    expect(err).toMatch(new RegExp(`^mock-entra: \\d\\d:\\d\\d:\\d\\d reloaded ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(and the file it extends\\): new requests see it\\n  TLS: new connections get …\\n$`));
    err = '';
    printWatch({ kind: 'error', file, message: 'invalid scenario', problems: ['users: expected a list'] }, 'pretty', io);
    expect(err).toContain(`${file}: invalid scenario\n  - users: expected a list\n  still serving the scenario from before this edit: fix the file and save (the dashboard shows this too)\n`);
  });
});
