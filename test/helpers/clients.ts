/**
 * Running the client guides' snippets (docs/clients/*.md) exactly as written: a fenced block
 * preceded by `<!-- tested: name -->` is taken from the Markdown, its fixed addresses (the mock at
 * https://localhost:8443, the app at http://localhost:3000) are pointed at this run's ports, and it
 * runs as its own process. A person's browser is played by `Visitor`: cookies per origin, redirects
 * followed across origins, the mock's sign-in page answered as a user would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_SCENARIO } from '../../src/index.js';
import { CookieJar } from './browserless.js';
import { ADA, WEB } from './ids.js';

/** The origins the guides are written for. */
export const DOC_MOCK = 'https://localhost:8443';
export const DOC_APP = 'http://localhost:3000';

/** The fenced block after `<!-- tested: name -->` in `doc` (a path from the repository root). */
export function snippet(doc: string, name: string): string {
  const text = readFileSync(resolve(doc), 'utf8');
  const marker = `<!-- tested: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${doc} has no '${marker}': mark the fenced block the test runs with it`);
  const block = /^\s*```[\w-]*\n([\s\S]*?)\n```/.exec(text.slice(at + marker.length));
  if (!block) throw new Error(`${doc}: '${marker}' is not followed by a fenced code block`);
  return block[1]!;
}

/**
 * `code` with each key of `subs` replaced by its value, written to test-results/clients/`file`.
 * Every key must occur: a guide that stops naming an address fails here instead of running unchanged.
 */
export function writeSnippet(file: string, code: string, subs: Record<string, string>): string {
  let out = code;
  for (const [from, to] of Object.entries(subs)) {
    if (!out.includes(from)) throw new Error(`the snippet for ${file} no longer contains '${from}'`);
    out = out.split(from).join(to);
  }
  // Inside the repository, so that `import 'express'` resolves to its node_modules.
  const path = resolve('test-results/clients', file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, out);
  return path;
}

/** A TCP port free on loopback right now, below the ephemeral range (one implementation, bench/lib.js). */
export { freePort } from '../../bench/lib.js';

export interface RunningApp {
  output(): string;
  /** Writes one line to its standard input. */
  type(line: string): void;
  stop(): Promise<void>;
}

/** Starts `cmd args` and resolves once its output matches `ready` (rejects with the output if it exits or takes over 15 s). */
export function startApp(cmd: string, args: string[], opts: { ready: RegExp; env?: NodeJS.ProcessEnv }): Promise<RunningApp> {
  return new Promise((done, fail) => {
    const child: ChildProcess = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let ready = false;
    const app: RunningApp = {
      output: () => out,
      type: (line) => child.stdin!.write(`${line}\n`),
      stop: () =>
        new Promise((stopped) => {
          if (child.exitCode !== null || child.signalCode !== null) return stopped();
          child.once('exit', () => stopped());
          child.kill('SIGTERM');
        }),
    };
    const timer = setTimeout(() => {
      void app.stop();
      fail(new Error(`${cmd} ${args.join(' ')} did not print ${String(opts.ready)} within 15 s:\n${out}`));
    }, 15_000);
    const read = (d: Buffer) => {
      out += d.toString();
      if (!ready && opts.ready.test(out)) {
        ready = true;
        clearTimeout(timer);
        done(app);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => {
      if (ready) return;
      clearTimeout(timer);
      fail(new Error(`${cmd} ${args.join(' ')} exited (${code}) before it was ready:\n${out}`));
    });
  });
}

export interface Page {
  url: URL;
  status: number;
  html: string;
  /** Every request, in order: method, URL and, for a POST, its form body. */
  trail: string[];
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** A browser without a window: cookies per origin, redirects followed everywhere, the sign-in page answered. */
export class Visitor {
  private readonly jars = new Map<string, CookieJar>();
  constructor(private readonly user: { upn: string; password: string } = ADA) {}

  private jar(url: URL): CookieJar {
    let jar = this.jars.get(url.origin);
    if (!jar) this.jars.set(url.origin, (jar = new CookieJar()));
    return jar;
  }

  /** GETs `start`, follows redirects, signs in on the mock's page and posts form_post answers on, until a page that is none of these. */
  /** `stopAt`: an origin where nothing listens (a script's redirect URI): the URL it was sent to is the answer. */
  async go(start: string, opts: { method?: string; body?: URLSearchParams; stopAt?: string } = {}): Promise<Page> {
    let url = new URL(start);
    let method = opts.method ?? 'GET';
    let body = opts.body;
    const trail: string[] = [];
    for (let hop = 0; hop < 20; hop++) {
      if (opts.stopAt && url.origin === opts.stopAt) return { url, status: 0, html: '', trail };
      trail.push(`${method} ${url.href}${body ? ` ${body.toString()}` : ''}`);
      const jar = this.jar(url);
      const res = await fetch(url, { method, body, redirect: 'manual', headers: { cookie: jar.header() }, signal: AbortSignal.timeout(10_000) });
      jar.store(res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        url = new URL(location, url);
        method = 'GET';
        body = undefined;
        continue;
      }
      const html = await res.text();
      const form = /<form[^>]*method="post"[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
      const fields = new URLSearchParams();
      for (const m of form?.[2]!.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"\/?>/g) ?? []) fields.set(unescape(m[1]!), unescape(m[2]!));
      if (form && /id="password"/.test(html)) {
        fields.set('password', this.user.password);
      } else if (form && /name="username"/.test(html) && /Pick an account|Sign in to your account/.test(html)) {
        fields.set('username', this.user.upn);
      } else if (!form || !/onload|\.submit\(\)/.test(html)) {
        return { url, status: res.status, html, trail };
      }
      // The sign-in page (account, then password) or an auto-submitting form_post page.
      url = new URL(unescape(form[1]!), url);
      method = 'POST';
      body = fields;
    }
    throw new Error(`more than 20 steps from ${start}:\n${trail.join('\n')}`);
  }
}

/**
 * A scenario file extending the default one, with more redirect URIs for sample-web (the apps under
 * test listen on this run's ports). A file, because a scenario built in code cannot extend another.
 */
export function withRedirectUris(name: string, ...uris: string[]): string {
  const dir = resolve('test-results/clients');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, `${name}.scenario.yaml`);
  const list = [WEB.redirectUri, ...uris].map((u) => `      - ${u}\n`).join('');
  writeFileSync(file, `extends: ${DEFAULT_SCENARIO}\napps:\n  - name: sample-web\n    redirectUris:\n${list}`);
  return file;
}
