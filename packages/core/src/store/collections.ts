import type { z } from 'zod';
import { ApiKey, Group, User } from '../schemas/principal.js';
import { Project } from '../schemas/project.js';
import { Item, Model } from '../schemas/item.js';
import { Infrastructure } from '../schemas/infrastructure.js';
import { DeploymentRecord } from '../decision/schema.js';
import { WorkflowTemplate } from '../workflow/schema.js';
import { PendingProtectionRule } from '../schemas/github.js';
import { NotificationDelivery, OutboxEntry, ReviewTimer, Subscription, WebhookTarget } from '../notify/schema.js';

/**
 * Every collection the store holds, with the schema each record is validated against
 * on write and on read. Add a collection here and every adapter stores it.
 */
export const collections = {
  users: User,
  groups: Group,
  apiKeys: ApiKey,
  templates: WorkflowTemplate,
  projects: Project,
  models: Model,
  items: Item,
  infrastructures: Infrastructure,
  deployments: DeploymentRecord,
  /** GitHub deployment protection rules waiting for a final sign-off (the server's GitHub App). */
  pendingProtectionRules: PendingProtectionRule,
  /** Notifications waiting to be sent, written in the transaction of the change that caused them. */
  outbox: OutboxEntry,
  /** One message per outbox entry and recipient, with its delivery state (the delivery log). */
  notificationDeliveries: NotificationDelivery,
  /** Users' subscriptions to items and projects. */
  subscriptions: Subscription,
  /** Outbound webhook targets (chat, ITSM). */
  webhookTargets: WebhookTarget,
  /** Reminders and timeouts already fired for pending reviews. */
  reviewTimers: ReviewTimer,
} as const;

export type Collections = typeof collections;
export type CollectionName = keyof Collections;
export type Entity<C extends CollectionName> = z.infer<Collections[C]>;
export const collectionNames = Object.keys(collections) as CollectionName[];
