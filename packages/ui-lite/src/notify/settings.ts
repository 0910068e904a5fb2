import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Importance, ReviewTimeoutAction, isDuration, type ReviewTimeout, type ReviewTiming } from '@signoff/core';
import { smtpConfigFromUrl, type SmtpConfig } from './transports.js';

/** A configuration problem, named by flag and variable. */
export class NotifyConfigError extends Error {
  override readonly name = 'NotifyConfigError';
}

/**
 * `Critical=P2D:escalate:risk-compliance,High=P5D:remind,*=P14D:cancel`: per importance (or `*`
 * for every level), a duration, an action and, for `escalate`, the group asked for feedback.
 * The first rule naming an item's importance applies, so put `*` last.
 */
export function parseReviewTimeouts(spec: string): ReviewTimeout[] {
  const out: ReviewTimeout[] = [];
  for (const part of spec.split(/[\s,]+/).filter(Boolean)) {
    const m = /^([A-Za-z*|]+)=(P[0-9A-Z.]+):([a-z]+)(?::([a-z0-9][a-z0-9_-]*))?$/.exec(part);
    const bad = (why: string) => new NotifyConfigError(`--review-timeouts (SIGNOFF_REVIEW_TIMEOUTS): "${part}" ${why}; expected <Importance|*>=<ISO duration>:<remind|escalate|cancel>[:<group id>], e.g. Critical=P2D:escalate:risk-compliance`);
    if (!m) throw bad('is malformed');
    const [, levels = '', after = '', action = '', group] = m;
    if (!isDuration(after)) throw bad(`has an invalid duration ${after}`);
    const a = ReviewTimeoutAction.safeParse(action);
    if (!a.success) throw bad(`has an unknown action ${action}`);
    if (a.data === 'escalate' && group === undefined) throw bad('needs a group to escalate to');
    let importance: ReviewTimeout['importance'];
    if (levels !== '*') {
      importance = [];
      for (const l of levels.split('|')) {
        const imp = Importance.safeParse(l);
        if (!imp.success) throw bad(`names an unknown importance ${l} (Critical, High, Moderate, Low or *)`);
        importance.push(imp.data);
      }
    }
    out.push({ ...(importance ? { importance } : {}), after, action: a.data, ...(group !== undefined ? { escalateTo: group } : {}) });
  }
  return out;
}

export function reviewTiming(config: { reviewReminderEvery?: string | undefined; reviewTimeouts?: string | undefined }): ReviewTiming {
  if (config.reviewReminderEvery !== undefined && !isDuration(config.reviewReminderEvery)) {
    throw new NotifyConfigError(`--review-reminder-every (SIGNOFF_REVIEW_REMINDER_EVERY): "${config.reviewReminderEvery}" is not an ISO 8601 duration such as P1D`);
  }
  return {
    ...(config.reviewReminderEvery !== undefined ? { reminderEvery: config.reviewReminderEvery } : {}),
    timeouts: config.reviewTimeouts !== undefined ? parseReviewTimeouts(config.reviewTimeouts) : [],
  };
}

/** SMTP settings from `--smtp-url` and `--mail-from`; undefined when mail is not configured. */
export function smtpSettings(config: { smtpUrl?: string | undefined; mailFrom?: string | undefined }): SmtpConfig | undefined {
  if (config.smtpUrl === undefined) return undefined;
  if (config.mailFrom === undefined) throw new NotifyConfigError('--smtp-url (SIGNOFF_SMTP_URL) needs --mail-from (SIGNOFF_MAIL_FROM), the From address of notifications.');
  const r = smtpConfigFromUrl(config.smtpUrl, config.mailFrom);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || 'url'} ${i.message}`).join('; ');
    throw new NotifyConfigError(`--smtp-url (SIGNOFF_SMTP_URL) / --mail-from (SIGNOFF_MAIL_FROM): ${issues}`);
  }
  return r.data;
}

/**
 * The notification key (unsubscribe links, webhook signing secrets): read from `file`, or
 * created there (32 random bytes, hex, mode 0600) on first start so links survive restarts.
 * Without a file (memory store), a random key for this process.
 */
export async function loadNotifySecret(file: string | undefined): Promise<Buffer> {
  if (file === undefined) return randomBytes(32);
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (text.length < 16) throw new NotifyConfigError(`The notification secret file ${file} holds fewer than 16 characters.`);
    return Buffer.from(text, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const text = randomBytes(32).toString('hex');
  try {
    await writeFile(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
    return Buffer.from(text, 'utf8');
  } catch (error) {
    // Another start wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadNotifySecret(file);
    throw error;
  }
}
