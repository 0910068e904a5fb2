import { randomBytes } from 'node:crypto';
import type { Result } from '../result.js';
import type { Principal, User } from '../schemas/principal.js';
import type { Item } from '../schemas/item.js';
import type { Project } from '../schemas/project.js';
import type { Store } from '../store/types.js';
import type { Clock } from '../service/types.js';
import type { ScryptParams } from '../auth/password.js';
import { apiKeyFromToken } from '../auth/api-key.js';
import { principalFromUser, systemPrincipal } from '../auth/principal.js';
import { createGovernanceService, type GovernanceServiceInternals } from '../service/service.js';

/** Kubernetes namespace → infrastructure id of the demo world (the webhook's demo mode). */
export const DEMO_NAMESPACES: Readonly<Record<string, string>> = Object.freeze({
  'shop-dev': 'development',
  'ml-staging': 'staging',
  'ml-prod': 'production',
  'shop-prod': 'production',
});

const hex = (c: string) => c.repeat(64);
/** The digests of the demo items (they match the captured AdmissionReview fixtures). */
export const DEMO_IMAGES = {
  webV1: `registry.example.com/shop/web@sha256:${hex('1')}`,
  migrateV2: 'registry.example.com/shop/migrate@sha256:f9dd5b2b58fa538351ebd52919da1c655c87b195738d74934b8ea8629e76dc80',
  webV2: 'registry.example.com/shop/web@sha256:1739e79cd73b2c291b8f4158ca3df01c2e63e56826c69f1c82d1df3541e7abf2',
  envoyV2: 'registry.example.com/platform/envoy@sha256:3d7756922516b7c436c7349cca27846c4f6fa4cc766ec85b30e525611b3b6aca',
  postgres14: 'registry.example.com/shop/postgres@sha256:01bf57f388427ded1975b9eeb2e056a10890a7e7b3569adead050561737f6a98',
  fraudTrain3: 'registry.example.com/ml/fraud-train@sha256:ce7e39262c10438c4dad77e04c6f62006770ba36d0bea356e1fb45a88cf0536c',
} as const;
export const DEMO_MODEL_URI = 's3://models/fraud/v3';

export interface DemoWorldOptions {
  clock: Clock;
  /** `SIGNOFF_DEMO_PASSWORD`: every demo user's password; random per user when absent. */
  password?: string;
  /** `SIGNOFF_DEMO_API_KEY`: the bearer token of a demo key with decisions:read + deployments:write. */
  apiKeySecret?: string;
  /** Used when a store (not a service) is given. */
  publicUrl?: string;
  passwordParams?: ScryptParams;
}

export interface DemoWorld {
  /** False when the store already held the demo world (nothing was written). */
  loaded: boolean;
  /** Username → password, for the CLI to print (demo mode only). Empty when not loaded. */
  passwords: Record<string, string>;
  users: Record<string, User>;
  projects: Record<string, Project>;
  /** `project/name@version` → item. */
  items: Record<string, Item>;
  apiKey?: { id: string; token: string };
}

const DEMO_USERS = [
  { username: 'admin', displayName: 'Ada Admin', roles: ['admin'], groups: [] },
  { username: 'olivia', displayName: 'Olivia Owner', roles: [], groups: [] },
  { username: 'ivan', displayName: 'Ivan (IT & Operations)', roles: [], groups: ['it-operations'] },
  { username: 'rita', displayName: 'Rita (Risk & Compliance)', roles: [], groups: ['risk-compliance'] },
  { username: 'bob', displayName: 'Bob (Business)', roles: [], groups: ['business'] },
  { username: 'fiona', displayName: 'Fiona Final', roles: [], groups: [] },
] as const;

class DemoError extends Error {
  override readonly name = 'DemoError';
}

function must<T>(r: Result<T>, what: string): T {
  if (!r.ok) throw new DemoError(`demo world: ${what} failed: ${r.error.code} ${r.error.message}`);
  return r.value;
}

function isStore(x: GovernanceServiceInternals | Store): x is Store {
  return typeof (x as Store).transaction === 'function';
}

/**
 * Load the demo world of DESIGN.md by running the real service actions in the order people
 * would, so the audit log tells the story. Idempotent: a store that already holds project
 * `shop` is left alone.
 */
export async function loadDemoWorld(target: GovernanceServiceInternals | Store, options: DemoWorldOptions): Promise<DemoWorld> {
  const svc = isStore(target)
    ? createGovernanceService({ store: target, clock: options.clock, publicUrl: options.publicUrl ?? 'http://localhost:8080', ...(options.passwordParams ? { passwordParams: options.passwordParams } : {}) })
    : target;
  const system: Principal = systemPrincipal;
  const world: DemoWorld = { loaded: false, passwords: {}, users: {}, projects: {}, items: {} };
  if ((await svc.getProject(system, 'shop')).ok) return world;

  // People and groups.
  for (const g of [
    { id: 'it-operations', name: 'IT & Operations' },
    { id: 'risk-compliance', name: 'Risk & Compliance' },
    { id: 'business', name: 'Business' },
  ]) {
    const existing = must(await svc.listGroups(system), 'list groups');
    if (!existing.some((x) => x.id === g.id)) must(await svc.createGroup(system, g), `create group ${g.id}`);
  }
  const existingUsers = must(await svc.listUsers(system), 'list users');
  for (const u of DEMO_USERS) {
    const found = existingUsers.find((x) => x.username === u.username);
    if (found) {
      world.users[u.username] = found;
      continue;
    }
    const password = options.password ?? randomBytes(12).toString('base64url');
    world.users[u.username] = must(await svc.createUser(system, { username: u.username, displayName: u.displayName, email: `${u.username}@example.com`, password, roles: [...u.roles], groups: [...u.groups] }), `create user ${u.username}`);
    world.passwords[u.username] = password;
  }
  const as = (username: string): Principal => principalFromUser(world.users[username] as User);
  const admin = as('admin');
  const olivia = as('olivia');
  const fiona = as('fiona');
  const reviewer = { ivan: as('ivan'), rita: as('rita'), bob: as('bob') };
  const userId = (n: string) => (world.users[n] as User).id;

  // Infrastructures, by the administrator.
  must(await svc.createInfrastructure(admin, { id: 'development', name: 'Development', description: 'Developers deploy freely; deployments are still recorded.', policy: 'always', namespaces: ['shop-dev'], githubEnvironments: [{ repository: 'example/*', environment: 'development' }] } as never), 'create development');
  must(await svc.createInfrastructure(admin, { id: 'staging', name: 'Staging', description: 'Unapproved artifacts are admitted with a warning.', policy: 'warn', namespaces: ['ml-staging'], githubEnvironments: [{ repository: 'example/*', environment: 'staging' }] } as never), 'create staging');
  must(await svc.createInfrastructure(admin, { id: 'production', name: 'Production', description: 'Only approved artifacts; anything ungoverned is refused.', policy: 'prevent', unmatched: 'deny', production: true, advanceWorkflowOnDeploy: true, namespaces: ['ml-prod', 'shop-prod'], githubEnvironments: [{ repository: 'example/*', environment: 'production' }] } as never), 'create production');

  // Olivia sets up both projects: reviewers, qualification, workflow.
  const templates = must(await svc.listTemplates(admin), 'list templates');
  const reviewers = {
    feedbackGroups: [
      { groupId: 'it-operations', assignees: [{ kind: 'group' as const, id: 'it-operations' }] },
      { groupId: 'risk-compliance', assignees: [{ kind: 'group' as const, id: 'risk-compliance' }] },
      { groupId: 'business', assignees: [{ kind: 'group' as const, id: 'business' }] },
    ],
    finalApprovers: [{ kind: 'user' as const, id: userId('fiona') }],
  };
  for (const [key, name, description] of [
    ['shop', 'Web shop', 'The customer-facing web shop and its database.'],
    ['fraud', 'Fraud detection', 'Scores card payments for fraud; trained nightly.'],
  ] as const) {
    let p = must(await svc.createProject(olivia, { key, name, description }), `create project ${key}`);
    p = must(await svc.setReviewers(olivia, p.id, reviewers), `reviewers of ${key}`);
    const tpl = templates.find((t) => t.id === p.workflow.templateId);
    const stepIds = (tpl?.steps ?? []).map((st) => st.id);
    // Exploration and Qualification done (qualified Go), now In Progress.
    for (const [i, stepId] of stepIds.slice(0, 2).entries()) {
      p = must(await svc.updateStep(olivia, { kind: 'project', id: p.id }, stepId, { status: 'Ongoing', ...(i === 0 ? { notes: 'We need to start researching the risk, value, cost, and feasibility of this project.' } : {}) }), `start ${stepId}`) as Project;
      if (i === 1) p = must(await svc.setQualification(olivia, p.id, { value: 4, risk: 3, feasibility: 4, decision: 'Go', comments: 'Worth it; the risk is managed by the sign-off.', plan: 'Ship behind the production gate.' }), `qualify ${key}`);
      p = must(await svc.updateStep(olivia, { kind: 'project', id: p.id }, stepId, { status: 'Finished' }), `finish ${stepId}`) as Project;
    }
    const inProgress = stepIds[2];
    if (inProgress) p = must(await svc.updateStep(olivia, { kind: 'project', id: p.id }, inProgress, { status: 'Ongoing' }), 'start in progress') as Project;
    world.projects[key] = p;
  }
  const shop = world.projects.shop as Project;
  const fraud = world.projects.fraud as Project;

  const register = async (project: Project, name: string, version: string, artifacts: { images?: string[]; storage?: { uri: string }[] }, importance: 'Critical' | 'High' | 'Moderate' | 'Low', modelId?: string): Promise<Item> => {
    const item = must(await svc.registerItem(olivia, { kind: modelId ? 'modelVersion' : 'bundle', projectId: project.id, ...(modelId ? { modelId } : {}), name, version, artifacts, importance }), `register ${name}@${version}`);
    // Development is done; the Review step starts.
    const tpl = templates.find((t) => t.id === item.workflow.templateId);
    const steps = tpl?.steps ?? [];
    const reviewIdx = steps.findIndex((st) => st.signoff);
    let current = item;
    for (const [i, st] of steps.entries()) {
      if (i > reviewIdx) break;
      current = must(await svc.updateStep(olivia, { kind: 'item', id: item.id }, st.id, { status: 'Ongoing' }), `start ${st.id}`) as Item;
      if (i < reviewIdx) current = must(await svc.updateStep(olivia, { kind: 'item', id: item.id }, st.id, { status: 'Finished' }), `finish ${st.id}`) as Item;
    }
    world.items[`${project.key}/${name}@${version}`] = current;
    return current;
  };
  const act = async (actor: Principal, item: Item, action: Parameters<GovernanceServiceInternals['signoffAction']>[2], what: string): Promise<Item> => {
    const next = must(await svc.signoffAction(actor, item.id, action), what);
    const key = Object.entries(world.items).find(([, v]) => v.id === item.id)?.[0];
    if (key) world.items[key] = next;
    return next;
  };
  let n = 0;
  const rid = () => `rev_demo${++n}`;
  const notifyFinal = [{ kind: 'user' as const, id: userId('fiona') }];
  const feedbackRound = async (item: Item, reviews: [Principal, string, 'Approved' | 'Minor issues' | 'Major issues', string][]): Promise<Item> => {
    let it = await act(olivia, item, { type: 'requestFeedback', notify: reviewers.feedbackGroups.flatMap((g) => g.assignees) }, 'request feedback');
    for (const [who, groupId, status, comment] of reviews) it = await act(who, it, { type: 'submitFeedback', reviewId: rid(), groupId, status, comment }, `feedback by ${who.kind === 'user' ? who.username : who.id}`);
    return act(olivia, it, { type: 'requestFinalApproval', notify: notifyFinal }, 'request final approval');
  };
  const finishReview = async (item: Item): Promise<Item> => {
    const tpl = templates.find((t) => t.id === item.workflow.templateId);
    const review = tpl?.steps.find((st) => st.signoff);
    if (!review) return item;
    const done = must(await svc.updateStep(olivia, { kind: 'item', id: item.id }, review.id, { status: 'Finished' }), 'finish review') as Item;
    const key = Object.entries(world.items).find(([, v]) => v.id === item.id)?.[0];
    if (key) world.items[key] = done;
    return done;
  };

  // shop/web-bundle@v1: reviewed, then rejected by Fiona.
  let v1 = await register(shop, 'web-bundle', 'v1', { images: [DEMO_IMAGES.webV1] }, 'High');
  v1 = await feedbackRound(v1, [[reviewer.bob, 'business', 'Approved', 'LGTM']]);
  await act(fiona, v1, { type: 'finalApproval', status: 'Rejected', comment: 'Fails to meet requirements: no rollback plan for the migration.' }, 'reject v1');

  // shop/web-bundle@v2: all three groups approve, Fiona approves, the Review step is finished.
  let v2 = await register(shop, 'web-bundle', 'v2', { images: [DEMO_IMAGES.migrateV2, DEMO_IMAGES.webV2, DEMO_IMAGES.envoyV2] }, 'High');
  v2 = await feedbackRound(v2, [
    [reviewer.ivan, 'it-operations', 'Approved', 'Rollback tested in staging.'],
    [reviewer.rita, 'risk-compliance', 'Minor issues', 'Document the data retention of the new session store.'],
    [reviewer.bob, 'business', 'Approved', 'LGTM'],
  ]);
  v2 = await act(fiona, v2, { type: 'finalApproval', status: 'Approved', comment: 'Approved for production.' }, 'approve v2');
  await finishReview(v2);

  // shop/db-bundle@14: approved.
  let db = await register(shop, 'db-bundle', '14', { images: [DEMO_IMAGES.postgres14] }, 'Critical');
  db = await feedbackRound(db, [[reviewer.ivan, 'it-operations', 'Approved', 'Backups verified.']]);
  db = await act(fiona, db, { type: 'finalApproval', status: 'Approved', comment: '' }, 'approve db-bundle');
  await finishReview(db);

  // fraud/train-pipeline@3: approved.
  let train = await register(fraud, 'train-pipeline', '3', { images: [DEMO_IMAGES.fraudTrain3] }, 'Moderate');
  train = await feedbackRound(train, [[reviewer.rita, 'risk-compliance', 'Approved', 'Training data lineage documented.']]);
  train = await act(fiona, train, { type: 'finalApproval', status: 'Approved', comment: '' }, 'approve train-pipeline');
  await finishReview(train);

  // fraud/fraud-model@3: feedback given, waiting for Fiona's final approval.
  const model = must(await svc.createModel(olivia, { projectId: fraud.id, name: 'fraud-model', description: 'Gradient-boosted fraud scorer.' }), 'create model');
  const mv = await register(fraud, 'fraud-model', '3', { storage: [{ uri: DEMO_MODEL_URI }] }, 'Critical', model.id);
  await feedbackRound(mv, [
    [reviewer.rita, 'risk-compliance', 'Approved', 'Bias report reviewed.'],
    [reviewer.bob, 'business', 'Approved', 'Precision at 1% FPR is what we asked for.'],
  ]);

  if (options.apiKeySecret !== undefined) {
    const material = apiKeyFromToken(options.apiKeySecret);
    if (!material) throw new DemoError('demo world: SIGNOFF_DEMO_API_KEY must be 16 to 512 printable characters without spaces');
    const created = must(await svc.createApiKeyWithMaterial(admin, { name: 'demo deployer', scopes: ['decisions:read', 'deployments:write'] }, material), 'create demo API key');
    world.apiKey = { id: created.key.id, token: created.secret };
  }
  world.loaded = true;
  return world;
}
