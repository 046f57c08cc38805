/**
 * Imported before oidc-provider: drops two of its warnings that do not apply here. We run it on
 * Node 20 on purpose (supported by this project), and we hand it a pre-parsed body on purpose
 * (our body reader enforces limits and feeds the fault layer).
 */
const BENIGN = ['oidc-provider WARNING: Unsupported runtime', 'oidc-provider WARNING: already parsed request body'];
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && BENIGN.some((b) => (args[0] as string).startsWith(b))) return;
  warn(...args);
};
