import { z } from 'zod';
import { Id, Timestamp } from '../schemas/common.js';
import { Assignee, type Principal } from '../schemas/principal.js';
import { FeedbackStatus, FinalStatus } from './schema.js';
import type { SignoffReviewers } from '../schemas/project.js';
import type { FeedbackGroupDefinition } from '../workflow/schema.js';

const comment = z.string().max(20_000).default('');

/** Every sign-off action of DESIGN.md, as data. Ids of new records are chosen by the caller. */
export const SignoffAction = z.discriminatedUnion('type', [
  z.object({ type: z.literal('requestFeedback'), notify: z.array(Assignee).default([]) }),
  z.object({
    type: z.literal('submitFeedback'),
    reviewId: Id,
    groupId: Id,
    status: FeedbackStatus,
    comment,
  }),
  z.object({
    type: z.literal('editFeedback'),
    reviewId: Id,
    status: FeedbackStatus.optional(),
    comment: z.string().max(20_000).optional(),
  }),
  z.object({ type: z.literal('deleteFeedback'), reviewId: Id }),
  z.object({
    type: z.literal('delegate'),
    delegationId: Id,
    /** Feedback group id, or `final`. */
    scope: z.union([Id, z.literal('final')]),
    to: Id,
    comment: z.string().max(2000).default(''),
  }),
  z.object({ type: z.literal('requestFinalApproval'), notify: z.array(Assignee).default([]) }),
  z.object({ type: z.literal('backToFeedback') }),
  z.object({ type: z.literal('finalApproval'), status: FinalStatus, comment }),
  z.object({
    type: z.literal('editFinalApproval'),
    status: FinalStatus.optional(),
    comment: z.string().max(20_000).optional(),
  }),
  z.object({ type: z.literal('abandon'), comment }),
  z.object({ type: z.literal('cancelAbandon') }),
  z.object({ type: z.literal('reset'), comment }),
  z.object({
    type: z.literal('scheduleReset'),
    at: Timestamp.optional(),
    /** ISO 8601 duration for recurring resets, e.g. `P90D`. */
    every: z.string().optional(),
  }),
  z.object({ type: z.literal('cancelScheduledReset') }),
  /** Fired by the scheduler when a scheduled or recurring reset is due. */
  z.object({ type: z.literal('expire') }),
]);
export type SignoffAction = z.infer<typeof SignoffAction>;
export type SignoffActionType = SignoffAction['type'];

/** Everything `transition()` needs besides the sign-off itself. */
export interface TransitionContext {
  actor: Principal;
  /** ISO timestamp from the injected clock. */
  now: string;
  /** Principal id that created the item (separation of duties). */
  creator: string;
  /** The item's current digests; bound to the approval when it is given. */
  digests: readonly string[];
  /** Feedback groups of this sign-off (template definition, with quorum). */
  feedbackGroups: readonly FeedbackGroupDefinition[];
  separationOfDuties: boolean;
  /** Who is assigned, from the governed project. */
  reviewers: SignoffReviewers;
  /** Owners and admins may run workflow actions (request, abandon, reset, schedule). */
  actorIsOwner: boolean;
  actorIsAdmin: boolean;
}
