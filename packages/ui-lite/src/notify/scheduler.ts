import type { GovernanceServiceInternals, ReviewTiming } from '@signoff/core';
import type { Logger } from 'pino';

export interface SchedulerDeps {
  service: Pick<GovernanceServiceInternals, 'runScheduled' | 'runReviewTimers'>;
  logger: Logger;
  /** Server-wide review timing; a template's sign-off definition overrides it. */
  timing: ReviewTiming;
  /** Called after each tick (the worker drains what the tick wrote). */
  afterTick?: () => Promise<unknown>;
}

export interface TickResult {
  /** Items reset or expired. */
  reset: string[];
  /** Items reminded or timed out. */
  reviewed: string[];
}

/**
 * The one scheduler: scheduled and recurring resets, approval expiry, review reminders and
 * review timeouts, all decided against the service's injected clock. Every rule compares the
 * clock with stored times and records what it did in the same transaction, so a tick after a
 * restart fires what came due while the server was down, once. Tests call `tick()` after
 * moving a manual clock; the server also ticks every `intervalMs` and once at start.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<TickResult> | undefined;

  constructor(private readonly deps: SchedulerDeps) {}

  start(intervalMs: number): void {
    const run = () => {
      this.tick().catch((error: unknown) => this.deps.logger.error({ err: error }, 'scheduler tick failed'));
    };
    run();
    this.timer = setInterval(run, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Runs everything due now; concurrent calls share the tick in progress. */
  tick(): Promise<TickResult> {
    this.running ??= (async () => {
      try {
        const reset = await this.deps.service.runScheduled();
        if (!reset.ok) throw new Error(`scheduled resets failed: ${reset.error.message}`);
        const reviewed = await this.deps.service.runReviewTimers(this.deps.timing);
        if (!reviewed.ok) throw new Error(`review timers failed: ${reviewed.error.message}`);
        if (reset.value.length > 0 || reviewed.value.length > 0) this.deps.logger.info({ reset: reset.value, reviewed: reviewed.value }, 'scheduler tick');
        await this.deps.afterTick?.();
        return { reset: reset.value, reviewed: reviewed.value };
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
