/** Debian's chromium as the browser tests drive it (playwright-core; no browser download). */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/** Headless chromium with the project's flags and `args` (e.g. --host-resolver-rules); says what to install when it is missing. */
export async function launchChromium(args: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Chromium at ${CHROMIUM}: install it with 'apt-get install -y chromium' (Debian), or set CHROMIUM_PATH.`);
  return chromium.launch({ executablePath: CHROMIUM, timeout: 20_000, args: [...FLAGS, ...args] });
}
