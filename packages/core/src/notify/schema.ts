import { z } from 'zod';
import { Id, Importance, Timestamp } from '../schemas/common.js';
import { Assignee } from '../schemas/principal.js';

/** Every notification the product sends, one per thing that happened. */
export const NotificationEventType = z.enum([
  'feedback.requested',
  'finalApproval.requested',
  'feedback.submitted',
  'finalApproval.submitted',
  'review.statusEdited',
  'review.delegated',
  'signoff.abandoned',
  'signoff.abandonCancelled',
  'signoff.reset',
  'signoff.resetScheduled',
  'approval.expired',
  'review.reminder',
  'review.overdue',
  'review.escalated',
  'deployment.refused',
  'deployment.confirmed',
]);
export type NotificationEventType = z.infer<typeof NotificationEventType>;

/** A user, group or role to tell directly (API keys get no mail; they are dropped at send time). */
export const NotificationTarget = Assignee;
export type NotificationTarget = z.infer<typeof NotificationTarget>;

/**
 * One outbox record, written in the same store transaction as the change that caused it.
 * Its `id` is stable: with the recipient it is the idempotency key of each message
 * (`<id>:user:<userId>`, `<id>:webhook:<targetId>`).
 */
export const OutboxEntry = z.object({
  id: z.string().min(1).max(100),
  type: NotificationEventType,
  at: Timestamp,
  /** Principal id of whoever caused it (`system` for the scheduler). */
  actor: z.string(),
  actorName: z.string(),
  itemId: Id,
  projectId: Id,
  /** `project/name@version`. */
  ref: z.string(),
  projectName: z.string(),
  stepId: z.string().optional(),
  /** One line: what happened. */
  summary: z.string().max(2000),
  details: z.array(z.tuple([z.string(), z.string().max(4000)])).default([]),
  /** Told directly, besides the subscribers of the item and its project. */
  direct: z.array(NotificationTarget).default([]),
  /** Whether the item's subscribers are told too. */
  subscribers: z.boolean().default(true),
  /** `pending` until the worker resolved its recipients and wrote one delivery per recipient. */
  status: z.enum(['pending', 'dispatched']),
  dispatchedAt: Timestamp.optional(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;

/** A user's subscription to an item or a project (which covers the project's items). */
export const Subscription = z.object({
  /** `<userId>:<item|project>:<subjectId>`. */
  id: z.string().min(1).max(200),
  userId: Id,
  subjectKind: z.enum(['item', 'project']),
  subjectId: Id,
  state: z.enum(['subscribed', 'unsubscribed']),
  /** `auto` when an action subscribed the user; `explicit` through the UI/API; `link` by an email's one-click link. */
  source: z.enum(['auto', 'explicit', 'link']),
  at: Timestamp,
});
export type Subscription = z.infer<typeof Subscription>;

export const subscriptionId = (userId: string, kind: 'item' | 'project', subjectId: string): string => `${userId}:${kind}:${subjectId}`;

/** An outbound webhook (chat, ITSM). Its signing secret is derived from the server secret, never stored. */
export const WebhookTarget = z.object({
  id: Id,
  name: z.string().min(1).max(200),
  url: z.url({ protocol: /^https?$/ }),
  /** Event types sent to this target; empty means every event. */
  events: z.array(NotificationEventType).default([]),
  enabled: z.boolean().default(true),
  createdBy: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type WebhookTarget = z.infer<typeof WebhookTarget>;

/** One message to one recipient (a user's mailbox or a webhook target), with its delivery state. */
export const NotificationDelivery = z.object({
  /** The idempotency key: `<entryId>:user:<userId>` or `<entryId>:webhook:<targetId>`. */
  id: z.string().min(1).max(300),
  entryId: z.string(),
  eventType: NotificationEventType,
  itemId: Id,
  ref: z.string(),
  channel: z.enum(['email', 'webhook']),
  /** User id or webhook target id. */
  recipient: z.string(),
  /** Email address or webhook URL at the time of resolution. */
  address: z.string().optional(),
  status: z.enum(['pending', 'sent', 'failed', 'skipped']),
  attempts: z.number().int().min(0),
  nextAttemptAt: Timestamp.optional(),
  lastError: z.string().max(2000).optional(),
  /** HTTP status of the last webhook attempt. */
  lastStatus: z.number().int().optional(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  sentAt: Timestamp.optional(),
});
export type NotificationDelivery = z.infer<typeof NotificationDelivery>;

/** What the scheduler did for one pending review stage (so a restart neither repeats nor misses it). */
export const ReviewTimer = z.object({
  /** `<itemId>:<stepId>:<round>:<feedback|final>:<requestedAt>`. */
  id: z.string().min(1).max(300),
  itemId: Id,
  stepId: Id,
  stage: z.enum(['feedback', 'final']),
  requestedAt: Timestamp,
  /** Reminders sent so far (the k-th is due at requestedAt + k × every). */
  reminders: z.number().int().min(0).default(0),
  lastReminderAt: Timestamp.optional(),
  timedOutAt: Timestamp.optional(),
});
export type ReviewTimer = z.infer<typeof ReviewTimer>;

/** What happens when a review stays pending too long (DataRobot's approval policies). */
export const ReviewTimeoutAction = z.enum(['remind', 'escalate', 'cancel']);
export type ReviewTimeoutAction = z.infer<typeof ReviewTimeoutAction>;

export const ReviewTimeout = z.object({
  /** Importance levels this rule applies to; absent: every level. */
  importance: z.array(Importance).optional(),
  /** ISO 8601 duration after the request, e.g. `P2D`. */
  after: z.string().regex(/^P/, 'must be an ISO 8601 duration such as P2D'),
  action: ReviewTimeoutAction,
  /** For `escalate`: the group whose members are asked for feedback. */
  escalateTo: Id.optional(),
});
export type ReviewTimeout = z.infer<typeof ReviewTimeout>;

/** Review timing of a sign-off: from the template's sign-off definition, else the server's defaults. */
export const ReviewTiming = z.object({
  /** Remind the pending reviewers this often (ISO 8601 duration, e.g. `P1D`). */
  reminderEvery: z.string().regex(/^P/, 'must be an ISO 8601 duration such as P1D').optional(),
  timeouts: z.array(ReviewTimeout).default([]),
});
export type ReviewTiming = z.infer<typeof ReviewTiming>;
