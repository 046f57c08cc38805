// Types of what the tests use from bench/lib.js (test/store/nginx.test.ts reuses the bench's sign-in).
export interface BenchResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
export interface BenchClient {
  count: number;
  send(url: string, opts?: { method?: string; headers?: Record<string, string>; body?: string; timeout?: number }): Promise<BenchResponse>;
  close(): void;
}
/** Without `pool`, every request on a new connection. */
export function httpClient(opts?: { ca?: Buffer | string; pool?: number }): BenchClient;
/** authorize with login_hint (Ada) -> code -> redemption by the default scenario's web app; the token response. */
export function plainSignIn(client: BenchClient, base: string, tenantPath: string): Promise<{ id_token: string; access_token: string; [k: string]: unknown }>;
/** A TCP port free on 127.0.0.1 right now, below the ephemeral range (bench/lib.js says why). */
export function freePort(): Promise<number>;
/** Whether a Redis on the loopback port answers PING (one try, half a second at most). */
export function redisPing(port: number): Promise<boolean>;
