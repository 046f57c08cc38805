/**
 * Raw HTTP for the fuzz suite: node:http with the path string exactly as generated (fetch and
 * the URL class would normalise invalid percent-encoding away), one connection per request (no
 * keep-alive races after the server closes a socket), and a hard timeout so a hang is a failure.
 */
import http from 'node:http';

export interface FuzzRequest {
  /** What generated it: a route name of ROUTES, or 'admin', 'unknown', 'wrong-method'. */
  source: string;
  method: string;
  /** Path and query, sent as-is. */
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

export const REQUEST_TIMEOUT_MS = Number(process.env.FUZZ_TIMEOUT_MS ?? 5000);
/** Larger answers are cut off (and reported): an endless body must not eat the worker's memory. */
const MAX_ANSWER = 4 * 1024 * 1024;

export function send(port: number, req: FuzzRequest, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : Buffer.from(req.body);
    const headers: Record<string, string> = { ...req.headers };
    if (body !== undefined) headers['Content-Length'] = String(body.length);
    let r: http.ClientRequest;
    try {
      r = http.request({ host: 'localhost', port, method: req.method, path: req.path, headers, agent: false });
    } catch (err) {
      // Node refused to send it (a character it does not allow in a path or header): a generator bug.
      reject(new Error(`node:http refused the request itself: ${(err as Error).message}`));
      return;
    }
    const timer = setTimeout(() => r.destroy(new Error(`no complete answer within ${timeoutMs} ms (hang)`)), timeoutMs);
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER) {
          r.destroy(new Error(`answer larger than ${MAX_ANSWER} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    r.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    r.end(body);
  });
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

/** The request as a failure message shows it: enough to replay it with curl. */
export function describeRequest(req: FuzzRequest): string {
  const body =
    req.body === undefined
      ? '(none)'
      : typeof req.body === 'string'
        ? JSON.stringify(clip(req.body, 600))
        : `<${req.body.length} bytes, base64 ${clip(Buffer.from(req.body).toString('base64'), 600)}>`;
  return [
    `  generated for: ${req.source}`,
    `  ${req.method} ${clip(req.path, 800)}`,
    `  headers: ${JSON.stringify(Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, clip(v, 200)])))}`,
    `  body: ${body}`,
  ].join('\n');
}

export function describeAnswer(a: Answer): string {
  const keep = ['content-type', 'location', 'www-authenticate'];
  const hs = Object.fromEntries(Object.entries(a.headers).filter(([k]) => keep.includes(k)));
  return [`  status: ${a.status} (${a.ms} ms)`, `  headers: ${JSON.stringify(hs)}`, `  body (first 300): ${JSON.stringify(a.body.slice(0, 300))}`].join('\n');
}
