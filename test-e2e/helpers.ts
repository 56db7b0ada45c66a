/**
 * End-to-end helpers: Debian's Chromium driven by playwright-core against a studio started
 * in-process (random loopback port, temp AI_ART_HOME). Screenshots go to test-artifacts/e2e.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createStudio, type Studio, type StudioOptions } from '../src/studio/server.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium); end-to-end tests skipped`;
export const ARTIFACTS = path.resolve(import.meta.dirname, '..', 'test-artifacts', 'e2e');

export interface Session {
  studio: Studio;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  home: string;
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function open(prefix: string, opts: StudioOptions = {}): Promise<Session> {
  const home = mkdtempSync(path.join(os.tmpdir(), `ai-art-e2e-${prefix}-`));
  const profile = mkdtempSync(path.join(os.tmpdir(), 'ai-art-e2e-chromium-'));
  const studio = await createStudio({ home: path.join(home, 'studio'), port: 0, abortGraceMs: 20000, ...opts });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ],
  });
  const browser = context.browser()!;
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  let n = 0;
  return {
    studio,
    browser,
    context,
    page,
    home,
    async shot(name) {
      const file = path.join(ARTIFACTS, `${prefix}-${String(++n).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      // A full-page screenshot resizes the viewport and back, and Chromium then scrolls by itself
      // during the next click (seen at the page's bottom): the click missed its button. Starting
      // from the top again avoids it.
      await page.evaluate(() => window.scrollTo(0, 0));
      return file;
    },
    async close() {
      await context.close().catch(() => undefined);
      await studio.close();
      rmSync(home, { recursive: true, force: true });
      rmSync(profile, { recursive: true, force: true });
      const real = errors.filter((e) => !/Failed to load resource/.test(e));
      if (real.length) throw new Error(`errors in the page: ${real.join(' | ')}`);
    },
  };
}
