/**
 * The lifecycle across both GitHub enforcement points: the Action in deploy jobs, and the
 * server's GitHub App deployment protection rule answering through the (local, OpenAPI-checked)
 * GitHub API as the app installation.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGithubAppRouter, type GithubAppConfig, type GithubAppRouter } from '../packages/ui-lite/src/github-app/index.js';
import { startGithubApi, type GithubApiServer } from './support/action-github-api.js';
import { nodeBinaries, runAction, type ActionRun, type NodeBinary } from './support/action-run.js';
import { deliver, protectionRulePayload } from './support/action-webhooks.js';
import { SYSTEM, V1_DIGESTS, V2_DIGESTS, bringToFinalApproval, finalApproval, startActionWorld, type ActionWorld } from './support/action-world.js';

const node: NodeBinary = nodeBinaries()[0] as NodeBinary;
const SECRET = 'webhook-secret-for-tests';
const INSTALLATION = 4711;
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

let world: ActionWorld;
let gh: GithubApiServer;
let app: { url: string; router: GithubAppRouter; server: Server } | undefined;

async function startApp(): Promise<{ url: string; router: GithubAppRouter; server: Server }> {
  const config: GithubAppConfig = { appId: '123456', privateKey, webhookSecret: SECRET, apiUrl: gh.url, pollIntervalMs: 100 };
  const router = createGithubAppRouter({ service: world.service, clock: { now: () => new Date() }, logger: pino({ level: 'silent' }), config, store: world.server.store });
  const e = express();
  e.use('/github/', router);
  const server = createServer(e);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/github/webhook`, router, server };
}

async function stopApp(): Promise<void> {
  if (!app) return;
  const { router, server } = app;
  app = undefined;
  router.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

beforeAll(async () => {
  [world, gh] = await Promise.all([startActionWorld(), startGithubApi({ appPublicKey: publicKey })]);
  app = await startApp();
}, 120_000);

afterAll(async () => {
  await stopApp();
  await Promise.all([world?.close(), gh?.close()]);
});

const deploy = (environment: string, item: string, digests: string[], env: Record<string, string> = {}): Promise<ActionRun> =>
  runAction({
    node: node.path,
    inputs: { 'server-url': world.server.url, 'api-key': world.deployKey, 'github-token': 'ghs_jobtoken0000', environment, item, digests: digests.join('\n') },
    env: { GITHUB_API_URL: gh.url, ...env },
  });

const reviewsFor = (runId: number) => gh.protectionReviews.filter((r) => r.runId === String(runId));

async function until<T>(what: string, f: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('deploy jobs with the Action', () => {
  it('v1 (rejected) fails production, warns on staging, passes on development', async () => {
    const [prod, staging, dev] = await Promise.all([
      deploy('production', 'shop/web-bundle@v1', V1_DIGESTS),
      deploy('staging', 'shop/web-bundle@v1', V1_DIGESTS),
      deploy('development', 'shop/web-bundle@v1', V1_DIGESTS),
    ]);
    expect(prod.code).toBe(1);
    expect(prod.errors.join()).toContain('final approval is Rejected');
    expect(staging.code).toBe(0);
    expect(staging.warnings.join()).toContain('shop/web-bundle@v1');
    expect(dev.code).toBe(0);
    expect(dev.errors).toEqual([]);
    expect([prod, staging, dev].map((r) => r.outputs.decision)).toEqual(['deny', 'warn', 'allow']);
  });

  it('v2 (approved) passes production', async () => {
    const prod = await deploy('production', 'shop/web-bundle@v2', V2_DIGESTS);
    expect(prod.code, prod.stdout).toBe(0);
    expect(prod.outputs).toMatchObject({ decision: 'allow', 'signoff-status': 'Approved' });
    expect(prod.errors.concat(prod.warnings)).toEqual([]);
  });
});

describe('the deployment protection rule', () => {
  it('refuses a delivery whose signature does not match', async () => {
    const payload = protectionRulePayload({ repository: 'example/shop', environment: 'production', runId: 9001, sha: 'f'.repeat(40), installationId: INSTALLATION, apiUrl: gh.url });
    const res = await deliver(app!.url, 'another-secret', payload);
    expect(res.status).toBe(401);
    const unsigned = await deliver(app!.url, SECRET, payload, { signature: '' });
    expect(unsigned.status).toBe(401);
    expect(reviewsFor(9001)).toEqual([]);
  });

  it('answers rejected for v1 and approved for v2, as the installation, linking the review', async () => {
    const v1 = protectionRulePayload({ repository: 'example/shop', environment: 'production', runId: 101, sha: '1'.repeat(40), installationId: INSTALLATION, apiUrl: gh.url, deploymentPayload: { signoff: { item: 'shop/web-bundle@v1' } } });
    const v2 = protectionRulePayload({ repository: 'example/shop', environment: 'production', runId: 102, sha: '2'.repeat(40), installationId: INSTALLATION, apiUrl: gh.url, deploymentPayload: { signoff: { item: 'shop/web-bundle@v2' } } });
    const [r1, r2] = await Promise.all([deliver(app!.url, SECRET, v1), deliver(app!.url, SECRET, v2)]);
    expect(r1.status).toBe(200);
    expect(await r1.json()).toMatchObject({ state: 'rejected', answered: true });
    expect(await r2.json()).toMatchObject({ state: 'approved', answered: true });
    const [a1] = reviewsFor(101);
    const [a2] = reviewsFor(102);
    expect(a1?.body).toMatchObject({ environment_name: 'production', state: 'rejected' });
    expect(a1?.body.comment).toMatch(/shop\/web-bundle@v1.*\/items\//);
    expect(a2?.body).toMatchObject({ environment_name: 'production', state: 'approved' });
    // Authenticated as the installation: a token from the app JWT, then that token.
    expect(gh.byOperation('apps/create-installation-access-token').every((r) => r.params.installation_id === String(INSTALLATION))).toBe(true);
    expect(gh.byOperation('actions/review-custom-gates-for-run').every((r) => /^token ghs_test\d+$/.test(r.authorization ?? ''))).toBe(true);
    // Both attempts are in the deployment registry with the run.
    const deps = await world.service.listDeployments(SYSTEM, { infrastructureId: 'production' });
    const runs = deps.ok ? deps.value.filter((d) => d.target.kind === 'github' && ['101', '102'].includes(d.target.runId ?? '')) : [];
    expect(runs.map((d) => d.outcome).sort()).toEqual(['allow', 'deny']);
  });

  it('keeps a deployment pending through a restart and approves it when its approval arrives', async () => {
    // The build job registers v5 from commit SHA; the workflow-created deployment names no item.
    const sha = '5'.repeat(40);
    const digest = `registry.example.com/shop/web@sha256:${'5'.repeat(64)}`;
    const reg = await runAction({
      node: node.path,
      inputs: { mode: 'register', 'server-url': world.server.url, 'api-key': world.buildKey, item: 'shop/web-bundle@v5', digests: digest },
      env: { GITHUB_SHA: sha },
    });
    expect(reg.code, reg.stdout).toBe(0);
    const itemId = reg.outputs['item-id'] ?? '';
    await bringToFinalApproval(world, itemId);

    const payload = protectionRulePayload({ repository: 'example/shop', environment: 'production', runId: 105, sha, installationId: INSTALLATION, apiUrl: gh.url });
    const res = await deliver(app!.url, SECRET, payload);
    expect(await res.json()).toMatchObject({ state: 'pending', answered: false });
    expect(reviewsFor(105)).toEqual([]);
    const stored = await world.server.store.list('pendingProtectionRules');
    expect(stored.map((r) => [r.runId, r.environment, r.lastStatus, r.itemId])).toEqual([['105', 'production', 'Waiting for final approval', itemId]]);

    // Restart the app: a fresh router over the same store.
    await stopApp();
    app = await startApp();
    await new Promise((r) => setTimeout(r, 300));
    expect(reviewsFor(105)).toEqual([]);

    await finalApproval(world, itemId, 'Approved');
    const review = await until('the approval of run 105', () => reviewsFor(105)[0]);
    expect(review.body).toMatchObject({ environment_name: 'production', state: 'approved' });
    expect(review.body.comment).toContain(`/items/${itemId}`);
    for (let i = 0; i < 100 && (await world.server.store.list('pendingProtectionRules')).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await world.server.store.list('pendingProtectionRules')).toEqual([]);
    // Answered once only.
    await new Promise((r) => setTimeout(r, 300));
    expect(reviewsFor(105)).toHaveLength(1);
  });

  it('made no request GitHub would refuse', () => {
    expect(gh.byOperation('actions/review-custom-gates-for-run').length).toBeGreaterThanOrEqual(3);
    expect(gh.violations).toEqual([]);
  });
});
