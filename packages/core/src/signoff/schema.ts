import { z } from 'zod';
import { Id, Timestamp } from '../schemas/common.js';
import { Assignee } from '../schemas/principal.js';

export const SignoffStatus = z.enum([
  'Not started',
  'Waiting for feedback',
  'Waiting for final approval',
  'Approved',
  'Rejected',
  'Abandoned',
]);
export type SignoffStatus = z.infer<typeof SignoffStatus>;

export const FeedbackStatus = z.enum(['Approved', 'Minor issues', 'Major issues']);
export type FeedbackStatus = z.infer<typeof FeedbackStatus>;

export const FinalStatus = z.enum(['Approved', 'Rejected']);
export type FinalStatus = z.infer<typeof FinalStatus>;

/** One feedback review. A reviewer may leave several in the same group. */
export const FeedbackReview = z.object({
  id: Id,
  groupId: Id,
  /** Principal id of the author (user or API key). */
  author: z.string(),
  authorKind: z.enum(['user', 'apiKey']),
  status: FeedbackStatus,
  comment: z.string().max(20_000).default(''),
  /** Set when the author reviews on behalf of someone through a delegation. */
  onBehalfOf: Assignee.optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type FeedbackReview = z.infer<typeof FeedbackReview>;

export const FinalApproval = z.object({
  author: z.string(),
  authorKind: z.enum(['user', 'apiKey']),
  status: FinalStatus,
  comment: z.string().max(20_000).default(''),
  onBehalfOf: Assignee.optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type FinalApproval = z.infer<typeof FinalApproval>;

/** A review handed to another user: for a feedback group or for the final approval. */
export const Delegation = z.object({
  id: Id,
  /** The feedback group id, or `final` for the final approval. */
  scope: z.union([Id, z.literal('final')]),
  from: z.string(),
  to: Id,
  at: Timestamp,
  comment: z.string().max(2000).default(''),
});
export type Delegation = z.infer<typeof Delegation>;

export const ResetSchedule = z.object({
  /** One-off reset at this time. */
  at: Timestamp.optional(),
  /** Recurring reset: ISO 8601 duration between resets (e.g. `P90D`), counted from `anchor`. */
  every: z.string().optional(),
  anchor: Timestamp.optional(),
  createdBy: z.string(),
  createdAt: Timestamp,
});
export type ResetSchedule = z.infer<typeof ResetSchedule>;

export const Signoff = z.object({
  status: SignoffStatus,
  /** Increments with every reset; reviews belong to the current round. */
  round: z.number().int().min(1),
  feedback: z.array(FeedbackReview).default([]),
  finalApproval: FinalApproval.optional(),
  delegations: z.array(Delegation).default([]),
  /** Assignees notified when feedback or final approval was requested (for "my reviews" and mail). */
  notified: z.array(Assignee).default([]),
  feedbackRequestedAt: Timestamp.optional(),
  finalApprovalRequestedAt: Timestamp.optional(),
  /** Status before abandon, restored by cancel abandon. */
  abandonedFrom: SignoffStatus.exclude(['Abandoned']).optional(),
  abandonedAt: Timestamp.optional(),
  abandonedBy: z.string().optional(),
  /** The digests an approval covers, fixed when the final approval was given. */
  approvedDigests: z.array(z.string()).optional(),
  approvedAt: Timestamp.optional(),
  resetSchedule: ResetSchedule.optional(),
  lastResetAt: Timestamp.optional(),
  updatedAt: Timestamp,
});
export type Signoff = z.infer<typeof Signoff>;
