import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPreviewServer, type PreviewServer } from '../../src/templates/preview-server.js';
import { listTemplateNames } from '../../src/templates/store.js';

/**
 * The preview page in a real browser: Debian's Chromium, driven by playwright-core. CI installs
 * it (.ci/run); where it is missing these tests are reported as skipped, with the reason in their
 * names, so a missing browser can never pass for a working page.
 */
const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const unavailable = available ? '' : ` [SKIPPED: ${CHROMIUM} is not installed; run apt-get install -y chromium]`;

const STARTERS = fileURLToPath(new URL('../../starter-templates', import.meta.url));

describe('template preview page in headless Chromium', () => {
  let browser: Browser | undefined;
  let server: PreviewServer | undefined;
  let dir = '';

  beforeAll(async () => {
    if (!available) return;
    dir = join(mkdtempSync(join(tmpdir(), 'mailengine-browser-')), 'templates');
    cpSync(STARTERS, dir, { recursive: true });
    server = await startPreviewServer({ dir, displayDir: 'templates', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Opens the page and collects every console error, page error and failed request. */
  async function open(): Promise<{ page: Page; errors: string[] }> {
    const page = await (browser as Browser).newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`page: ${err.message}`));
    page.on('requestfailed', (req) => {
      // The live-reload stream is cut when the page reloads or closes; that is not a failure.
      if (!req.url().endsWith('/events')) errors.push(`request: ${req.url()} ${req.failure()?.errorText}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) errors.push(`response: ${res.status()} ${res.url()}`);
    });
    await page.goto((server as PreviewServer).url, { waitUntil: 'load' });
    return { page, errors };
  }

  it.skipIf(!available)(`loads, lists every template, shows them rendered at both widths, and logs no console error${unavailable}`, async () => {
    const { page, errors } = await open();
    expect(await page.title()).toBe('Template preview · templates');
    expect(await page.locator('#template-list li').allTextContents()).toEqual(listTemplateNames(STARTERS));

    const desktop = page.frameLocator('iframe[title="welcome at desktop width"]');
    await desktop.locator('h1').waitFor();
    expect(await desktop.locator('h1').textContent()).toBe('Welcome aboard, Maya');
    const mobile = page.frameLocator('iframe[title="order-confirmation at mobile width"]');
    await mobile.locator('h1').waitFor();
    expect(await mobile.locator('h1').textContent()).toBe('Thanks for your order, Maya');

    // The layout's media query takes effect in the narrow frame only.
    // This runs in the browser; the project's TypeScript has no DOM types, hence the cast.
    type BrowserWindow = { getComputedStyle(element: unknown): { paddingLeft: string } };
    const padding = (frame: typeof desktop) => frame.locator('td.card').evaluate((el) => (globalThis as unknown as BrowserWindow).getComputedStyle(el).paddingLeft);
    expect(await padding(page.frameLocator('iframe[title="order-confirmation at desktop width"]'))).toBe('44px');
    expect(await padding(mobile)).toBe('20px');

    // Frames grow to fit their email instead of scrolling inside the page.
    await page.waitForFunction(`document.querySelector('iframe[title="order-confirmation at mobile width"]').getBoundingClientRect().height > 1000`);

    expect(await page.locator('#t-welcome .subject').textContent()).toBe('Welcome to Acme, Maya');
    expect(await page.locator('#t-welcome pre').textContent()).toContain('Thanks for signing up for Acme.');
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);

  it.skipIf(!available)(`jumping to a template (#t-<name>) shows its title whole, below the sticky header${unavailable}`, async () => {
    const { page, errors } = await open();
    // Let every frame take its final height first, so nothing moves after the jump.
    await page.waitForFunction(`[...document.querySelectorAll('iframe')].every((f) => f.getBoundingClientRect().height > 600)`);
    const position = (name: string) =>
      page.evaluate(`(() => {
        const header = document.querySelector('.top').getBoundingClientRect();
        const title = document.querySelector('#t-${name} h2').getBoundingClientRect();
        return { headerBottom: header.bottom, titleTop: title.top, titleBottom: title.bottom, scrollY: window.scrollY, viewport: window.innerHeight };
      })()`) as Promise<{ headerBottom: number; titleTop: number; titleBottom: number; scrollY: number; viewport: number }>;
    for (const name of ['invoice', 'order-confirmation', 'password-reset']) {
      await page.click(`nav a[href="#t-${name}"]`);
      await page.waitForFunction(`location.hash === '#t-${name}'`);
      const at = await position(name);
      expect(at.scrollY, name).toBeGreaterThan(0);
      expect(at.titleTop, name).toBeGreaterThanOrEqual(at.headerBottom);
      expect(at.titleBottom, name).toBeLessThanOrEqual(at.viewport);
    }
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);

  it.skipIf(!available)(`reloads on save, showing the change, and shows a template error on the page instead of failing${unavailable}`, async () => {
    const { page, errors } = await open();
    const file = join(dir, 'welcome', 'template.html');
    const original = readFileSync(file, 'utf8');

    let reloaded = page.waitForEvent('load');
    writeFileSync(file, original.replace('Welcome aboard, {{ userName }}', 'Good to have you, {{ userName }}'));
    await reloaded;
    const frame = page.frameLocator('iframe[title="welcome at desktop width"]');
    await frame.locator('h1').waitFor();
    expect(await frame.locator('h1').textContent()).toBe('Good to have you, Maya');

    reloaded = page.waitForEvent('load');
    writeFileSync(file, original.replace('Welcome aboard, {{ userName }}', 'Welcome aboard, {{ userName }'));
    await reloaded;
    expect(await page.locator('#t-welcome .problems').textContent()).toMatch(/templates\/welcome\/template\.html:6:\d+: expected variable end/);
    expect(await page.locator('#template-list a.broken').allTextContents()).toEqual(['welcome']);
    expect(await page.locator('iframe[title="invoice at desktop width"]').count()).toBe(1);

    writeFileSync(file, original);
    await page.close();
    expect(errors).toEqual([]);
  }, 60_000);
});
