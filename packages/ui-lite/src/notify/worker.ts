import {
  UNSUBSCRIBE_TOKEN_TTL_MS,
  dispatchPending,
  dueDeliveries,
  ok,
  signUnsubscribeToken,
  subscriptionState,
  webhookTargetSecret,
  type Clock,
  type NotificationDelivery,
  type OutboxEntry,
  type Store,
} from '@signoff/core';
import type { Logger } from 'pino';
import { renderEmail } from './render.js';
import { MailDeliveryError, type Mailer } from './transports.js';
import { sendWebhook as defaultSendWebhook, type WebhookResult } from './webhook.js';

export interface RetryPolicy {
  /** Delay before the second attempt; doubles per attempt. */
  baseMs: number;
  maxMs: number;
  /** After this many failed attempts a delivery is marked failed. */
  maxAttempts: number;
}

export interface WorkerDeps {
  /** The raw store (the worker's bookkeeping causes no notifications). */
  store: Store;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  /** Key of unsubscribe tokens and webhook signing secrets. */
  secret: Buffer;
  /** Absent: mail is not configured, email deliveries are recorded as skipped. */
  mailer?: Mailer;
  retry: RetryPolicy;
  webhookTimeoutMs?: number;
  sendWebhook?: typeof defaultSendWebhook;
  /** Entries older than this when first dispatched are closed unsent (default 7 days). */
  maxAgeMs?: number;
  /** Told after each recorded attempt (metrics). */
  onAttempt?: (channel: NotificationDelivery['channel'], outcome: 'sent' | 'retry' | 'failed') => void;
}

const DEFAULT_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export interface DrainResult {
  dispatched: number;
  sent: number;
  failed: number;
  retrying: number;
}

type Outcome = { ok: true; status?: number } | { ok: false; error: string; permanent: boolean; status?: number; outage?: boolean };

/** Delay before attempt `attempts + 1`, after `attempts` failures. */
export function backoffMs(policy: RetryPolicy, attempts: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
}

/**
 * Drains the outbox: resolves each new entry into deliveries (one per user and webhook target,
 * persisted), then sends the deliveries that are due, one at a time, and records each outcome.
 *
 * Guarantee: a delivery is marked sent only after its transport accepted it, and the mark is a
 * durable store write. A crash between the two sends that one delivery again after restart
 * (at-least-once); the receiver can tell by the idempotency key `<entryId>:<user|webhook>:<id>`
 * (header `X-Signoff-Idempotency-Key`, and the Message-ID of mail). Nothing else repeats.
 */
export class NotificationWorker {
  private running: Promise<DrainResult> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly send: typeof defaultSendWebhook;

  constructor(private readonly deps: WorkerDeps) {
    this.send = deps.sendWebhook ?? defaultSendWebhook;
  }

  /** Polls every `pollMs` until `stop()`. */
  start(pollMs: number): void {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.drain().then(
        () => this.schedule(loop, pollMs),
        (error: unknown) => {
          this.deps.logger.error({ err: error }, 'notification worker failed; retrying');
          this.schedule(loop, pollMs);
        },
      );
    };
    loop();
  }

  private schedule(fn: () => void, ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(fn, ms);
    this.timer.unref();
  }

  /** Stops polling and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass (or joins the pass in progress and runs another after it). */
  drain(): Promise<DrainResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      const total: DrainResult = { dispatched: 0, sent: 0, failed: 0, retrying: 0 };
      try {
        do {
          this.again = false;
          const r = await this.pass();
          total.dispatched += r.dispatched;
          total.sent += r.sent;
          total.failed += r.failed;
          total.retrying += r.retrying;
        } while (this.again && !this.stopped);
      } finally {
        this.running = undefined;
      }
      return total;
    })();
    return this.running;
  }

  private async pass(): Promise<DrainResult> {
    const { store, clock, logger } = this.deps;
    const result: DrainResult = { dispatched: 0, sent: 0, failed: 0, retrying: 0 };
    // With no transport at all (no SMTP, no enabled webhook target) entries wait, untouched; once
    // one appears, what waited longer than maxAgeMs is closed unsent rather than flooding people.
    const transport = this.deps.mailer !== undefined || (await store.list('webhookTargets', (t) => t.enabled)).length > 0;
    if (transport) {
      result.dispatched = await dispatchPending(store, {
        now: clock.now().toISOString(),
        mail: this.deps.mailer !== undefined,
        maxAgeMs: this.deps.maxAgeMs ?? DEFAULT_MAX_AGE_MS,
        onSkip: (entry, user, reason) => logger.info({ entryId: entry.id, event: entry.type, userId: user.id, reason }, 'notification not mailed'),
        onStale: (entry) => logger.warn({ entryId: entry.id, event: entry.type, at: entry.at }, 'notification too old to send; closed unsent'),
      });
    }
    let mailDown = false;
    // Each delivery is tried at most once per pass: a short backoff must not spin here.
    const tried = new Set<string>();
    for (;;) {
      if (this.stopped) break;
      const due = (await dueDeliveries(store, clock.now().toISOString(), 50 + tried.size)).filter((d) => !tried.has(d.id) && !(mailDown && d.channel === 'email'));
      if (due.length === 0) break;
      let progressed = false;
      for (const d of due) {
        if (this.stopped) break;
        if (mailDown && d.channel === 'email') continue;
        tried.add(d.id);
        const outcome = await this.attempt(d);
        if (!outcome.ok && outcome.outage && d.channel === 'email') mailDown = true;
        const after = await this.record(d, outcome);
        this.deps.onAttempt?.(d.channel, after === 'pending' ? 'retry' : after);
        if (after === 'sent') result.sent++;
        else if (after === 'failed') result.failed++;
        else result.retrying++;
        progressed = true;
      }
      if (!progressed) break;
    }
    return result;
  }

  private async attempt(d: NotificationDelivery): Promise<Outcome> {
    const { store } = this.deps;
    const entry = await store.get('outbox', d.entryId);
    if (!entry) return { ok: false, error: 'the outbox entry is gone', permanent: true };
    try {
      return d.channel === 'email' ? await this.mail(d, entry) : await this.webhook(d, entry);
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error), permanent: false };
    }
  }

  private async mail(d: NotificationDelivery, entry: OutboxEntry): Promise<Outcome> {
    const { store, mailer, publicUrl, clock } = this.deps;
    if (!mailer) return { ok: false, error: 'mail is not configured', permanent: true };
    const user = await store.get('users', d.recipient);
    if (!user || user.disabled || user.email === undefined) return { ok: false, error: 'the user is gone, disabled or has no email address', permanent: true };
    // An unsubscription between the event and the send is honoured.
    const sub = await subscriptionState(store, user.id, entry.itemId, entry.projectId);
    if (sub.via === 'item' && !sub.subscribed) return { ok: false, error: 'the user unsubscribed from this item', permanent: true };
    const token = signUnsubscribeToken(this.deps.secret, { userId: user.id, itemId: entry.itemId, expiresAt: new Date(clock.now().getTime() + UNSUBSCRIBE_TOKEN_TTL_MS) });
    const rendered = renderEmail({
      eventType: entry.type,
      itemLabel: entry.ref,
      itemUrl: `${publicUrl}/items/${entry.itemId}`,
      projectName: entry.projectName,
      actor: entry.actorName,
      recipientName: user.displayName,
      summary: entry.summary,
      details: entry.details,
      unsubscribeUrl: `${publicUrl}/unsubscribe?token=${encodeURIComponent(token)}`,
    });
    try {
      await mailer.send({
        to: user.email,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        // RFC 5322 message ids have no ':'; the key itself travels in its own header.
        messageId: d.id.replaceAll(':', '.'),
        headers: { ...rendered.headers, 'X-Signoff-Idempotency-Key': d.id, 'X-Signoff-Event': entry.type, 'X-Signoff-Item': entry.ref },
      });
      return { ok: true };
    } catch (error) {
      if (error instanceof MailDeliveryError) {
        // Refused by the relay for this message (5xx): no retry. Anything else: the relay is unwell.
        return { ok: false, error: error.message, permanent: error.permanent, outage: !error.permanent, ...(error.responseCode !== undefined ? { status: error.responseCode } : {}) };
      }
      throw error;
    }
  }

  private async webhook(d: NotificationDelivery, entry: OutboxEntry): Promise<Outcome> {
    const { store, publicUrl, secret } = this.deps;
    const target = await store.get('webhookTargets', d.recipient);
    if (!target) return { ok: false, error: 'the webhook target was deleted', permanent: true };
    if (!target.enabled) return { ok: false, error: 'the webhook target is disabled', permanent: true };
    const payload = {
      id: d.id,
      event: entry.type,
      at: entry.at,
      summary: entry.summary,
      item: { id: entry.itemId, ref: entry.ref, url: `${publicUrl}/items/${entry.itemId}` },
      project: { id: entry.projectId, name: entry.projectName },
      actor: { id: entry.actor, name: entry.actorName },
      details: Object.fromEntries(entry.details),
    };
    const r: WebhookResult = await this.send({ url: target.url, secret: webhookTargetSecret(secret, target.id) }, payload, {
      idempotencyKey: d.id,
      eventType: entry.type,
      ...(this.deps.webhookTimeoutMs !== undefined ? { timeoutMs: this.deps.webhookTimeoutMs } : {}),
    });
    if (r.ok) return { ok: true, ...(r.status !== undefined ? { status: r.status } : {}) };
    // A 4xx other than 408/429 will not get better by retrying.
    const permanent = r.status !== undefined && r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429;
    return { ok: false, error: r.error ?? `HTTP ${r.status ?? '?'}`, permanent, ...(r.status !== undefined ? { status: r.status } : {}) };
  }

  /** Persists the outcome of one attempt; returns the delivery's new status. */
  private async record(d: NotificationDelivery, outcome: Outcome): Promise<'sent' | 'failed' | 'pending'> {
    const { store, clock, retry, logger } = this.deps;
    const now = clock.now();
    const at = now.toISOString();
    const r = await store.transaction(async (tx) => {
      const current = await tx.get('notificationDeliveries', d.id);
      if (!current || current.status !== 'pending') return ok(current?.status === 'sent' ? ('sent' as const) : ('failed' as const));
      const attempts = current.attempts + 1;
      const { nextAttemptAt: _n, lastError: _e, lastStatus: _s, ...rest } = current;
      const status = outcome.status !== undefined ? { lastStatus: outcome.status } : {};
      if (outcome.ok) {
        tx.put('notificationDeliveries', { ...rest, ...status, status: 'sent', attempts, sentAt: at, updatedAt: at });
        return ok('sent' as const);
      }
      const error = outcome.error.slice(0, 2000);
      if (outcome.permanent || attempts >= retry.maxAttempts) {
        tx.put('notificationDeliveries', { ...rest, ...status, status: 'failed', attempts, lastError: error, updatedAt: at });
        return ok('failed' as const);
      }
      const next = new Date(now.getTime() + backoffMs(retry, attempts)).toISOString();
      tx.put('notificationDeliveries', { ...rest, ...status, attempts, lastError: error, nextAttemptAt: next, updatedAt: at });
      return ok('pending' as const);
    });
    if (!r.ok) throw new Error(`recording a delivery failed: ${r.error.message}`);
    const log = { deliveryId: d.id, channel: d.channel, event: d.eventType, attempt: d.attempts + 1 };
    if (r.value === 'sent') logger.info(log, 'notification delivered');
    else if (r.value === 'failed') logger.warn({ ...log, error: outcome.ok ? undefined : outcome.error }, 'notification delivery failed for good');
    else logger.info({ ...log, error: outcome.ok ? undefined : outcome.error }, 'notification delivery failed; will retry');
    return r.value;
  }
}
