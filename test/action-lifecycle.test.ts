/**
 * The lifecycle across both GitHub enforcement points: the Action in deploy jobs (on this Node and
 * on Node 24), and the server's GitHub App mode (the real app, `/github/webhook`) answering its
 * deployment protection rule through the (local, OpenAPI-checked) GitHub API as the app installation.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGithubApi, type GithubApiServer } from './support/action-github-api.js';
import { nodeBinaries, runAction, type ActionRun, type NodeBinary } from './support/action-run.js';
import { deliver, protectionRulePayload } from './support/action-webhooks.js';
import { SYSTEM, V1_DIGESTS, V2_DIGESTS, bringToFinalApproval, finalApproval, startActionWorld, type ActionWorld } from './support/action-world.js';

const nodes: NodeBinary[] = nodeBinaries();
const node: NodeBinary = nodes[0] as NodeBinary;
const SECRET = 'webhook-secret-for-tests';
const INSTALLATION = 4711;
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

let world: ActionWorld;
let gh: GithubApiServer;
let hook: string;

beforeAll(async () => {
  gh = await startGithubApi({ appPublicKey: publicKey });
  world = await startActionWorld({ githubApp: { appId: '123456', privateKey, webhookSecret: SECRET, apiUrl: gh.url, pollIntervalMs: 100 } });
  hook = `${world.server.url}/github/webhook`;
}, 120_000);

afterAll(async () => {
  await Promise.all([world?.close(), gh?.close()]);
});

const deploy = (on: NodeBinary, environment: string, item: string, digests: string[], env: Record<string, string> = {}): Promise<ActionRun> =>
  runAction({
    node: on.path,
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

describe.each(nodes)('deploy jobs with the Action on $label', (on) => {
  it('v1 (rejected) fails production, warns on staging, passes on development', async () => {
    const [prod, staging, dev] = await Promise.all([
      deploy(on, 'production', 'shop/web-bundle@v1', V1_DIGESTS),
      deploy(on, 'staging', 'shop/web-bundle@v1', V1_DIGESTS),
      deploy(on, 'development', 'shop/web-bundle@v1', V1_DIGESTS),
    ]);
    for (const r of [prod, staging, dev]) expect(r.stdout).toContain(`::debug::signoff action on node v${on.label.slice(4)}.`);
    expect(prod.code).toBe(1);
    expect(prod.errors.join()).toContain('final approval is Rejected');
    expect(staging.code).toBe(0);
    expect(staging.warnings.join()).toContain('shop/web-bundle@v1');
    expect(dev.code).toBe(0);
    expect(dev.errors).toEqual([]);
    expect([prod, staging, dev].map((r) => r.outputs.decision)).toEqual(['deny', 'warn', 'allow']);
  });

  it('v2 (approved) passes production', async () => {
    const prod = await deploy(on, 'production', 'shop/web-bundle@v2', V2_DIGESTS);
    expect(prod.code, prod.stdout).toBe(0);
    expect(prod.outputs).toMatchObject({ decision: 'allow', 'signoff-status': 'Approved' });
    expect(prod.errors.concat(prod.warnings)).toEqual([]);
  });
});

describe('the deployment protection rule', () => {
  it('refuses a delivery whose signature does not match', async () => {
    const payload = protectionRulePayload({ repository: 'example/shop', environment: 'production', runId: 9001, sha: 'f'.repeat(40), installationId: INSTALLATION, apiUrl: gh.url });
    const res = await deliver(hook, 'another-secret', payload);
    expect(res.status).toBe(401);
    const unsigned = await deliver(hook, SECRET, payload, { signature: '' });
    expect(unsigned.status).toBe(401);
    expect(reviewsFor(9001)).toEqual([]);
  });

  it('answers rejected for v1 and approved for v2, as the installation, linking the review', async () => {
    const v1 = protectionRulePayload({ repository: 'example/shop', environment: 'production', runId: 101, sha: '1'.repeat(40), installationId: INSTALLATION, apiUrl: gh.url, deploymentPayload: { signoff: { item: 'shop/web-bundle@v1' } } });
    const v2 = protectionRulePayload({ repository: 'example/shop', environment: 'production', runId: 102, sha: '2'.repeat(40), installationId: INSTALLATION, apiUrl: gh.url, deploymentPayload: { signoff: { item: 'shop/web-bundle@v2' } } });
    const [r1, r2] = await Promise.all([deliver(hook, SECRET, v1), deliver(hook, SECRET, v2)]);
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
    const res = await deliver(hook, SECRET, payload);
    expect(await res.json()).toMatchObject({ state: 'pending', answered: false });
    expect(reviewsFor(105)).toEqual([]);
    const stored = await world.server.store.list('pendingProtectionRules');
    expect(stored.map((r) => [r.runId, r.environment, r.lastStatus, r.itemId])).toEqual([['105', 'production', 'Waiting for final approval', itemId]]);

    // Restart the server's app: a fresh GitHub App mode over the same store.
    world.restartApp();
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
