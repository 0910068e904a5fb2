/**
 * Hostile names and comments in a real browser: a project, an item and a review comment
 * carrying HTML and script payloads render as text and no script runs (no dialog, no flag set).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { systemPrincipal } from '@signoff/core';
import { checkA11y, launchBrowser, personPage, signIn } from './support/ui-browser.js';
import { startUiServer, type UiServer } from './support/ui-server.js';

const PAYLOAD = `<script>window.__xss=1;alert(1)</script><img src=x onerror="window.__xss=2;alert(2)"><svg onload="window.__xss=3">"'><a href="javascript:window.__xss=4">x</a>`;

describe('reviewer UI against script injection', () => {
  let server: UiServer;
  let browser: Browser;
  let page: Page;
  const dialogs: string[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startUiServer(), launchBrowser()]);
    page = (await personPage(browser, server.url)).page;
    page.removeAllListeners('dialog');
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function noScriptRan(): Promise<void> {
    expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
    expect(dialogs).toEqual([]);
  }

  it('renders hostile project, item and comment texts as text', async () => {
    await signIn(page, 'olivia');
    await page.goto('/projects/new');
    await page.getByLabel('Name', { exact: true }).fill(PAYLOAD);
    await page.getByLabel(/^Key/).fill('xss');
    await page.getByLabel('Description').fill(PAYLOAD);
    await page.locator('button', { hasText: 'Create' }).click();
    await page.waitForURL(/\/projects\/xss/);
    expect(await page.locator('h1').textContent()).toBe(PAYLOAD);
    await noScriptRan();

    // Reviewers: Olivia reviews in the Business group herself, to leave a hostile comment.
    const business = page.locator('.tile').filter({ has: page.locator('h3', { hasText: 'Business reviewers' }) });
    await business.locator('summary').click();
    await business.getByLabel('User, group or API key').selectOption({ label: 'Olivia Owner (olivia)' });
    await business.locator('button', { hasText: 'Add' }).click();
    await page.locator('summary', { hasText: 'Register a bundle or model version' }).click();
    await page.getByLabel('Name (bundle name or model name)').fill('evil');
    await page.getByLabel('Version', { exact: true }).fill('1');
    await page.locator('#i-desc').fill(PAYLOAD);
    await page.getByLabel('Images pinned by digest (one per line)').fill(`registry.example.com/evil@sha256:${'c'.repeat(64)}`);
    await page.locator('button', { hasText: 'Register' }).click();
    await page.getByRole('link', { name: 'evil@1', exact: true }).click();
    await page.waitForURL(/\/items\//);
    await noScriptRan();
    expect(await page.locator('dl.kv').textContent()).toContain(PAYLOAD);

    await page.locator('summary', { hasText: 'Request feedback' }).click();
    await page.locator('form', { has: page.locator('input[value="requestFeedback"]') }).locator('button').click();
    const tile = page.locator('.tile').filter({ has: page.locator('h3', { hasText: 'Business' }) });
    await tile.getByLabel('Major issues').check();
    await tile.getByLabel('Comment for Business').fill(PAYLOAD);
    await tile.locator('button', { hasText: 'Submit review' }).click();
    await expect.poll(() => page.locator('.msg.ok').count()).toBe(1);
    expect(await page.locator('blockquote').first().textContent()).toBe(PAYLOAD);
    // Step notes too.
    const dev = page.locator('ol.steps > li').first();
    await dev.getByLabel(/^Notes for/).fill(PAYLOAD);
    await dev.locator('button', { hasText: 'Save notes' }).click();
    await expect.poll(() => page.locator('.msg.ok').count()).toBe(1);

    for (const path of ['/', '/projects', '/projects/matrix', '/projects/xss', page.url()]) {
      await page.goto(path);
      await noScriptRan();
      expect(await page.locator('script:not([src])').count(), path).toBe(0);
      expect(await page.locator('main img, main a[href^="javascript:"], main svg[onload]').count(), path).toBe(0);
    }
    await checkA11y(page, 'item page with hostile texts');
  });

  it('is usable with the keyboard: the skip link comes first and focus is visible', async () => {
    await page.goto('/projects');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<{ text: string; outline: string }>('({ text: document.activeElement.textContent, outline: getComputedStyle(document.activeElement).outlineStyle })');
    expect(focused.text).toBe('Skip to content');
    expect(focused.outline).toBe('solid');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
  });

  it('works with JavaScript off and from the keyboard: sign in, create a project, abandon and cancel abandon a sign-off', async () => {
    const context = await browser.newContext({ baseURL: server.url, javaScriptEnabled: false });
    const p = await context.newPage();
    await signIn(p, 'olivia');
    await p.goto('/projects/new');
    await p.getByLabel('Name', { exact: true }).fill('No script project');
    await p.getByLabel(/^Key/).fill('noscript');
    await p.locator('button', { hasText: 'Create' }).click();
    await p.waitForURL(/\/projects\/noscript/);
    expect(await p.locator('.msg.ok').textContent()).toContain('Created.');
    // The sign-off panel's forms too: disclosure widgets are native <details>, the confirmation is
    // skipped without script, and Enter in a text field submits its form.
    const fraud = await server.service.getItem(systemPrincipal, 'fraud/fraud-model@3');
    if (!fraud.ok) throw new Error(fraud.error.message);
    await p.goto(`/items/${fraud.value.id}`);
    await p.locator('summary', { hasText: 'Abandon' }).focus();
    await p.keyboard.press('Enter');
    await p.getByLabel('Reason to abandon').focus();
    await p.keyboard.type('Retrain pending');
    await p.keyboard.press('Enter');
    await p.waitForURL(/done=abandon/);
    expect(await p.locator('#signoff h2').textContent()).toContain('Abandoned');
    await p.locator('button', { hasText: 'Cancel abandon' }).click();
    await p.waitForURL(/done=cancelAbandon/);
    expect(await p.locator('#signoff h2').textContent()).toContain('Waiting for final approval');
    expect(await p.locator('#group-review-business .reviews').textContent()).toContain('Precision at 1% FPR');
    await context.close();
  });
});
