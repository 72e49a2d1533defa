import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's package (apt-get install chromium); `npx playwright install` needs the network. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const SKIP_REASON = `skipped: ${CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)`;

/**
 * Headless, and kept off the network: no background requests, component updates, sync or
 * first-run work. Playwright gives every launch a fresh temporary profile (--user-data-dir) and
 * removes it on close.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}
