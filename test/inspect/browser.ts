import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { launchChromium } from './chromium.js';

/** The page's globals, as far as the callbacks run in it use them (the project compiles without the DOM library). */
export interface PageNode {
  textContent: string | null;
  className: string;
  dataset: Record<string, string | undefined>;
  open: boolean;
  options: ArrayLike<PageNode>;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageNode | null;
}
/** `document` as the page's callbacks use it; each test file declares `declare const document: PageDocument`. */
export interface PageDocument {
  cookie: string;
  body: PageNode;
  scripts: ArrayLike<PageNode>;
  querySelectorAll(selector: string): ArrayLike<PageNode>;
  querySelector(selector: string): PageNode | null;
  getElementById(id: string): PageNode;
}
declare const document: PageDocument;

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Every dialog the page opened (an injected alert would land here). */
  dialogs: string[];
  /** Every error the browser reported: console errors, CSP and Trusted Types violations, page errors. */
  errors: string[];
}

/**
 * One Chromium for a test file, and a fresh context (no cookies) per page; `open()` gives a page
 * that records dialogs and errors.
 */
export function useChromium(): { open(): Promise<OpenedPage> } {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async open() {
      const context = await browser!.newContext();
      contexts.push(context);
      const page = await context.newPage();
      const dialogs: string[] = [];
      const errors: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      return { context, page, dialogs, errors };
    },
  };
}

/** Opens the page at `url` (with its ?token=) and waits until its event stream is live. */
export async function openInspector(page: Page, url: string): Promise<void> {
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  await page.waitForSelector('#status.live', { timeout: 5_000 });
}

/**
 * Waits until the page lists `n` entries; resolves how long that took from `since`. The wait is
 * generous (a loaded CI machine runs Chromium, the bridge and the suite on two cores); a test that
 * promises a latency asserts the figure this returns.
 */
export async function entriesShown(page: Page, n: number, since: number, timeout = 5_000): Promise<number> {
  await page.waitForFunction((count) => document.querySelectorAll('#entries > li.entry').length === count, n, { timeout });
  return Date.now() - since;
}
