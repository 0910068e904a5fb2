/*
 * When a sign-off is due for an automatic reset: a one-off scheduled time, a recurrence
 * (anchor + k × every), or the approval's expiry (approvedAt + the template's expiresAfter).
 * Evaluated against the injected clock. A reset missed while the process was down is due at
 * once and fires once: after it, lastResetAt moves past every missed occurrence.
 */
import type { Signoff } from './schema.js';
import { addDuration, nextOccurrence, parseDuration } from './duration.js';

function ms(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * The next time this sign-off should be reset, as an ISO timestamp, or undefined when nothing is
 * scheduled. The earliest of:
 * - `resetSchedule.at`, unless a reset already happened at or after it;
 * - the first `anchor + k × every` (k ≥ 1) after the last reset (or after the anchor);
 * - `approvedAt + expiresAfter` while the sign-off is Approved.
 * The result may be in the past: that reset is due now.
 */
export function nextResetDue(signoff: Signoff, expiresAfter?: string): string | undefined {
  const candidates: number[] = [];
  const last = ms(signoff.lastResetAt);
  const sched = signoff.resetSchedule;
  if (sched) {
    const at = ms(sched.at);
    if (at !== undefined && (last === undefined || last < at)) candidates.push(at);
    if (sched.every !== undefined) {
      const d = parseDuration(sched.every);
      const anchor = ms(sched.anchor) ?? ms(sched.createdAt);
      if (d.ok && anchor !== undefined) {
        candidates.push(nextOccurrence(anchor, d.value, Math.max(anchor, last ?? anchor)));
      }
    }
  }
  if (expiresAfter !== undefined && signoff.status === 'Approved') {
    const d = parseDuration(expiresAfter);
    const approved = ms(signoff.approvedAt);
    if (d.ok && approved !== undefined) candidates.push(addDuration(approved, d.value));
  }
  if (candidates.length === 0) return undefined;
  return new Date(Math.min(...candidates)).toISOString();
}

/** Is a reset due at `now` (ISO string or Date)? `expiresAfter` is the step's approval expiry. */
export function isResetDue(signoff: Signoff, now: string | Date, expiresAfter?: string): boolean {
  const due = nextResetDue(signoff, expiresAfter);
  if (due === undefined) return false;
  const t = typeof now === 'string' ? Date.parse(now) : now.getTime();
  return Date.parse(due) <= t;
}
