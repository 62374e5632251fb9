import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: the e2e tests never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Starts headless Chromium the way every e2e test and the screenshot script need it.
 *
 * @example
 * ```ts
 * const browser = await launchChromium();
 * const page = await browser.newPage();
 * ```
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
