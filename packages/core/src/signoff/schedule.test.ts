import { describe, expect, it } from 'vitest';
import { addDuration, nextOccurrence, parseDuration } from './duration.js';
import { isResetDue, nextResetDue } from './schedule.js';
import type { Signoff } from './schema.js';
import { transition } from './transition.js';
import { ctxFor, signoffIn } from './__fixtures__/signoff-fixtures.js';
import { newSignoff } from '../workflow/templates.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('ISO 8601 durations', () => {
  it.each([
    ['P90D', { days: 90 }],
    ['P1Y2M3W4DT5H6M7.5S', { years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, seconds: 7.5 }],
    ['PT12H', { hours: 12 }],
    ['P1W', { weeks: 1 }],
  ])('parses %s', (text, parts) => {
    const r = parseDuration(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toMatchObject(parts);
  });

  it.each(['', 'P', 'PT', 'P1DT', '90D', 'P-1D', 'P1.5D', 'PT1H2D', 'P1D1Y', 'p1d', 'P0D', 'PT0S', 'P1H'])('refuses %j with a clear message', (text) => {
    const r = parseDuration(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('VALIDATION');
      expect(r.error.message).toContain('PnYnMnWnDTnHnMnS');
    }
  });

  it('adds calendar months with end-of-month clamping and no drift over multiples', () => {
    const p1m = parseDuration('P1M');
    if (!p1m.ok) throw new Error();
    const jan31 = at('2026-01-31T08:00:00.000Z');
    expect(iso(addDuration(jan31, p1m.value))).toBe('2026-02-28T08:00:00.000Z');
    expect(iso(addDuration(jan31, p1m.value, 2))).toBe('2026-03-31T08:00:00.000Z');
    expect(iso(addDuration(at('2024-02-29T00:00:00.000Z'), { years: 1, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0 }))).toBe(
      '2025-02-28T00:00:00.000Z',
    );
    expect(iso(addDuration(jan31, { years: 0, months: 0, weeks: 1, days: 1, hours: 1, minutes: 1, seconds: 1 }))).toBe('2026-02-08T09:01:01.000Z');
  });

  it('nextOccurrence is the first anchor + k·d strictly after a time', () => {
    const d = parseDuration('P1M');
    if (!d.ok) throw new Error();
    const anchor = at('2026-01-31T00:00:00.000Z');
    expect(iso(nextOccurrence(anchor, d.value, anchor))).toBe('2026-02-28T00:00:00.000Z');
    expect(iso(nextOccurrence(anchor, d.value, at('2026-02-28T00:00:00.000Z')))).toBe('2026-03-31T00:00:00.000Z');
    expect(iso(nextOccurrence(anchor, d.value, at('2030-07-15T00:00:00.000Z')))).toBe('2030-07-31T00:00:00.000Z');
    expect(iso(nextOccurrence(anchor, d.value, at('2025-01-01T00:00:00.000Z')))).toBe('2026-02-28T00:00:00.000Z');
    const h = parseDuration('PT1H');
    if (!h.ok) throw new Error();
    expect(iso(nextOccurrence(anchor, h.value, at('2036-01-31T00:30:00.000Z')))).toBe('2036-01-31T01:00:00.000Z');
  });
});

const base = (over: Partial<Signoff>): Signoff => ({ ...newSignoff('2026-01-01T00:00:00.000Z'), ...over });
const sched = (s: Partial<NonNullable<Signoff['resetSchedule']>>) => ({ createdBy: 'olivia', createdAt: '2026-01-01T00:00:00.000Z', ...s });

describe('nextResetDue / isResetDue', () => {
  it('nothing scheduled: never due', () => {
    const { resetSchedule: _drop, ...approved } = signoffIn('Approved');
    expect(nextResetDue(approved)).toBeUndefined();
    expect(nextResetDue(signoffIn('Approved'))).toBe('2026-07-30T09:00:00.000Z'); // the fixture's P90D recurrence
    expect(isResetDue(base({}), '2099-01-01T00:00:00.000Z')).toBe(false);
  });

  it('a one-off reset is due at its time, and not after a reset at or past it', () => {
    const so = base({ resetSchedule: sched({ at: '2026-02-01T00:00:00.000Z' }) });
    expect(nextResetDue(so)).toBe('2026-02-01T00:00:00.000Z');
    expect(isResetDue(so, '2026-01-31T23:59:59.999Z')).toBe(false);
    expect(isResetDue(so, '2026-02-01T00:00:00.000Z')).toBe(true);
    expect(isResetDue(so, new Date('2026-03-01T00:00:00.000Z'))).toBe(true);
    expect(isResetDue({ ...so, lastResetAt: '2026-02-02T00:00:00.000Z' }, '2026-03-01T00:00:00.000Z')).toBe(false);
  });

  it('recurring: fires at anchor + k·every', () => {
    let so = base({ resetSchedule: sched({ every: 'P30D', anchor: '2026-01-01T00:00:00.000Z' }) });
    expect(nextResetDue(so)).toBe('2026-01-31T00:00:00.000Z');
    expect(isResetDue(so, '2026-01-30T00:00:00.000Z')).toBe(false);
    expect(isResetDue(so, '2026-01-31T00:00:00.000Z')).toBe(true);
    // fired on time: the next one is a period later, at the anchor's rhythm
    so = { ...so, lastResetAt: '2026-01-31T00:00:00.000Z' };
    expect(nextResetDue(so)).toBe('2026-03-02T00:00:00.000Z');
    // fired a little late: still on the anchor's rhythm
    so = { ...so, lastResetAt: '2026-01-31T06:00:00.000Z' };
    expect(nextResetDue(so)).toBe('2026-03-02T00:00:00.000Z');
  });

  it('missed periods while down: due once at once, then the next future occurrence', () => {
    const so = base({ status: 'Approved', resetSchedule: sched({ every: 'P7D', anchor: '2026-01-01T00:00:00.000Z' }) });
    const now = '2026-03-01T12:00:00.000Z'; // eight periods missed
    expect(isResetDue(so, now)).toBe(true);
    const r = transition(so, { type: 'expire' }, { ...ctxFor('system'), now });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.round).toBe(2);
    expect(isResetDue(r.value, now)).toBe(false);
    expect(nextResetDue(r.value)).toBe('2026-03-05T00:00:00.000Z');
    // firing once more at the same instant is not due: no catching up one period at a time
    let fired = 0;
    let cur = r.value;
    for (let t = at(now); t < at('2026-03-05T00:00:00.000Z'); t += 3_600_000) {
      if (isResetDue(cur, iso(t))) {
        fired++;
        const x = transition(cur, { type: 'expire' }, { ...ctxFor('system'), now: iso(t) });
        if (x.ok) cur = x.value;
      }
    }
    expect(fired).toBe(0);
  });

  it('approval expiry: approvedAt + expiresAfter, only while Approved', () => {
    const so = signoffIn('Approved'); // approvedAt T0 = 2026-05-01T09:00Z
    const noSched = { ...so, resetSchedule: undefined } as Signoff;
    delete noSched.resetSchedule;
    expect(nextResetDue(noSched, 'P90D')).toBe('2026-07-30T09:00:00.000Z');
    expect(isResetDue(noSched, '2026-07-30T08:59:59.000Z', 'P90D')).toBe(false);
    expect(isResetDue(noSched, '2026-07-30T09:00:00.000Z', 'P90D')).toBe(true);
    expect(isResetDue(noSched, '2026-07-30T09:00:00.000Z')).toBe(false);
    expect(nextResetDue({ ...noSched, status: 'Rejected' }, 'P90D')).toBeUndefined();
    // after the expiry reset the new round is not approved: not due again
    const r = transition(noSched, { type: 'expire' }, { ...ctxFor('system'), now: '2026-09-01T00:00:00.000Z' });
    if (!r.ok) throw new Error(r.error.message);
    expect(isResetDue(r.value, '2027-01-01T00:00:00.000Z', 'P90D')).toBe(false);
  });

  it('the earliest of expiry, one-off and recurrence wins', () => {
    const so: Signoff = {
      ...signoffIn('Approved'),
      resetSchedule: sched({ at: '2026-06-15T00:00:00.000Z', every: 'P1Y', anchor: '2026-01-01T00:00:00.000Z' }),
    };
    expect(nextResetDue(so, 'P30D')).toBe('2026-05-31T09:00:00.000Z');
    expect(nextResetDue(so, 'P90D')).toBe('2026-06-15T00:00:00.000Z');
    expect(nextResetDue({ ...so, lastResetAt: '2026-06-16T00:00:00.000Z', status: 'Not started' })).toBe('2027-01-01T00:00:00.000Z');
  });
});
