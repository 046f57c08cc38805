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
  /** The fault rule that fired on this request (its name, or id). */
  rule?: string;
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
        ...(ctx.state.fault ? { rule: (ctx.state.fault as { name?: string; id: string }).name ?? (ctx.state.fault as { id: string }).id } : {}),
      };
      onRecord?.(record);
      if (format === 'json') process.stdout.write(`${JSON.stringify(record)}\n`);
      else if (format === 'pretty') {
        const code = record.aadsts ? ` AADSTS${record.aadsts}` : '';
        const rule = record.rule ? ` [rule: ${record.rule}]` : '';
        process.stdout.write(`${record.time.slice(11, 23)} ${record.method} ${record.path} ${record.status}${code}${rule} ${record.ms}ms\n`);
      }
    }
  };
}
