/**
 * Errors already in the sign-in log (held weakly: they go when their request and device code do):
 * a device polling gets the error its user already saw on the page, logged once (signins.ts, and
 * oidc/device.ts for an error that came back from the store as a new object).
 */
export const LOGGED = new WeakSet<object>();
