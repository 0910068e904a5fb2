/*
 * Resolving an outbox entry into deliveries, at send time: who is told is decided from the
 * users, groups, roles and subscriptions as they are when the worker picks the entry up.
 */
import { ok } from '../result.js';
import type { User } from '../schemas/principal.js';
import type { Store, StoreReader } from '../store/types.js';
import { subscriptionId, type NotificationDelivery, type OutboxEntry, type WebhookTarget } from './schema.js';

export const deliveryId = (entryId: string, channel: 'user' | 'webhook', recipient: string): string => `${entryId}:${channel}:${recipient}`;

/**
 * The users an entry goes to: its direct targets (users; members of groups; holders of roles;
 * API keys get nothing) and, unless the entry says otherwise, the subscribers of its item
 * (item subscription, or project subscription without an item unsubscription). A user who
 * unsubscribed from the item gets nothing about it; the actor is not told about their own act;
 * disabled users are skipped.
 */
export async function resolveUsers(r: StoreReader, entry: OutboxEntry): Promise<User[]> {
  const users = await r.list('users', (u) => !u.disabled);
  const byId = new Map(users.map((u) => [u.id, u]));
  const chosen = new Set<string>();
  for (const t of entry.direct) {
    if (t.kind === 'user') chosen.add(t.id);
    if (t.kind === 'group') for (const u of users) if (u.groups.includes(t.id)) chosen.add(u.id);
    if (t.kind === 'role') for (const u of users) if (u.roles.includes(t.id)) chosen.add(u.id);
  }
  const subs = await r.list('subscriptions', (s) => (s.subjectKind === 'item' && s.subjectId === entry.itemId) || (s.subjectKind === 'project' && s.subjectId === entry.projectId));
  const itemState = new Map(subs.filter((s) => s.subjectKind === 'item').map((s) => [s.userId, s.state]));
  if (entry.subscribers) {
    for (const s of subs) {
      if (s.state !== 'subscribed') continue;
      if (s.subjectKind === 'project' && itemState.get(s.userId) === 'unsubscribed') continue;
      chosen.add(s.userId);
    }
  }
  const out: User[] = [];
  for (const id of chosen) {
    if (id === entry.actor) continue;
    if (itemState.get(id) === 'unsubscribed') continue;
    const u = byId.get(id);
    if (u) out.push(u);
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

export function targetWants(target: WebhookTarget, entry: Pick<OutboxEntry, 'type'>): boolean {
  return target.enabled && (target.events.length === 0 || target.events.includes(entry.type));
}

export interface DispatchOptions {
  now: string;
  /** Is mail configured? Without it, email deliveries are recorded as skipped. */
  mail: boolean;
  /** Called for users skipped (no address), for the log. */
  onSkip?: (entry: OutboxEntry, user: User, reason: string) => void;
  /** Entries older than this are closed without deliveries (stale news after a long time without any transport). */
  maxAgeMs?: number;
  onStale?: (entry: OutboxEntry) => void;
}

/**
 * Turns every pending outbox entry into one delivery per recipient (and per webhook target that
 * wants its type), in one transaction per entry. Idempotent: an entry is dispatched once.
 * Returns the number of entries dispatched.
 */
export async function dispatchPending(store: Store, options: DispatchOptions): Promise<number> {
  const pending = await store.list('outbox', (e) => e.status === 'pending');
  // Stable: entries of the same instant stay in the order they were written.
  pending.sort((a, b) => a.at.localeCompare(b.at));
  let n = 0;
  for (const candidate of pending) {
    const r = await store.transaction(async (tx) => {
      const entry = await tx.get('outbox', candidate.id);
      if (!entry || entry.status !== 'pending') return ok(false);
      const now = options.now;
      if (options.maxAgeMs !== undefined && Date.parse(entry.at) < Date.parse(now) - options.maxAgeMs) {
        options.onStale?.(entry);
        tx.put('outbox', { ...entry, status: 'dispatched', dispatchedAt: now });
        return ok(true);
      }
      const common = { entryId: entry.id, eventType: entry.type, itemId: entry.itemId, ref: entry.ref, attempts: 0, createdAt: now, updatedAt: now };
      for (const u of await resolveUsers(tx, entry)) {
        const id = deliveryId(entry.id, 'user', u.id);
        if (await tx.get('notificationDeliveries', id)) continue;
        const reason = u.email === undefined ? 'the user has no email address' : !options.mail ? 'mail is not configured' : undefined;
        if (reason) options.onSkip?.(entry, u, reason);
        const d: NotificationDelivery = {
          id,
          ...common,
          channel: 'email',
          recipient: u.id,
          ...(u.email !== undefined ? { address: u.email } : {}),
          ...(reason ? { status: 'skipped', lastError: reason } : { status: 'pending', nextAttemptAt: now }),
        };
        tx.put('notificationDeliveries', d);
      }
      for (const t of await tx.list('webhookTargets', (t) => targetWants(t, entry))) {
        const id = deliveryId(entry.id, 'webhook', t.id);
        if (await tx.get('notificationDeliveries', id)) continue;
        tx.put('notificationDeliveries', { id, ...common, channel: 'webhook', recipient: t.id, address: t.url, status: 'pending', nextAttemptAt: now });
      }
      tx.put('outbox', { ...entry, status: 'dispatched', dispatchedAt: now });
      return ok(true);
    });
    if (r.ok && r.value) n++;
  }
  return n;
}

/** Deliveries whose next attempt is due at `now`, oldest first. */
export async function dueDeliveries(r: StoreReader, now: string, limit = 100): Promise<NotificationDelivery[]> {
  const due = await r.list('notificationDeliveries', (d) => d.status === 'pending' && (d.nextAttemptAt === undefined || d.nextAttemptAt <= now));
  // Stable sort: equal times keep the store's order, which is the order the entries were written.
  due.sort((a, b) => (a.nextAttemptAt ?? '').localeCompare(b.nextAttemptAt ?? '') || a.createdAt.localeCompare(b.createdAt));
  return due.slice(0, limit);
}

/** Is the user subscribed to the item (directly, or through its project without an item unsubscription)? */
export async function subscriptionState(r: StoreReader, userId: string, itemId: string, projectId: string): Promise<{ subscribed: boolean; via: 'item' | 'project' | 'none'; explicit: boolean }> {
  const item = await r.get('subscriptions', subscriptionId(userId, 'item', itemId));
  if (item) return { subscribed: item.state === 'subscribed', via: 'item', explicit: item.source !== 'auto' };
  const project = await r.get('subscriptions', subscriptionId(userId, 'project', projectId));
  if (project?.state === 'subscribed') return { subscribed: true, via: 'project', explicit: project.source !== 'auto' };
  return { subscribed: false, via: 'none', explicit: false };
}

/**
 * Removes what the delivery log no longer needs: finished deliveries (sent, failed, skipped)
 * last touched before `before`, and dispatched outbox entries from before it that have no
 * pending delivery left. At most `limit` records per call (one transaction). Returns the count.
 */
export async function pruneNotifications(store: Store, before: string, limit = 1000): Promise<number> {
  const r = await store.transaction(async (tx) => {
    const pendingEntries = new Set((await tx.list('notificationDeliveries', (d) => d.status === 'pending')).map((d) => d.entryId));
    const oldDeliveries = (await tx.list('notificationDeliveries', (d) => d.status !== 'pending' && d.updatedAt < before)).slice(0, limit);
    for (const d of oldDeliveries) tx.remove('notificationDeliveries', d.id);
    const room = limit - oldDeliveries.length;
    const oldEntries = room > 0 ? (await tx.list('outbox', (e) => e.status === 'dispatched' && (e.dispatchedAt ?? e.at) < before && !pendingEntries.has(e.id))).slice(0, room) : [];
    for (const e of oldEntries) tx.remove('outbox', e.id);
    return ok(oldDeliveries.length + oldEntries.length);
  });
  return r.ok ? r.value : 0;
}
