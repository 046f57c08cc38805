/** Follows an authorize URL the way a browser would (cookies, redirects), stopping at the app's redirect URI. */
export interface Followed {
  /** The URL the server finally sent the browser to (the app's redirect URI with code or error). */
  url: URL;
  cookies: Map<string, string>;
  /** The last HTML page, when the flow stopped at one (login page, error page, form_post). */
  html?: string;
  status: number;
}

export class CookieJar {
  readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  store(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** GETs `start` and follows redirects on the mock's origin; stops when a redirect leaves it or a page answers. */
export async function follow(start: string, opts: { jar?: CookieJar; origin?: string; method?: string; body?: URLSearchParams; maxHops?: number } = {}): Promise<Followed & { jar: CookieJar }> {
  const jar = opts.jar ?? new CookieJar();
  const origin = opts.origin ?? new URL(start).origin;
  let url = new URL(start);
  let method = opts.method ?? 'GET';
  let body: URLSearchParams | undefined = opts.body;
  for (let hop = 0; hop < (opts.maxHops ?? 10); hop++) {
    const res = await fetch(url, { method, body, redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url);
      method = 'GET';
      body = undefined;
      if (url.origin !== origin) return { url, cookies: jar.cookies, status: res.status, jar };
      continue;
    }
    return { url, cookies: jar.cookies, status: res.status, html: await res.text(), jar };
  }
  throw new Error(`too many redirects from ${start}`);
}
