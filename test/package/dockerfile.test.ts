/**
 * The Dockerfile without Docker (there is no engine here): the test reads it, then runs what the
 * image runs — its ENTRYPOINT and CMD (or the header example's command), with the environment its
 * ENV lines set, in the WORKDIR — against this checkout, the image's paths mapped onto it (/app is
 * the checkout, /scenarios the shipped scenarios, each volume a temporary directory), and runs its
 * HEALTHCHECK command against that server, as Docker would inside the container.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_CERTS_DIR } from '../helpers/global-setup.js';
import { runProcess } from '../helpers/process.js';
import { freePort } from '../../bench/lib.js';

const ROOT = resolve('.');
const IMAGE = 'mock-entra';

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions (continuation lines joined, comments dropped). */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) || (!pending && !line.trim())) continue;
    pending += line.replace(/\\$/, ' ');
    if (line.endsWith('\\')) continue;
    const m = /^\s*(\w+)\s+(.*)$/s.exec(pending);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim() });
    pending = '';
  }
  return out;
}

/** Splits a shell command line the way sh would for the plain words and "quoted" words used here. */
function shellWords(line: string, vars: Record<string, string>): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) {
    words.push((m[1] ?? m[2] ?? m[3]!).replace(/\$\(([^)]+)\)|\$(\w+)/g, (_, cmd: string | undefined, v: string | undefined) => (cmd ? (vars[`$(${cmd})`] ?? '') : (vars[v!] ?? ''))));
  }
  return words;
}

/** ENV key=value pairs (both forms Docker accepts). */
function envPairs(args: string): Record<string, string> {
  const pairs = [...args.matchAll(/(\w+)=("[^"]*"|\S*)/g)];
  if (pairs.length) return Object.fromEntries(pairs.map((m) => [m[1]!, m[2]!.replace(/^"|"$/g, '')]));
  const [key, ...value] = args.split(/\s+/);
  return { [key!]: value.join(' ') };
}

/** What the image is, as far as running it goes: the final stage's settings. */
interface Image {
  env: Record<string, string>;
  workdir: string;
  entrypoint: string[];
  cmd: string[];
  healthcheck: string[];
  expose: number[];
  volumes: string[];
  copies: Array<{ from?: string; sources: string[]; dest: string }>;
  runs: string[];
  user?: string;
  /** The header comment's `docker run …` example, as words. */
  example: string[];
}

function readImage(): Image {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const all = instructions(text);
  const stage = all.slice(all.map((i) => i.keyword).lastIndexOf('FROM'));
  const image: Image = { env: {}, workdir: '/', entrypoint: [], cmd: [], healthcheck: [], expose: [], volumes: [], copies: [], runs: [], example: [] };
  const exec = (args: string) => (args.startsWith('[') ? (JSON.parse(args) as string[]) : ['/bin/sh', '-c', args]);
  for (const { keyword, args } of stage) {
    if (keyword === 'ENV') Object.assign(image.env, envPairs(args));
    else if (keyword === 'WORKDIR') image.workdir = resolve(image.workdir, args);
    else if (keyword === 'ENTRYPOINT') image.entrypoint = exec(args);
    else if (keyword === 'CMD') image.cmd = exec(args);
    else if (keyword === 'USER') image.user = args;
    else if (keyword === 'EXPOSE') image.expose.push(...args.split(/\s+/).map((p) => Number.parseInt(p, 10)));
    else if (keyword === 'VOLUME') image.volumes.push(...(args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/)));
    else if (keyword === 'RUN') image.runs.push(args);
    else if (keyword === 'HEALTHCHECK') {
      const m = /\bCMD\s+(.*)$/s.exec(args);
      image.healthcheck = m ? exec(m[1]!.trim()) : [];
    } else if (keyword === 'COPY') {
      const from = /--from=(\S+)/.exec(args)?.[1];
      const parts = args.replace(/--\S+/g, '').trim().split(/\s+/);
      image.copies.push({ ...(from ? { from } : {}), sources: parts.slice(0, -1), dest: parts.at(-1)! });
    }
  }
  const header = /^#\s+(docker run .*)$/m.exec(text);
  image.example = header ? shellWords(header[1]!, { PWD: '/host', '$(id -u)': '1000', '$(id -g)': '1000' }) : [];
  return image;
}

/** `docker run [options] IMAGE [command…]`, the options the docs use. */
function dockerRun(words: string[]): { publish: string[]; volumes: Array<[string, string]>; env: Record<string, string>; command: string[] } {
  expect(words.slice(0, 2)).toEqual(['docker', 'run']);
  const r = { publish: [] as string[], volumes: [] as Array<[string, string]>, env: {} as Record<string, string>, command: [] as string[] };
  let i = 2;
  for (; i < words.length && words[i]!.startsWith('-'); i++) {
    const w = words[i]!;
    if (w === '--rm' || w === '-d' || w === '--init') continue;
    const value = words[++i]!;
    if (w === '-p') r.publish.push(value);
    else if (w === '-v') r.volumes.push(value.split(':').slice(0, 2) as [string, string]);
    else if (w === '-e') Object.assign(r.env, envPairs(value));
    else if (w !== '--user' && w !== '--name') throw new Error(`docker run option ${w}: not understood by this test`);
  }
  expect(words[i], 'the image name').toBe(IMAGE);
  r.command = words.slice(i + 1);
  return r;
}

const tmp = mkdtempSync(join(tmpdir(), 'mock-entra-docker-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The container's file system on this machine: the image's paths, longest first. */
function mapper(volumes: Record<string, string>): (p: string) => string {
  const mounts: Array<[string, string]> = Object.entries({ '/app': ROOT, '/scenarios': join(ROOT, 'scenarios'), ...volumes }).sort((a, b) => b[0].length - a[0].length);
  return (p) => {
    for (const [inImage, onHost] of mounts) if (p === inImage || p.startsWith(`${inImage}/`)) return onHost + p.slice(inImage.length);
    return p;
  };
}

interface Container {
  child: ChildProcessWithoutNullStreams;
  env: NodeJS.ProcessEnv;
  output(): string;
  /** The HEALTHCHECK command, as Docker runs it in the container: its exit code and output. */
  health(): Promise<{ status: number | null; output: string }>;
  stop(): Promise<void>;
}

/** Starts the image's ENTRYPOINT with `command` (the CMD when empty), as `docker run` would. */
async function run(image: Image, opts: { command?: string[]; env?: Record<string, string>; volumes: Record<string, string> }): Promise<Container> {
  const map = mapper(opts.volumes);
  const command = opts.command?.length ? opts.command : image.cmd;
  const argv = [...image.entrypoint, ...command].map((a) => a.replace(/^(--[\w-]+=)?(\/.*)$/, (_, opt: string | undefined, p: string) => (opt ?? '') + map(p)));
  const containerEnv = { ...image.env, ...opts.env };
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: tmp, ...Object.fromEntries(Object.entries(containerEnv).map(([k, v]) => [k, map(v)])) };
  expect(argv[0]).toBe('node');
  const child = spawn(process.execPath, argv.slice(1), { cwd: map(image.workdir), env });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no listening line after 20 s:\n${out}`)), 20_000);
    const check = () => {
      if (/"msg":"listening"|^\s+url:/m.test(out)) {
        clearTimeout(timer);
        res();
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`the container's command exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    env,
    output: () => out,
    health: async () => {
      const [cmd, ...args] = image.healthcheck.map((a) => map(a));
      expect(cmd).toBe('node');
      // Inside the container the server is PID 1; here it is named by its PID.
      const r = await runProcess(process.execPath, [...args, String(child.pid)], { env, cwd: map(image.workdir), timeoutMs: 10_000 });
      return { status: r.status, output: r.stdout + r.stderr };
    },
    stop: () =>
      new Promise((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

/** Addresses a process listens on for `port`, from /proc/net/tcp{,6} (e.g. 0.0.0.0, 127.0.0.1). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A' || !local.endsWith(`:${hexPort}`)) continue;
      const hex = local.split(':')[0]!;
      out.push(hex.length === 8 ? hex.match(/../g)!.reverse().map((b) => Number.parseInt(b, 16)).join('.') : hex === '0'.repeat(32) ? '::' : hex);
    }
  }
  return out;
}

/** A copy of the suite's certs directory: a volume whose keys exist, when keys are not the point. */
function certsVolume(name: string): string {
  const dir = join(tmp, name);
  cpSync(TEST_CERTS_DIR, dir, { recursive: true });
  return dir;
}

const image = readImage();

describe('the Dockerfile', () => {
  it("copies into the image everything its ENTRYPOINT and HEALTHCHECK run, and the non-root user owns the certs volume", () => {
    expect(image.user).toBe('node');
    const copied = (file: string) => image.copies.some((c) => c.sources.some((s) => file === s || file.startsWith(`${s.replace(/\/$/, '')}/`)) || (c.from && file.startsWith(c.dest.replace(/^\.\//, ''))));
    const inApp = (p: string) => (p.startsWith('/app/') ? p.slice('/app/'.length) : p);
    expect(copied(inApp(image.entrypoint[1]!))).toBe(true);
    const script = inApp(image.healthcheck[1]!);
    expect(copied(script), `${script} is COPYed into the image`).toBe(true);
    expect(existsSync(join(ROOT, script))).toBe(true);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    expect(ignored.filter((pattern) => script === pattern || script.startsWith(`${pattern}/`))).toEqual([]);
    expect(image.volumes).toContain('/certs');
    expect(image.runs.some((r) => /chown\s+node(:node)?\s+\/certs/.test(r))).toBe(true);
  });

  it('the header example is reachable through its -p, keeps its keys in the /certs volume and is healthy', async () => {
    const example = dockerRun(image.example);
    // -p HOST:CONTAINER publishes the port the server listens on in the container.
    const listensOn = (command: string[], env: Record<string, string>) => {
      const i = command.findIndex((w) => w === '--port' || w === '-p');
      return Number(i >= 0 ? command[i + 1] : (env.MOCK_ENTRA_PORT ?? 8443));
    };
    const exampleEnv = { ...image.env, ...example.env };
    expect(example.publish.map((p) => Number(p.split(':').at(-1)))).toContain(listensOn(example.command, exampleEnv));
    expect(image.expose).toContain(listensOn(example.command, exampleEnv));
    const volumes = Object.fromEntries(example.volumes.map(([, inImage]) => [inImage, join(tmp, `example${inImage.replace(/\//g, '-')}`)]));
    expect(Object.keys(volumes), 'the example mounts a volume (or a directory) for the keys').toContain('/certs');
    // The only change: a free port instead of 8443 (the container port -p publishes, checked above).
    const port = await freePort();
    const c = await run(image, { command: example.command, env: { ...example.env, MOCK_ENTRA_PORT: String(port) }, volumes });
    try {
      expect(listeningAddresses(port), c.output()).toContain('0.0.0.0');
      expect(existsSync(join(volumes['/certs']!, 'ca.pem')), `the keys are made in the /certs volume:\n${c.output()}`).toBe(true);
      const h = await c.health();
      expect(h.status, h.output).toBe(0);
    } finally {
      await c.stop();
    }
  });

  it('the default command serves the default scenario; the HEALTHCHECK follows -e MOCK_ENTRA_PORT and fails once the server is gone', async () => {
    const port = await freePort();
    const c = await run(image, { env: { MOCK_ENTRA_PORT: String(port) }, volumes: { '/certs': certsVolume('default-cmd') } });
    try {
      expect(c.output()).toContain('"tenantId":"4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36"');
      expect(listeningAddresses(port)).toContain('0.0.0.0');
      const h = await c.health();
      expect(h.status, h.output).toBe(0);
      expect(h.output).toContain(`https://127.0.0.1:${port}`);
      // The server's own /health, not the discovery fallback for versions without it.
      expect(h.output).toMatch(new RegExp(`^healthy: https://127\\.0\\.0\\.1:${port}/health \\{"status":"ok","scenario":"default","uptime":\\d+,"version":"\\d+\\.\\d+\\.\\d+[^"]*"\\}`));
    } finally {
      await c.stop();
    }
    const after = await c.health();
    expect(after.status, after.output).toBe(1);
  });

  it('the HEALTHCHECK follows a command of its own: another port and --no-tls', async () => {
    const port = await freePort();
    const c = await run(image, { command: ['serve', '--scenario', '/scenarios/first-test-failure.yaml', '--port', String(port), '--no-tls'], volumes: { '/certs': certsVolume('no-tls') } });
    try {
      const h = await c.health();
      expect(h.status, h.output).toBe(0);
      expect(h.output).toContain(`http://127.0.0.1:${port}/health {"status":"ok","scenario":"first-test-failure"`);
    } finally {
      await c.stop();
    }
  });

  it('the HEALTHCHECK follows MOCK_ENTRA_TLS=false, and accepts the untrusted-tls scenario\'s certificate', async () => {
    const plain = await freePort();
    const c = await run(image, { env: { MOCK_ENTRA_PORT: String(plain), MOCK_ENTRA_TLS: 'false' }, volumes: { '/certs': certsVolume('env-tls') } });
    try {
      const h = await c.health();
      expect(h.status, h.output).toBe(0);
      expect(h.output).toContain(`http://127.0.0.1:${plain}`);
    } finally {
      await c.stop();
    }
    const untrusted = await freePort();
    const u = await run(image, { command: ['serve', '--scenario', '/scenarios/untrusted-tls.yaml'], env: { MOCK_ENTRA_PORT: String(untrusted) }, volumes: { '/certs': certsVolume('untrusted') } });
    try {
      const h = await u.health();
      expect(h.status, h.output).toBe(0);
    } finally {
      await u.stop();
    }
  });
});
