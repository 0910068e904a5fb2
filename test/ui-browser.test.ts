/**
 * The seed tutorial walked by clicking in headless Chromium (Debian's /usr/bin/chromium via
 * playwright-core): sign-in, project, reviewers, qualification, sign-off of bundles v1 (rejected)
 * and v2 (approved), abandon / cancel abandon of a model version. axe-core runs on every page
 * visited and screenshots of the main pages go to test-results/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { checkA11y, launchBrowser, personPage, screenshot, signIn, signOut } from './support/ui-browser.js';
import { startUiServer, type UiServer } from './support/ui-server.js';

const V1 = `registry.example.com/uilife/web@sha256:${'a'.repeat(64)}`;
const V2 = `registry.example.com/uilife/web@sha256:${'b'.repeat(64)}`;

const step = (page: Page, name: string): Locator => page.locator('ol.steps > li').filter({ has: page.locator('h3', { hasText: name }) });
const tile = (page: Page, heading: string): Locator => page.locator('.tile').filter({ has: page.locator('h3', { hasText: heading }) });
const summary = (scope: Page | Locator, text: string) => scope.locator('summary', { hasText: text }).first();
const button = (scope: Page | Locator, text: string) => scope.locator('button', { hasText: text }).first();

describe('reviewer UI in a browser: the seed tutorial', () => {
  let server: UiServer;
  let browser: Browser;
  let olivia: Page;
  let bob: Page;
  let fiona: Page;
  const urls: Record<string, string> = {};

  beforeAll(async () => {
    [server, browser] = await Promise.all([startUiServer(), launchBrowser()]);
    olivia = (await personPage(browser, server.url)).page;
    bob = (await personPage(browser, server.url)).page;
    fiona = (await personPage(browser, server.url)).page;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function registerBundle(page: Page, version: string, image: string) {
    await page.goto(urls.project!);
    await summary(page, 'Register a bundle or model version').click();
    await page.getByLabel('Kind').selectOption('bundle');
    await page.getByLabel('Name (bundle name or model name)').fill('web');
    await page.getByLabel('Version', { exact: true }).fill(version);
    await page.getByLabel('Importance').selectOption('High');
    await page.getByLabel('Images pinned by digest (one per line)').fill(image);
    await button(page, 'Register').click();
    await expect.poll(() => page.locator('.msg.ok').textContent()).toContain('Item registered.');
    await page.getByRole('link', { name: `web@${version}`, exact: true }).click();
    await page.waitForURL(/\/items\//);
    return page.url();
  }

  async function startReview(page: Page) {
    await button(step(page, 'Development'), 'Set as Finished').click();
    await expect.poll(() => step(page, 'Development').locator('.badge').first().textContent()).toBe('Finished');
    await button(step(page, 'Review'), 'Set as Ongoing').click();
    await expect.poll(() => step(page, 'Review').locator('.badge').first().textContent()).toBe('Ongoing');
  }

  it('Olivia signs in, creates the governed project and adds reviewers', async () => {
    await olivia.goto('/login');
    await checkA11y(olivia, 'sign-in');
    await screenshot(olivia, '01-sign-in');
    await signIn(olivia, 'olivia');
    await expect.poll(() => olivia.locator('h1').textContent()).toBe('My reviews');
    await checkA11y(olivia, 'my reviews');
    await olivia.getByRole('link', { name: 'Governed projects' }).click();
    await checkA11y(olivia, 'projects');
    await screenshot(olivia, '03-projects');
    await olivia.getByRole('link', { name: 'Create a governed project' }).click();
    await checkA11y(olivia, 'create project');
    await olivia.getByLabel('Name', { exact: true }).fill('UI Governance Lifecycle');
    await olivia.getByLabel(/^Key/).fill('uilife');
    await olivia.getByLabel('Description').fill('Walking the tutorial in a browser');
    await button(olivia, 'Create').click();
    await olivia.waitForURL(/\/projects\/uilife/);
    urls.project = olivia.url();
    await expect.poll(() => olivia.locator('h1').textContent()).toBe('UI Governance Lifecycle');

    const business = tile(olivia, 'Business reviewers');
    await summary(business, '+ Add to').click();
    await business.getByLabel('User, group or API key').selectOption({ label: 'Bob (Business) (bob)' });
    await button(business, 'Add').click();
    await expect.poll(() => tile(olivia, 'Business reviewers').textContent()).toContain('Bob (Business) (bob)');
    const finals = tile(olivia, 'Final approvers');
    await summary(finals, '+ Add to').click();
    await finals.getByLabel('User, group or API key').selectOption({ label: 'Fiona Final (fiona)' });
    await button(finals, 'Add').click();
    await expect.poll(() => tile(olivia, 'Final approvers').textContent()).toContain('Fiona Final (fiona)');
    await expect.poll(() => olivia.locator('.msg.ok').textContent()).toContain('Reviewers saved.');
  });

  it('Olivia walks Exploration and Qualification and qualifies the project Go', async () => {
    await button(step(olivia, 'Exploration'), 'Set as Ongoing').click();
    await expect.poll(() => step(olivia, 'Exploration').locator('.badge').first().textContent()).toBe('Ongoing');
    await step(olivia, 'Exploration').getByLabel('Notes for Exploration').fill('We need to start researching the risk, value, cost, and feasibility of this project.');
    await button(step(olivia, 'Exploration'), 'Set as Finished').click();
    await expect.poll(() => step(olivia, 'Exploration').locator('.badge').first().textContent()).toBe('Finished');
    await button(step(olivia, 'Qualification'), 'Set as Ongoing').click();
    await expect.poll(() => step(olivia, 'Qualification').locator('.badge').first().textContent()).toBe('Ongoing');
    await olivia.getByLabel('Value (1–5)').selectOption('4');
    await olivia.getByLabel('Risk (1–5)').selectOption('2');
    await olivia.getByLabel('Feasibility (1–5)').selectOption('5');
    await olivia.getByLabel('Resulting decision').selectOption('Go');
    await olivia.getByLabel('Plan', { exact: true }).fill('Ship behind the gate');
    await button(olivia, 'Save qualification').click();
    await expect.poll(() => olivia.locator('.msg.ok').textContent()).toContain('Qualification saved.');
    await button(step(olivia, 'Qualification'), 'Set as Finished').click();
    await expect.poll(() => step(olivia, 'Qualification').locator('.badge').first().textContent()).toBe('Finished');
    await button(step(olivia, 'In Progress'), 'Set as Ongoing').click();
    await expect.poll(() => step(olivia, 'In Progress').locator('.badge').first().textContent()).toBe('Ongoing');
    await checkA11y(olivia, 'project page');
    await screenshot(olivia, '04-project');
    await olivia.goto('/projects/matrix');
    await expect.poll(() => olivia.locator('table').textContent()).toContain('UI Governance Lifecycle');
    expect(await olivia.locator('svg[role="group"] > title').textContent()).toBe('Governed projects by value and risk');
    // Filters narrow the chart; each dot is a labelled link (value, risk and the third mark, feasibility).
    await olivia.getByLabel('Name or key contains').fill('uilife');
    await olivia.locator('form[role="search"] button').click();
    await olivia.waitForURL(/q=uilife/);
    expect(await olivia.locator('svg a').count()).toBe(1);
    await checkA11y(olivia, 'matrix');
    await screenshot(olivia, '05-matrix');
    await olivia.getByRole('link', { name: 'UI Governance Lifecycle: value 4, risk 2, feasibility 5, decision Go' }).click();
    await olivia.waitForURL(/\/projects\/uilife$/);
  });

  it('Olivia registers bundle v1 and requests feedback from Bob', async () => {
    urls.v1 = await registerBundle(olivia, 'v1', V1);
    await startReview(olivia);
    // The Review step cannot finish before the final approval, and says why.
    expect(await button(step(olivia, 'Review'), 'Set as Finished').isDisabled()).toBe(true);
    await summary(olivia, 'Request feedback').click();
    await olivia.getByLabel('Bob (Business) (bob)').check();
    await button(olivia.locator('form', { has: olivia.locator('input[value="requestFeedback"]') }), 'Request feedback').click();
    await expect.poll(() => olivia.locator('#signoff h2').textContent()).toContain('Waiting for feedback');
    await checkA11y(olivia, 'item page');
    await screenshot(olivia, '06-item-waiting-for-feedback');
  });

  it('Bob finds the request in My reviews and gives his feedback', async () => {
    await signIn(bob, 'bob');
    const row = bob.locator('section', { has: bob.locator('h2', { hasText: 'Feedback requested of me' }) }).locator('tr', { hasText: 'uilife/web@v1' });
    await expect.poll(() => row.count()).toBe(1);
    expect(Number(await bob.locator('header .count').textContent())).toBeGreaterThanOrEqual(1);
    await screenshot(bob, '02-my-reviews');
    await checkA11y(bob, 'my reviews with requests');
    await row.getByRole('link').click();
    const business = tile(bob, 'Business');
    await business.getByLabel('Approved').check();
    await business.getByLabel('Comment for Business').fill('LGTM');
    await button(business, 'Submit review').click();
    await expect.poll(() => bob.locator('.msg.ok').textContent()).toContain('Review submitted.');
    await expect.poll(() => tile(bob, 'Business').locator('.reviews').textContent()).toContain('LGTM');
    expect(await tile(bob, 'Business').locator('.reviews').textContent()).toContain('Approved by Bob (Business)');
    // Bob is neither owner nor final approver: no such actions are offered to him.
    expect(await bob.locator('input[value="requestFinalApproval"], input[value="finalApproval"], input[value="abandon"]').count()).toBe(0);
    await checkA11y(bob, 'item page as reviewer');
  });

  it('Olivia requests the final approval; Fiona rejects v1; the Review step cannot finish', async () => {
    await olivia.goto(urls.v1!);
    await summary(olivia, 'Request final approval').click();
    await olivia.getByLabel('Fiona Final (fiona)').check();
    await button(olivia.locator('form', { has: olivia.locator('input[value="requestFinalApproval"]') }), 'Request final approval').click();
    await expect.poll(() => olivia.locator('#signoff h2').textContent()).toContain('Waiting for final approval');
    // Separation of duties: Olivia created v1, so she is offered no final approval.
    expect(await olivia.locator('input[value="finalApproval"]').count()).toBe(0);

    await signIn(fiona, 'fiona');
    const row = fiona.locator('section', { has: fiona.locator('h2', { hasText: 'Final approvals requested of me' }) }).locator('tr', { hasText: 'uilife/web@v1' });
    await row.getByRole('link').click();
    const final = tile(fiona, 'Final approval');
    await checkA11y(fiona, 'item page with the final approval form');
    await final.getByLabel('Rejected').check();
    await final.getByLabel('Final approval comment').fill('Fails to meet requirements');
    await button(final, 'Submit final review').click();
    await expect.poll(() => fiona.locator('#signoff h2').textContent()).toContain('Rejected');
    expect(await tile(fiona, 'Final approval').textContent()).toContain('Fails to meet requirements');

    await olivia.reload();
    const review = step(olivia, 'Review');
    expect(await button(review, 'Set as Finished').isDisabled()).toBe(true);
    expect(await review.locator('.msg.note').textContent()).toMatch(/Cannot finish Review: .+/);
    await screenshot(olivia, '07-item-rejected');
  });

  it('v2 is approved and its Review step finishes', async () => {
    urls.v2 = await registerBundle(olivia, 'v2', V2);
    await startReview(olivia);
    await summary(olivia, 'Request feedback').click();
    await olivia.getByLabel('Bob (Business) (bob)').check();
    await button(olivia.locator('form', { has: olivia.locator('input[value="requestFeedback"]') }), 'Request feedback').click();
    await expect.poll(() => olivia.locator('#signoff h2').textContent()).toContain('Waiting for feedback');
    await summary(olivia, 'Request final approval').click();
    await olivia.getByLabel('Fiona Final (fiona)').check();
    await button(olivia.locator('form', { has: olivia.locator('input[value="requestFinalApproval"]') }), 'Request final approval').click();
    await expect.poll(() => olivia.locator('#signoff h2').textContent()).toContain('Waiting for final approval');

    await fiona.goto(urls.v2);
    const final = tile(fiona, 'Final approval');
    await final.getByLabel('Approved').check();
    await button(final, 'Submit final review').click();
    await expect.poll(() => fiona.locator('#signoff h2').textContent()).toContain('Approved');

    await olivia.reload();
    const review = step(olivia, 'Review');
    expect(await button(review, 'Set as Finished').isDisabled()).toBe(false);
    await button(review, 'Set as Finished').click();
    await expect.poll(() => step(olivia, 'Review').locator('.badge').first().textContent()).toBe('Finished');
    await screenshot(olivia, '08-item-approved');
  });

  it('abandon and cancel abandon of a model version sign-off restores the reviews', async () => {
    await olivia.goto(urls.project!);
    await summary(olivia, 'Create a governed model').click();
    await olivia.getByLabel('Name of the new model').fill('churn');
    await button(olivia, 'Create model').click();
    await expect.poll(() => olivia.locator('.msg.ok').textContent()).toContain('Model created.');
    await summary(olivia, 'Register a bundle or model version').click();
    await olivia.getByLabel('Kind').selectOption('modelVersion');
    await olivia.getByLabel('Name (bundle name or model name)').fill('churn');
    await olivia.getByLabel('Version', { exact: true }).fill('1');
    await olivia.getByLabel(/^Storage URIs/).fill('s3://models/churn/1');
    await button(olivia, 'Register').click();
    await olivia.getByRole('link', { name: 'churn@1', exact: true }).click();
    await olivia.waitForURL(/\/items\//);
    urls.model = olivia.url();
    await startReview(olivia);
    await summary(olivia, 'Request feedback').click();
    await button(olivia.locator('form', { has: olivia.locator('input[value="requestFeedback"]') }), 'Request feedback').click();
    await expect.poll(() => olivia.locator('#signoff h2').textContent()).toContain('Waiting for feedback');

    await bob.goto(urls.model);
    const business = tile(bob, 'Business');
    await business.getByLabel('Minor issues').check();
    await business.getByLabel('Comment for Business').fill('Check the drift monitor');
    await button(business, 'Submit review').click();
    await expect.poll(() => tile(bob, 'Business').locator('.reviews').textContent()).toContain('Check the drift monitor');

    await olivia.reload();
    await summary(olivia, 'Abandon').click();
    await olivia.getByLabel('Reason to abandon').fill('Superseded by a retrain');
    await button(olivia, 'Abandon sign-off').click();
    await expect.poll(() => olivia.locator('#signoff h2').textContent()).toContain('Abandoned');
    await screenshot(olivia, '09-item-abandoned');
    await button(olivia, 'Cancel abandon').click();
    await expect.poll(() => olivia.locator('.msg.ok').textContent()).toContain('Abandon cancelled');
    expect(await olivia.locator('#signoff h2').textContent()).toContain('Waiting for feedback');
    expect(await tile(olivia, 'Business').locator('.reviews').textContent()).toContain('Check the drift monitor');
    await checkA11y(olivia, 'model version page');
  });

  it('the administrator pages: infrastructures, deployments, audit with verify, and the 404 page', async () => {
    await signOut(olivia);
    await signIn(olivia, 'admin');
    await olivia.getByRole('link', { name: 'Infrastructures' }).click();
    expect(await olivia.locator('#infra-production').textContent()).toContain('prevent');
    await checkA11y(olivia, 'infrastructures');
    await screenshot(olivia, '10-infrastructures');
    await olivia.getByRole('link', { name: 'Deployments', exact: true }).click();
    await checkA11y(olivia, 'deployments');
    await screenshot(olivia, '11-deployments');
    await olivia.getByRole('link', { name: 'Audit log' }).click();
    await button(olivia, 'Verify the chain').click();
    await expect.poll(() => olivia.locator('.msg.ok').textContent()).toContain('Chain intact');
    await checkA11y(olivia, 'audit');
    await screenshot(olivia, '12-audit');
    await olivia.goto('/nowhere');
    expect(await olivia.locator('h1').textContent()).toBe('Page not found');
    await checkA11y(olivia, '404');
  });
});
