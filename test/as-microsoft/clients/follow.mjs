// The browser's part of a sign-in, done with fetch: follows the authorize redirects (carrying
// cookies) until one goes to the app's redirect URI, and returns that URL. login_hint signs the
// user in without a page. At most 10 hops. `cookies` (name -> value) is the browser's jar: it keeps the session.
export async function followToRedirectUri(start, redirectUri, cookies = new Map()) {
  let url = new URL(start);
  for (let hop = 0; hop < 10 && !url.href.startsWith(redirectUri); hop++) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
    const location = res.headers.get('location');
    if (!location) throw new Error(`authorize stopped at ${url.href} with HTTP ${res.status}`);
    url = new URL(location, url);
  }
  return url;
}
