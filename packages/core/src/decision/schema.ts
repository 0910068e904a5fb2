import { z } from 'zod';
import { Id, Timestamp } from '../schemas/common.js';
import { Policy } from '../schemas/infrastructure.js';
import { SignoffStatus } from '../signoff/schema.js';
import { ItemKind } from '../schemas/item.js';

export const Outcome = z.enum(['allow', 'warn', 'deny']);
export type Outcome = z.infer<typeof Outcome>;

/** Where a deployment goes. */
export const DeploymentTarget = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('kubernetes'),
    namespace: z.string(),
    name: z.string(),
    resource: z.string(),
    operation: z.string().optional(),
    uid: z.string().optional(),
    /** Who asked the API server (AdmissionReview `userInfo.username`), not the webhook's own key. */
    requester: z.string().max(512).optional(),
  }),
  z.object({
    kind: z.literal('github'),
    repository: z.string(),
    environment: z.string().optional(),
    runId: z.string().optional(),
    sha: z.string().optional(),
  }),
  z.object({ kind: z.literal('other'), description: z.string() }),
]);
export type DeploymentTarget = z.infer<typeof DeploymentTarget>;

/** What the enforcement point saw, handed to the pure decision. */
export const DecisionRequest = z.object({
  /** Item reference: id or `project/name@version`. */
  item: z.string().min(1).max(300).optional(),
  /**
   * What the workload runs, as written by the deployer: image references (pinned or not),
   * storage URIs, or bare `sha256:` digests.
   */
  artifacts: z.array(z.string().min(1).max(1024)).max(200).default([]),
  confirmation: z.object({ reason: z.string().min(1).max(1000) }).optional(),
  dryRun: z.boolean().default(false),
});
export type DecisionRequest = z.infer<typeof DecisionRequest>;

export const ArtifactVerdict = z.object({
  artifact: z.string(),
  /** `sha256:…`/`uri:…` key, absent for an image not pinned by digest. */
  key: z.string().optional(),
  covered: z.boolean(),
  pinned: z.boolean(),
});
export type ArtifactVerdict = z.infer<typeof ArtifactVerdict>;

export const Decision = z.object({
  outcome: Outcome,
  policy: Policy,
  infrastructureId: z.string(),
  /** Sign-off status of the matched item, or `Unmatched`. */
  signoffStatus: z.union([SignoffStatus, z.literal('Unmatched')]),
  approved: z.boolean(),
  item: z
    .object({ id: Id, kind: ItemKind, ref: z.string(), projectId: Id })
    .optional(),
  artifacts: z.array(ArtifactVerdict),
  /** Sentences a deployer can act on; shown verbatim by every enforcement point. */
  reasons: z.array(z.string()),
  /** True when a `warn` + `requireConfirmation` deploy was confirmed with a reason. */
  confirmed: z.boolean().default(false),
  reviewUrl: z.string().optional(),
  decidedAt: Timestamp,
});
export type Decision = z.infer<typeof Decision>;

export const DeploymentRecord = z.object({
  id: Id,
  itemId: Id.optional(),
  itemRef: z.string().optional(),
  infrastructureId: z.string(),
  target: DeploymentTarget,
  outcome: Outcome,
  policy: Policy,
  signoffStatus: z.union([SignoffStatus, z.literal('Unmatched')]),
  confirmation: z.object({ reason: z.string() }).optional(),
  artifacts: z.array(z.string()),
  actor: z.string(),
  at: Timestamp,
});
export type DeploymentRecord = z.infer<typeof DeploymentRecord>;
