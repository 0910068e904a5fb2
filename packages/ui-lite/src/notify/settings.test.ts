import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { loadNotifySecret, parseReviewTimeouts, reviewTiming, smtpSettings } from './settings.js';
import { backoffMs } from './worker.js';

describe('notification settings', () => {
  it('parses review timeout rules per importance, and names the flag of a bad one', () => {
    expect(parseReviewTimeouts('Critical=P2D:escalate:risk-compliance, High|Moderate=P5D:remind,*=P14D:cancel')).toEqual([
      { importance: ['Critical'], after: 'P2D', action: 'escalate', escalateTo: 'risk-compliance' },
      { importance: ['High', 'Moderate'], after: 'P5D', action: 'remind' },
      { after: 'P14D', action: 'cancel' },
    ]);
    for (const bad of ['Critical=2 days:remind', 'Urgent=P1D:remind', 'Low=P1D:explode', 'Low=P1D:escalate', 'nonsense']) {
      expect(() => parseReviewTimeouts(bad), bad).toThrow(/--review-timeouts \(SIGNOFF_REVIEW_TIMEOUTS\)/);
    }
    expect(() => reviewTiming({ reviewReminderEvery: 'P' })).toThrow(/SIGNOFF_REVIEW_REMINDER_EVERY/);
    expect(reviewTiming({ reviewReminderEvery: 'PT12H' })).toEqual({ reminderEvery: 'PT12H', timeouts: [] });
  });

  it('reads SMTP from a URL and the From address, never quoting the password in errors', () => {
    expect(smtpSettings({})).toBeUndefined();
    expect(smtpSettings({ smtpUrl: 'smtps://u:p%40ss@mail.example.com', mailFrom: 'n@example.com' })).toMatchObject({ host: 'mail.example.com', port: 465, secure: true, user: 'u', pass: 'p@ss' });
    expect(() => smtpSettings({ smtpUrl: 'smtp://mail.example.com' })).toThrow(/SIGNOFF_MAIL_FROM/);
    let message = '';
    try {
      smtpSettings({ smtpUrl: 'http://u:hunter2@mail.example.com', mailFrom: 'n@example.com' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('SIGNOFF_SMTP_URL');
    expect(message).not.toContain('hunter2');
  });

  it('takes the notification settings from SIGNOFF_* variables with defaults', () => {
    const r = resolveConfig({}, { SIGNOFF_SMTP_URL: 'smtp://relay:25', SIGNOFF_MAIL_FROM: 'n@example.com', SIGNOFF_NOTIFY_RETRY_BASE_MS: '500', SIGNOFF_NOTIFICATIONS: 'off' });
    expect(r.ok && r.value).toMatchObject({ smtpUrl: 'smtp://relay:25', mailFrom: 'n@example.com', notifyRetryBaseMs: 500, notifyRetryMaxMs: 3_600_000, notifications: false, notifyPollMs: 1000 });
    const bad = resolveConfig({}, { SIGNOFF_NOTIFY_POLL_MS: 'often' });
    expect(bad.ok ? '' : bad.error.message).toContain('--notify-poll-ms (SIGNOFF_NOTIFY_POLL_MS)');
  });

  it('creates the secret file once (0600) and reads it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signoff-secret-'));
    try {
      const file = join(dir, 'notify-secret');
      const a = await loadNotifySecret(file);
      expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
      expect((await loadNotifySecret(file)).equals(a)).toBe(true);
      expect(readFileSync(file, 'utf8').trim()).toBe(a.toString('utf8'));
      expect((await loadNotifySecret(undefined)).length).toBe(32);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('backs off exponentially up to the cap', () => {
    const p = { baseMs: 100, maxMs: 1000, maxAttempts: 10 };
    expect([1, 2, 3, 4, 5, 40].map((n) => backoffMs(p, n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});
