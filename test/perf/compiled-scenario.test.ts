/**
 * The compiled-scenario cache: a start reuses what an earlier one validated, and never serves a
 * stale scenario — an edited file, an edited base it extends, or a damaged entry load it again.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/index.js';
import { loadCompiledScenario, parseCompiledScenario } from '../../src/scenario/compiled.js';
import { loadScenarioFile, parseScenario } from '../../src/scenario/load.js';

let dir: string;
let cache: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mock-entra-compiled-'));
  cache = join(dir, 'scenario-cache');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const base = `tenant: { id: 4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36, domain: contoso.onmicrosoft.com }
users: [{ upn: ada@contoso.onmicrosoft.com, name: Ada Lovelace }]
apps:
  - name: web
    clientId: 2f6c9e1a-8b3d-4c7e-a5f0-1d2e3f4a5b6c
    redirectUris: [http://localhost:3000/cb]
    secrets: [{ value: s3cret, expires: 2031-05-01 }]
`;

describe('compiled scenarios', () => {
  it('the second load comes from the cache and equals a full load, dates included', async () => {
    const file = join(dir, 'base.yaml');
    await writeFile(file, base);
    const first = await loadCompiledScenario(file, cache);
    expect(await readdir(cache)).toHaveLength(1);
    const second = await loadCompiledScenario(file, cache);
    expect(second).toEqual(await loadScenarioFile(file));
    expect(second).toEqual(first);
    const secret = second.apps[0]!.secrets[0] as { expires?: Date };
    expect(secret.expires).toBeInstanceOf(Date);
    expect(secret.expires!.toISOString()).toBe('2031-05-01T00:00:00.000Z');
  });

  it('an edited file is loaded again', async () => {
    const file = join(dir, 'base.yaml');
    await writeFile(file, base);
    await loadCompiledScenario(file, cache);
    await writeFile(file, base.replace('Ada Lovelace', 'Ada King'));
    expect((await loadCompiledScenario(file, cache)).users[0]!.name).toBe('Ada King');
  });

  it('an edited base a scenario extends is loaded again', async () => {
    await writeFile(join(dir, 'base.yaml'), base);
    const child = join(dir, 'child.yaml');
    await writeFile(child, 'extends: base.yaml\nusers: [{ upn: grace@contoso.onmicrosoft.com, name: Grace Hopper }]\n');
    expect((await loadCompiledScenario(child, cache)).users.map((u) => u.name)).toEqual(['Ada Lovelace', 'Grace Hopper']);
    await writeFile(join(dir, 'base.yaml'), base.replace('Ada Lovelace', 'Ada King'));
    expect((await loadCompiledScenario(child, cache)).users.map((u) => u.name)).toEqual(['Ada King', 'Grace Hopper']);
  });

  it('an invalid file is refused each time and leaves no entry', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, base.replace('2f6c9e1a-8b3d-4c7e-a5f0-1d2e3f4a5b6c', 'not-a-guid'));
    await expect(loadCompiledScenario(file, cache)).rejects.toBeInstanceOf(ScenarioError);
    await expect(loadCompiledScenario(file, cache)).rejects.toThrow(/apps\[0\]\.clientId: expected a GUID/);
    expect(await readdir(cache).catch(() => [])).toHaveLength(0);
  });

  it('a damaged entry is ignored and rewritten', async () => {
    const file = join(dir, 'base.yaml');
    await writeFile(file, base);
    await loadCompiledScenario(file, cache);
    const [entry] = await readdir(cache);
    await writeFile(join(cache, entry!), '{ not json');
    expect((await loadCompiledScenario(file, cache)).users[0]!.upn).toBe('ada@contoso.onmicrosoft.com');
    expect(JSON.parse(await readFile(join(cache, entry!), 'utf8'))).toHaveProperty('scenario');
  });

  it('a scenario built in code is cached by its content', async () => {
    const input = { tenant: { id: '4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36', domain: 'contoso.onmicrosoft.com' }, users: [{ upn: 'ada@contoso.onmicrosoft.com', name: 'Ada' }] };
    const first = await parseCompiledScenario(input, cache);
    const again = await parseCompiledScenario(input, cache);
    expect(again).toEqual(parseScenario(input));
    expect(again).toEqual(first);
    const other = await parseCompiledScenario({ ...input, users: [{ upn: 'grace@contoso.onmicrosoft.com', name: 'Grace' }] }, cache);
    expect(other.users[0]!.name).toBe('Grace');
    expect(await readdir(cache)).toHaveLength(2);
  });
});
