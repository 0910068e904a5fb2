import { createHash } from 'node:crypto';
import type { AuditEventInput } from '../audit/schema.js';
import type { Item } from '../schemas/item.js';
import type { Project } from '../schemas/project.js';
import type { ApiKey, Group, User } from '../schemas/principal.js';
import type { Infrastructure } from '../schemas/infrastructure.js';
import type { Model } from '../schemas/item.js';
import type { DeploymentRecord } from '../decision/schema.js';
import type { WorkflowTemplate } from '../workflow/schema.js';
import type { FeedbackReview, Signoff } from '../signoff/schema.js';

/**
 * Valid records for tests (not exported from the package index). Every factory returns a
 * record that passes its collection's schema; pass overrides for what the test cares about.
 */

export const T0 = '2026-03-01T09:00:00.000Z';

/** 64 hex chars derived from a seed: stable fake digests. */
export function hex64(seed: string | number): string {
  return createHash('sha256').update(String(seed)).digest('hex');
}

export function testUser(n: number | string, overrides: Partial<User> = {}): User {
  return {
    id: `usr_${n}`,
    username: `user${n}`,
    displayName: `User ${n}`,
    roles: [],
    groups: [],
    disabled: false,
    createdAt: T0,
    ...overrides,
  };
}

export function testGroup(id: string, overrides: Partial<Group> = {}): Group {
  return { id, name: id, description: '', createdAt: T0, ...overrides };
}

export function testApiKey(n: number | string, overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: `key_${n}`,
    name: `key ${n}`,
    prefix: `pfx${String(n).padStart(6, '0')}`,
    secretHash: hex64(`secret${n}`),
    scopes: ['decisions:read'],
    createdBy: 'usr_admin',
    createdAt: T0,
    ...overrides,
  };
}

export function testTemplate(id = 'tpl_item', overrides: Partial<WorkflowTemplate> = {}): WorkflowTemplate {
  return {
    id,
    name: 'Standard bundle workflow',
    description: '',
    appliesTo: ['bundle', 'modelVersion'],
    steps: [
      { id: 'development', name: 'Development', description: '', fields: [], production: false },
      { id: 'review', name: 'Review', description: '', fields: [], signoff: { mandatory: true, separationOfDuties: true }, production: false },
      { id: 'signed-off', name: 'Signed-off', description: '', fields: [], production: false },
      { id: 'production', name: 'Production', description: '', fields: [], production: true },
    ],
    builtin: false,
    createdAt: T0,
    ...overrides,
  };
}

export function testProject(n: number | string, overrides: Partial<Project> = {}): Project {
  return {
    id: `prj_${n}`,
    key: `proj${n}`,
    name: `Project ${n}`,
    description: '',
    owner: 'usr_owner',
    links: [],
    workflow: {
      templateId: 'tpl_project',
      steps: [
        { id: 'exploration', status: 'Finished', notes: '', links: [], fields: {} },
        { id: 'qualification', status: 'Ongoing', notes: '', links: [], fields: {} },
      ],
    },
    qualification: { decision: 'Undecided', comments: '', plan: '' },
    reviewers: {
      feedbackGroups: [{ groupId: 'risk', assignees: [{ kind: 'user', id: 'usr_rita' }] }],
      finalApprovers: [{ kind: 'user', id: 'usr_fiona' }],
    },
    itemTemplates: { bundle: 'tpl_item', modelVersion: 'tpl_item' },
    createdBy: 'usr_owner',
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function review(i: number, seed: string): FeedbackReview {
  const groups = ['it-ops', 'risk', 'business'];
  return {
    id: `rev_${seed}_${i}`,
    groupId: groups[i % groups.length]!,
    author: `usr_reviewer${i}`,
    authorKind: 'user',
    status: i === 1 ? 'Minor issues' : 'Approved',
    comment: `Checked the ${groups[i % groups.length]} aspects of ${seed}; looks fine to me.`,
    createdAt: T0,
    updatedAt: T0,
  };
}

/** A sign-off in `Waiting for final approval` with `reviews` feedback reviews. */
export function testSignoff(seed: string, reviews = 3, overrides: Partial<Signoff> = {}): Signoff {
  return {
    status: 'Waiting for final approval',
    round: 1,
    feedback: Array.from({ length: reviews }, (_, i) => review(i, seed)),
    delegations: [],
    notified: [{ kind: 'group', id: 'risk' }],
    feedbackRequestedAt: T0,
    finalApprovalRequestedAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** A realistic bundle: three pinned images (three digests), a sign-off with three reviews. */
export function testItem(n: number | string, overrides: Partial<Item> = {}): Item {
  const images = [0, 1, 2].map((k) => `registry.example.com/team/app${k}@sha256:${hex64(`${n}/${k}`)}`);
  return {
    id: `itm_${n}`,
    kind: 'bundle',
    projectId: 'prj_1',
    name: `bundle${n}`,
    version: '1.0.0',
    description: `Bundle ${n}: the web tier, its migration job and the sidecar.`,
    artifacts: { images, storage: [] },
    digests: images.map((i) => `sha256:${i.split('@sha256:')[1]!}`),
    importance: 'High',
    links: [],
    workflow: {
      templateId: 'tpl_item',
      steps: [
        { id: 'development', status: 'Finished', notes: '', links: [], fields: {} },
        { id: 'review', status: 'Ongoing', notes: '', links: [], fields: {} },
        { id: 'signed-off', status: 'Not started', notes: '', links: [], fields: {} },
        { id: 'production', status: 'Not started', notes: '', links: [], fields: {} },
      ],
    },
    signoffs: { review: testSignoff(String(n)) },
    createdBy: 'usr_owner',
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function testModel(n: number | string, overrides: Partial<Model> = {}): Model {
  return { id: `mdl_${n}`, projectId: 'prj_1', name: `model${n}`, description: '', createdBy: 'usr_owner', createdAt: T0, updatedAt: T0, ...overrides };
}

export function testInfrastructure(id: string, overrides: Partial<Infrastructure> = {}): Infrastructure {
  return {
    id,
    name: id,
    description: '',
    policy: 'prevent',
    requireConfirmation: false,
    production: false,
    advanceWorkflowOnDeploy: false,
    namespaces: [`${id}-ns`],
    githubEnvironments: [],
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function testDeployment(n: number | string, overrides: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    id: `dep_${n}`,
    itemId: 'itm_1',
    infrastructureId: 'production',
    target: { kind: 'kubernetes', namespace: 'ml-prod', name: 'web', resource: 'deployments' },
    outcome: 'allow',
    policy: 'prevent',
    signoffStatus: 'Approved',
    artifacts: [],
    actor: 'key_1',
    at: T0,
    ...overrides,
  };
}

export function testAuditInput(subject: string, overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return { at: T0, actor: 'usr_1', actorKind: 'user', action: 'item.update', subject, change: { note: subject }, ...overrides };
}
