/*
 * Use cases of issue 7: subscriptions, the one-click unsubscribe, webhook targets, the
 * delivery log and the review timers (reminders and timeouts). Part of the governance service.
 */
import { err, ok, type Result, type SignoffError } from '../result.js';
import type { Assignee, Principal } from '../schemas/principal.js';
import type { Item } from '../schemas/item.js';
import type { Project } from '../schemas/project.js';
import type { SignoffAction } from '../signoff/actions.js';
import type { StepDefinition, WorkflowTemplate } from '../workflow/schema.js';
import type { Store, StoreReader, StoreTx } from '../store/types.js';
import type { Clock } from './types.js';
import { systemPrincipal } from '../auth/principal.js';
import { requireAdmin, requireRead } from './authorize.js';
import { validate } from './validate.js';
import type { IdGenerator } from './ids.js';
import * as ns from '../notify/api-schemas.js';
import { subscriptionId, type NotificationDelivery, type ReviewTimer, type ReviewTiming, type Subscription, type WebhookTarget } from '../notify/schema.js';
import { subscriptionState } from '../notify/dispatch.js';
import { verifyUnsubscribeToken, webhookTargetSecret } from '../notify/token.js';
import { dueTimers, pendingStages, reviewTimerId, timingFor, type PendingStage } from '../notify/timers.js';
import { FINAL_SCOPE } from '../principal/assignees.js';
import * as domain from './domain.js';

export interface NotificationUseCases {
  getSubscription(actor: Principal, itemId: string): Promise<Result<ns.SubscriptionStatus>>;
  /** Subscribe (true) or unsubscribe (false) the calling user to/from an item. */
  setSubscription(actor: Principal, itemId: string, subscribed: boolean): Promise<Result<ns.SubscriptionStatus>>;
  /** The one-click link of an email: no login, a signed token naming the user and the item. */
  unsubscribeWithToken(token: string): Promise<Result<ns.SubscriptionStatus & { ref: string }>>;
  listWebhookTargets(actor: Principal): Promise<Result<WebhookTarget[]>>;
  createWebhookTarget(actor: Principal, input: ns.CreateWebhookTargetInput): Promise<Result<{ target: WebhookTarget; secret: string }>>;
  updateWebhookTarget(actor: Principal, id: string, input: ns.UpdateWebhookTargetInput): Promise<Result<WebhookTarget>>;
  deleteWebhookTarget(actor: Principal, id: string): Promise<Result<{ id: string }>>;
  listNotificationDeliveries(actor: Principal, query?: ns.ListDeliveriesQuery): Promise<Result<NotificationDelivery[]>>;
}

export interface NotificationInternals {
  /** Sends due review reminders and applies due review timeouts against the clock; returns the items touched. */
  runReviewTimers(defaults?: ReviewTiming): Promise<Result<string[]>>;
}

export interface NotificationDeps {
  store: Store;
  clock: Clock;
  newId: IdGenerator;
  /** Key of unsubscribe tokens and webhook secrets; without it, those use cases answer UNAVAILABLE. */
  secret?: string | Buffer;
  itemByIdOrRef(r: StoreReader, idOrRef: string): Promise<Item | undefined>;
  templateById(r: StoreReader, id: string): Promise<WorkflowTemplate | undefined>;
  applySignoffAction(tx: StoreTx, actor: Principal, item: Item, project: Project, template: WorkflowTemplate | undefined, action: SignoffAction, stepId: string | undefined, at: string): Result<Item>;
}

const noSecret = (): { ok: false; error: SignoffError } => err('UNAVAILABLE', 'Notifications are not configured on this server (no notification secret).');

export function createNotificationUseCases(deps: NotificationDeps): NotificationUseCases & NotificationInternals {
  const { store, clock } = deps;
  const now = () => clock.now().toISOString();

  async function status(r: StoreReader, userId: string, item: Item): Promise<ns.SubscriptionStatus> {
    return { itemId: item.id, userId, ...(await subscriptionState(r, userId, item.id, item.projectId)) };
  }

  async function subscribeIn(tx: StoreTx, userId: string, item: Item, subscribed: boolean, source: Subscription['source'], actor: Principal): Promise<ns.SubscriptionStatus> {
    const at = now();
    const sub: Subscription = { id: subscriptionId(userId, 'item', item.id), userId, subjectKind: 'item', subjectId: item.id, state: subscribed ? 'subscribed' : 'unsubscribed', source, at };
    tx.put('subscriptions', sub);
    tx.appendAudit({ at, actor: actor.id, actorKind: actor.kind, action: subscribed ? 'subscription.subscribe' : 'subscription.unsubscribe', subject: `items/${item.id}`, change: { userId, source } });
    return status(tx, userId, item);
  }

  const userOnly = (actor: Principal) => (actor.kind === 'user' ? undefined : err('FORBIDDEN', 'Only users have subscriptions (API keys receive no mail).'));

  /** Assignees of the reviews still awaited in a stage (groups with no feedback yet, or the final approvers), with delegates. */
  function pendingAssignees(item: Item, project: Project, def: StepDefinition | undefined, stage: PendingStage): Assignee[] {
    const so = item.signoffs[stage.stepId];
    if (!so) return [];
    const out: Assignee[] = [];
    if (stage.stage === 'final') {
      out.push(...project.reviewers.finalApprovers);
      for (const d of so.delegations) if (d.scope === FINAL_SCOPE) out.push({ kind: 'user', id: d.to });
      return out;
    }
    const groups = (def?.signoff?.feedbackGroups ?? domain.standardFeedbackGroups).map((g) => g.id);
    for (const g of groups) {
      if (so.feedback.some((r) => r.groupId === g)) continue;
      out.push(...(project.reviewers.feedbackGroups.find((x) => x.groupId === g)?.assignees ?? []));
      for (const d of so.delegations) if (d.scope === g) out.push({ kind: 'user', id: d.to });
    }
    return out;
  }

  return {
    async getSubscription(actor, itemId) {
      const auth = requireRead(actor, 'read items');
      if (!auth.ok) return auth;
      const forbidden = userOnly(actor);
      if (forbidden) return forbidden;
      const item = await deps.itemByIdOrRef(store, itemId);
      if (!item) return err('NOT_FOUND', `No item "${itemId}".`);
      return ok(await status(store, actor.id, item));
    },

    async setSubscription(actor, itemId, subscribed) {
      const auth = requireRead(actor, 'read items');
      if (!auth.ok) return auth;
      const forbidden = userOnly(actor);
      if (forbidden) return forbidden;
      return store.transaction(async (tx) => {
        const item = await deps.itemByIdOrRef(tx, itemId);
        if (!item) return err('NOT_FOUND', `No item "${itemId}".`);
        return ok(await subscribeIn(tx, actor.id, item, subscribed, 'explicit', actor));
      });
    },

    async unsubscribeWithToken(token) {
      if (deps.secret === undefined) return noSecret();
      const v = verifyUnsubscribeToken(deps.secret, token, clock.now());
      if (!v.ok) return v;
      return store.transaction(async (tx) => {
        const user = await tx.get('users', v.value.userId);
        const item = await tx.get('items', v.value.itemId);
        if (!user || !item) return err('NOT_FOUND', 'The item or the user of this link no longer exists.');
        const project = await tx.get('projects', item.projectId);
        const actor: Principal = { kind: 'user', id: user.id, username: user.username, displayName: user.displayName, roles: user.roles, groups: user.groups };
        const st = await subscribeIn(tx, user.id, item, false, 'link', actor);
        return ok({ ...st, ref: domain.formatRef(project?.key ?? item.projectId, item.name, item.version) });
      });
    },

    async listWebhookTargets(actor) {
      const auth = requireAdmin(actor, 'list webhook targets');
      if (!auth.ok) return auth;
      return ok(await store.list('webhookTargets'));
    },

    async createWebhookTarget(actor, input) {
      const auth = requireAdmin(actor, 'create webhook targets');
      if (!auth.ok) return auth;
      const v = validate(ns.CreateWebhookTargetInput, input);
      if (!v.ok) return v;
      const secret = deps.secret;
      if (secret === undefined) return noSecret();
      return store.transaction(async (tx) => {
        const id = v.value.id ?? deps.newId('wht');
        if (await tx.get('webhookTargets', id)) return err('CONFLICT', `A webhook target "${id}" exists.`, [{ path: ['id'], message: 'taken' }]);
        const at = now();
        const target: WebhookTarget = { id, name: v.value.name, url: v.value.url, events: [...new Set(v.value.events ?? [])], enabled: v.value.enabled ?? true, createdBy: actor.id, createdAt: at, updatedAt: at };
        tx.put('webhookTargets', target);
        tx.appendAudit({ at, actor: actor.id, actorKind: actor.kind, action: 'webhookTarget.create', subject: `webhookTargets/${id}`, change: { after: target } });
        return ok({ target, secret: webhookTargetSecret(secret, id) });
      });
    },

    async updateWebhookTarget(actor, id, input) {
      const auth = requireAdmin(actor, 'edit webhook targets');
      if (!auth.ok) return auth;
      const v = validate(ns.UpdateWebhookTargetInput, input);
      if (!v.ok) return v;
      return store.transaction(async (tx) => {
        const before = await tx.get('webhookTargets', id);
        if (!before) return err('NOT_FOUND', `No webhook target "${id}".`);
        const at = now();
        const after: WebhookTarget = {
          ...before,
          ...(v.value.name !== undefined ? { name: v.value.name } : {}),
          ...(v.value.url !== undefined ? { url: v.value.url } : {}),
          ...(v.value.events !== undefined ? { events: [...new Set(v.value.events)] } : {}),
          ...(v.value.enabled !== undefined ? { enabled: v.value.enabled } : {}),
          updatedAt: at,
        };
        tx.put('webhookTargets', after);
        tx.appendAudit({ at, actor: actor.id, actorKind: actor.kind, action: 'webhookTarget.update', subject: `webhookTargets/${id}`, change: { before, after } });
        return ok(after);
      });
    },

    async deleteWebhookTarget(actor, id) {
      const auth = requireAdmin(actor, 'delete webhook targets');
      if (!auth.ok) return auth;
      return store.transaction(async (tx) => {
        const before = await tx.get('webhookTargets', id);
        if (!before) return err('NOT_FOUND', `No webhook target "${id}".`);
        tx.remove('webhookTargets', id);
        // Deliveries still pending for this target fail: there is nowhere to send them.
        const at = now();
        for (const d of await tx.list('notificationDeliveries', (d) => d.channel === 'webhook' && d.recipient === id && d.status === 'pending')) {
          const { nextAttemptAt: _n, ...rest } = d;
          tx.put('notificationDeliveries', { ...rest, status: 'failed', lastError: 'the webhook target was deleted', updatedAt: at });
        }
        tx.appendAudit({ at, actor: actor.id, actorKind: actor.kind, action: 'webhookTarget.delete', subject: `webhookTargets/${id}`, change: { before } });
        return ok({ id });
      });
    },

    async listNotificationDeliveries(actor, query = {}) {
      const auth = requireAdmin(actor, 'read the notification delivery log');
      if (!auth.ok) return auth;
      const q = validate(ns.ListDeliveriesQuery, query, 'query');
      if (!q.ok) return q;
      const { status: st, itemId, channel, limit } = q.value;
      const list = await store.list('notificationDeliveries', (d) => (st === undefined || d.status === st) && (itemId === undefined || d.itemId === itemId) && (channel === undefined || d.channel === channel));
      list.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id));
      return ok(list.slice(0, limit ?? 200));
    },

    async runReviewTimers(defaults = { timeouts: [] }) {
      const atDate = clock.now();
      /** The item's pending stages whose reminder or timeout is due now, with their timers (read-only). */
      const dueStages = async (r: StoreReader, item: Item, template: WorkflowTemplate | undefined) => {
        const out = [];
        for (const stage of pendingStages(item)) {
          const def = template?.steps.find((s) => s.id === stage.stepId);
          const id = reviewTimerId(item.id, stage);
          const timer = await r.get('reviewTimers', id);
          const due = dueTimers(stage, timer, timingFor(def?.signoff, defaults, item.importance), atDate);
          if (due.remind || due.timeout) out.push({ stage, def, id, timer, due });
        }
        return out;
      };
      // Read first, write only where something is due: a transaction per pending item every
      // minute would queue behind (and hold up) the server's own writes.
      const candidates: Item[] = [];
      for (const item of await store.list('items', (i) => pendingStages(i).length > 0)) {
        const template = await deps.templateById(store, item.workflow.templateId);
        if ((await dueStages(store, item, template)).length > 0) candidates.push(item);
      }
      const touched: string[] = [];
      for (const candidate of candidates) {
        const r = await store.transaction(async (tx) => {
          let item = await tx.get('items', candidate.id);
          if (!item) return ok(false);
          const project = await tx.get('projects', item.projectId);
          if (!project) return ok(false);
          const template = await deps.templateById(tx, item.workflow.templateId);
          const at = atDate.toISOString();
          let did = false;
          // Checked again inside the transaction: the item or its timers may have moved since.
          for (const { stage, def, id, timer, due } of await dueStages(tx, item, template)) {
            did = true;
            const ref = domain.formatRef(project.key, item.name, item.version);
            const pending = pendingAssignees(item, project, def, stage);
            const base = { ref, stepId: stage.stepId, stage: stage.stage, requestedAt: stage.requestedAt, round: stage.round, pending };
            const next: ReviewTimer = timer ?? { id, itemId: item.id, stepId: stage.stepId, stage: stage.stage, requestedAt: stage.requestedAt, reminders: 0 };
            let updated: ReviewTimer = next;
            if (due.remind) {
              updated = { ...updated, reminders: due.remind.reminders, lastReminderAt: at };
              tx.appendAudit({ at, actor: 'system', actorKind: 'system', action: 'review.reminder', subject: `items/${item.id}`, change: { ...base, reminders: due.remind.reminders } });
            }
            if (due.timeout) {
              const t = due.timeout;
              updated = { ...updated, timedOutAt: at };
              tx.appendAudit({ at, actor: 'system', actorKind: 'system', action: 'review.timeout', subject: `items/${item.id}`, change: { ...base, after: t.after, timeoutAction: t.action, ...(t.escalateTo !== undefined ? { escalateTo: t.escalateTo } : {}) } });
              if (t.action === 'cancel') {
                const abandoned = deps.applySignoffAction(tx, systemPrincipal, item, project, template, { type: 'abandon', comment: `No answer within ${t.after}: the review request was cancelled.` }, stage.stepId, at);
                if (!abandoned.ok) return abandoned;
                item = abandoned.value;
              }
            }
            tx.put('reviewTimers', updated);
          }
          return ok(did);
        });
        if (!r.ok) return r;
        if (r.value) touched.push(candidate.id);
      }
      return ok(touched);
    },
  };
}
