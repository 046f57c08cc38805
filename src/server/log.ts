/** First middleware: Entra's request IDs on every response, and one log line per request. */
import type { Context, Next } from 'koa';
import { assignIds } from './context.js';

export type LogFormat = 'pretty' | 'json' | 'silent';

export interface RequestRecord {
  time: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  traceId: string;
  aadsts?: number;
}

export function requestLog(origin: string, format: LogFormat, onRecord?: (r: RequestRecord) => void) {
  return async (ctx: Context, next: Next) => {
    const started = performance.now();
    const ids = assignIds(ctx, origin);
    try {
      await next();
    } finally {
      const record: RequestRecord = {
        time: ids.at.toISOString(),
        method: ctx.method,
        path: ctx.path,
        status: ctx.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        traceId: ids.traceId,
        ...(ctx.state.aadsts ? { aadsts: ctx.state.aadsts as number } : {}),
      };
      onRecord?.(record);
      if (format === 'json') process.stdout.write(`${JSON.stringify(record)}\n`);
      else if (format === 'pretty') {
        const code = record.aadsts ? ` AADSTS${record.aadsts}` : '';
        process.stdout.write(`${record.time.slice(11, 23)} ${record.method} ${record.path} ${record.status}${code} ${record.ms}ms\n`);
      }
    }
  };
}
