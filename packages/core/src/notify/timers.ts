/*
 * Review reminders and timeouts, as pure functions of an item, its timing rules, what was
 * already done (the ReviewTimer record) and the clock. A moment missed while the server was
 * down is due at once and fires once.
 */
import type { Importance } from '../schemas/common.js';
import type { Item } from '../schemas/item.js';
import type { SignoffDefinition } from '../workflow/schema.js';
import { addDuration, parseDuration } from '../signoff/duration.js';
import type { ReviewTimeout, ReviewTimer, ReviewTiming } from './schema.js';

export interface PendingStage {
  stepId: string;
  stage: 'feedback' | 'final';
  round: number;
  requestedAt: string;
}

/** Reviews awaited on this item: feedback while Waiting for feedback, the final approval while it is not given. */
export function pendingStages(item: Item): PendingStage[] {
  const out: PendingStage[] = [];
  for (const [stepId, so] of Object.entries(item.signoffs)) {
    if (so.status === 'Waiting for feedback' && so.feedbackRequestedAt) out.push({ stepId, stage: 'feedback', round: so.round, requestedAt: so.feedbackRequestedAt });
    if (so.status === 'Waiting for final approval' && !so.finalApproval && so.finalApprovalRequestedAt) out.push({ stepId, stage: 'final', round: so.round, requestedAt: so.finalApprovalRequestedAt });
  }
  return out;
}

export const reviewTimerId = (itemId: string, s: PendingStage): string => `${itemId}:${s.stepId}:${s.round}:${s.stage}:${s.requestedAt}`;

/** The rules for one sign-off: the template's own, else the server's defaults. */
export function timingFor(def: SignoffDefinition | undefined, defaults: ReviewTiming, importance: Importance): { reminderEvery?: string; timeout?: ReviewTimeout } {
  const reminderEvery = def?.reminderEvery ?? defaults.reminderEvery;
  const rules = def?.reviewTimeouts ?? defaults.timeouts;
  const timeout = rules.find((t) => t.importance === undefined || t.importance.includes(importance));
  return { ...(reminderEvery !== undefined ? { reminderEvery } : {}), ...(timeout ? { timeout } : {}) };
}

export interface DueTimers {
  /** A reminder is due; `reminders` is the count to record (missed occurrences collapse into one). */
  remind?: { reminders: number };
  timeout?: ReviewTimeout;
}

/** What is due now for a pending stage. */
export function dueTimers(stage: PendingStage, timer: ReviewTimer | undefined, rules: { reminderEvery?: string; timeout?: ReviewTimeout }, now: Date): DueTimers {
  const start = Date.parse(stage.requestedAt);
  const t = now.getTime();
  const out: DueTimers = {};
  if (rules.timeout && !timer?.timedOutAt) {
    const d = parseDuration(rules.timeout.after);
    if (d.ok && addDuration(start, d.value) <= t) out.timeout = rules.timeout;
  }
  if (rules.reminderEvery !== undefined) {
    const d = parseDuration(rules.reminderEvery);
    if (d.ok) {
      const done = timer?.reminders ?? 0;
      // Count the occurrences passed (bounded: a tiny period after a long outage must not spin).
      let n = done;
      while (n < done + 10_000 && addDuration(start, d.value, n + 1) <= t) n++;
      if (n > done) out.remind = { reminders: n };
    }
  }
  return out;
}
