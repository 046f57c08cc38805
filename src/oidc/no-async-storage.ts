/**
 * oidc-provider runs each of its requests inside an AsyncLocalStorage (lib/helpers/als.js) that only
 * its client ID metadata document feature reads, and the mock does not enable that feature. On
 * Node 20 and 22, an AsyncLocalStorage that has run once installs promise hooks for the whole
 * process: from the first authorize request on, every promise of every request (documents, tokens,
 * SAML) costs more; static documents measured 15 % slower (npm run bench). Here its `run` calls the
 * callback without entering the store. Should a later oidc-provider move the file, the import
 * fails quietly and only the cost comes back.
 */
try {
  const { default: als } = (await import('oidc-provider/lib/helpers/als.js' as string)) as { default: { run: (store: unknown, cb: (...a: unknown[]) => unknown, ...args: unknown[]) => unknown } };
  als.run = (_store, callback, ...args) => callback(...args);
} catch {
  // Not there in this oidc-provider: nothing to do.
}
