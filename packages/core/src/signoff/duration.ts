/*
 * ISO 8601 durations, the subset `PnYnMnWnDTnHnMnS` (integers, seconds may carry a fraction),
 * and calendar arithmetic in UTC. Small enough not to warrant a dependency: the libraries on npm
 * (tinyduration, iso8601-duration) only parse, and the adding is the part that needs care.
 */
import { err, ok, type Result } from '../result.js';

export interface IsoDuration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const PATTERN =
  /^P(?:(\d{1,6})Y)?(?:(\d{1,6})M)?(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,9}(?:\.\d{1,9})?)S)?)?$/;

/**
 * Parse an ISO 8601 duration such as `P90D`, `P1Y6M`, `PT12H` or `P1W`. Refuses empty (`P`, `PT`),
 * negative, zero-length and unsupported forms with a message saying what is accepted.
 */
export function parseDuration(text: string): Result<IsoDuration> {
  const m = PATTERN.exec(text);
  const bad = (why: string) =>
    err('VALIDATION', `"${text}" is not a usable ISO 8601 duration: ${why} (expected PnYnMnWnDTnHnMnS, e.g. P90D, P1Y, PT12H).`);
  if (!m || text === 'P' || text.endsWith('T')) return bad('it does not match the pattern');
  const n = (i: number) => (m[i] === undefined ? 0 : Number(m[i]));
  const d: IsoDuration = { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), seconds: n(7) };
  if (Object.values(d).every((v) => v === 0)) return bad('it must be longer than zero');
  return ok(d);
}

/** True when `text` parses as a non-zero duration. */
export function isDuration(text: string): boolean {
  return parseDuration(text).ok;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/**
 * `start + times × d` in UTC, in milliseconds. Years and months move the calendar date and clamp
 * to the end of a shorter month (Jan 31 + P1M = Feb 28/29; + P2M = Mar 31, no drift because the
 * multiple is applied in one step); weeks and days are 24-hour days; the rest is exact time.
 */
export function addDuration(startMs: number, d: IsoDuration, times = 1): number {
  const start = new Date(startMs);
  const totalMonths = (d.years * 12 + d.months) * times;
  let ms = startMs;
  if (totalMonths !== 0) {
    const y0 = start.getUTCFullYear();
    const m0 = start.getUTCMonth() + totalMonths;
    const year = y0 + Math.floor(m0 / 12);
    const month = ((m0 % 12) + 12) % 12;
    const day = Math.min(start.getUTCDate(), daysInMonth(year, month));
    ms = Date.UTC(
      year,
      month,
      day,
      start.getUTCHours(),
      start.getUTCMinutes(),
      start.getUTCSeconds(),
      start.getUTCMilliseconds(),
    );
  }
  const fixed = ((d.weeks * 7 + d.days) * 86_400 + d.hours * 3600 + d.minutes * 60 + d.seconds) * 1000;
  return ms + Math.round(fixed * times);
}

/** A rough length used only to jump near the right multiple before stepping exactly. */
function approxMs(d: IsoDuration): number {
  return addDuration(0, { ...d, years: 0, months: 0 }) + (d.years * 365.2425 + d.months * 30.436875) * 86_400_000;
}

/**
 * The first occurrence `anchor + k × d` (k ≥ 1) strictly after `afterMs`. With `afterMs` before
 * the anchor this is the first period end.
 */
export function nextOccurrence(anchorMs: number, d: IsoDuration, afterMs: number): number {
  let k = 1;
  if (afterMs > anchorMs) k = Math.max(1, Math.floor((afterMs - anchorMs) / approxMs(d)) - 2);
  while (addDuration(anchorMs, d, k) <= afterMs) k++;
  // Step back if the estimate overshot (calendar months are shorter than the rough length).
  while (k > 1 && addDuration(anchorMs, d, k - 1) > afterMs) k--;
  return addDuration(anchorMs, d, k);
}
