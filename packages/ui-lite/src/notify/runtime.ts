import { pruneNotifications, type Clock, type GovernanceServiceInternals, type ReviewTiming, type Store } from '@signoff/core';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Scheduler } from './scheduler.js';
import { createMailer, type Mailer, type MailerOptions, type SmtpConfig } from './transports.js';
import { NotificationWorker, type DrainResult, type RetryPolicy } from './worker.js';

export interface NotificationRuntimeDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  service: Pick<GovernanceServiceInternals, 'runScheduled' | 'runReviewTimers'>;
  publicUrl: string;
  secret: Buffer;
  smtp?: SmtpConfig;
  mailerOptions?: MailerOptions;
  retry: RetryPolicy;
  timing: ReviewTiming;
  /** Keep finished deliveries this long (default 30 days). */
  retentionMs?: number;
  /** Where to register `signoff_notification_attempts_total` and `signoff_notification_deliveries_pending`. */
  registry?: Registry;
}

/** The worker and the scheduler of a running server. */
export interface NotificationRuntime {
  worker: NotificationWorker;
  scheduler: Scheduler;
  mailer?: Mailer;
  /** One scheduler tick, then a worker pass (tests with a manual clock call this). */
  tick(): Promise<DrainResult>;
  start(options: { pollMs: number; schedulerIntervalMs: number }): void;
  stop(): Promise<void>;
}

export function createNotificationRuntime(deps: NotificationRuntimeDeps): NotificationRuntime {
  const logger = deps.logger.child({ component: 'notify' });
  const mailer = deps.smtp ? createMailer(deps.smtp, deps.mailerOptions) : undefined;
  const attempts = deps.registry
    ? new Counter({ name: 'signoff_notification_attempts_total', help: 'Notification delivery attempts by channel and outcome (sent, retry, failed)', labelNames: ['channel', 'outcome'] as const, registers: [deps.registry] })
    : undefined;
  if (deps.registry) {
    const store = deps.store;
    new Gauge({
      name: 'signoff_notification_deliveries_pending',
      help: 'Notification deliveries waiting for a (next) attempt',
      registers: [deps.registry],
      async collect() {
        this.set((await store.list('notificationDeliveries', (d) => d.status === 'pending')).length);
      },
    });
  }
  const worker = new NotificationWorker({
    ...(attempts ? { onAttempt: (channel, outcome) => attempts.inc({ channel, outcome }) } : {}),
    store: deps.store,
    clock: deps.clock,
    logger,
    publicUrl: deps.publicUrl,
    secret: deps.secret,
    retry: deps.retry,
    ...(mailer ? { mailer } : {}),
  });
  const retentionMs = deps.retentionMs ?? 30 * 24 * 3600_000;
  const afterTick = async () => {
    const pruned = await pruneNotifications(deps.store, new Date(deps.clock.now().getTime() - retentionMs).toISOString());
    if (pruned > 0) logger.info({ pruned }, 'old notifications pruned from the delivery log');
    return worker.drain();
  };
  const scheduler = new Scheduler({ service: deps.service, logger, timing: deps.timing, afterTick });
  return {
    worker,
    scheduler,
    ...(mailer ? { mailer } : {}),
    async tick() {
      await scheduler.tick();
      return worker.drain();
    },
    start({ pollMs, schedulerIntervalMs }) {
      if (!mailer) logger.info('mail is not configured (--smtp-url): no notification email is sent (webhook targets still are)');
      scheduler.start(schedulerIntervalMs);
      worker.start(pollMs);
    },
    async stop() {
      await scheduler.stop();
      await worker.stop();
      mailer?.close();
    },
  };
}
