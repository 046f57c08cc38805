/** Opens the store a server is configured with: memory (the default), or Redis, loaded only then. */
import { MemoryStore } from './memory.js';
import { StoreError, type Store } from './types.js';

/** `undefined` or 'memory': the memory store; `redis://host:port/db`: Redis (rejects with StoreError when unreachable). */
export async function openStore(url: string | undefined, o: { certsDir: string }): Promise<Store> {
  if (url === undefined || url === '' || url === 'memory') return new MemoryStore();
  if (/^rediss?:/i.test(url)) return (await import('./redis.js')).openRedisStore(url, o);
  throw new StoreError(`--store ${url.replace(/\/\/[^@/]*@/, '//***@')}: give redis://host:port/db (e.g. redis://127.0.0.1:6379/0), or leave it out to keep everything in memory`);
}
