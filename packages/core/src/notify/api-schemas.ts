import { z } from 'zod';
import { Id } from '../schemas/common.js';
import { NotificationDelivery, NotificationEventType, WebhookTarget } from './schema.js';

export const SubscriptionStatus = z.object({
  itemId: Id,
  userId: Id,
  subscribed: z.boolean(),
  /** `item`: a subscription or unsubscription of the item itself; `project`: through its project. */
  via: z.enum(['item', 'project', 'none']),
  /** Chosen by the user (UI, API, email link) rather than by an action of theirs. */
  explicit: z.boolean(),
});
export type SubscriptionStatus = z.infer<typeof SubscriptionStatus>;

export const CreateWebhookTargetInput = z.strictObject({
  id: Id.optional(),
  name: z.string().min(1).max(200),
  url: z.url({ protocol: /^https?$/ }).max(2000),
  events: z.array(NotificationEventType).max(50).optional(),
  enabled: z.boolean().optional(),
});
export type CreateWebhookTargetInput = z.infer<typeof CreateWebhookTargetInput>;

export const UpdateWebhookTargetInput = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  url: z.url({ protocol: /^https?$/ }).max(2000).optional(),
  events: z.array(NotificationEventType).max(50).optional(),
  enabled: z.boolean().optional(),
});
export type UpdateWebhookTargetInput = z.infer<typeof UpdateWebhookTargetInput>;

export const WebhookTargetResponse = WebhookTarget;
export const CreatedWebhookTargetResponse = z.object({
  target: WebhookTarget,
  /** The HMAC-SHA256 signing secret: shown once (it is derived from the server secret, never stored). */
  secret: z.string(),
});

export const ListDeliveriesQuery = z.strictObject({
  status: NotificationDelivery.shape.status.optional(),
  itemId: Id.optional(),
  channel: NotificationDelivery.shape.channel.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export type ListDeliveriesQuery = z.infer<typeof ListDeliveriesQuery>;

export const WebhookTargetParams = z.object({ id: Id });
export const UnsubscribeTokenInput = z.object({ token: z.string().min(1).max(1000) });
