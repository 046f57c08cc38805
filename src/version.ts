/** mock-entra's own version: its package.json, one level above this module (dist/ or src/), not the working directory's. */
import { readFileSync } from 'node:fs';

export const MOCK_ENTRA_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
