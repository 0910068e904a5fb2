import { z } from 'zod';
import { issuesFromZod, type Result } from '@signoff/core';
import { LOG_LEVELS } from './ops/logger.js';

const booleanish = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', '']))
    .transform((v) => ['1', 'true', 'yes', 'on'].includes(v)),
]);

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name')
  .transform((v) => v.toLowerCase());

/** Everything `signoff-server serve` can be told, from flags or `SIGNOFF_*` variables. */
export const ServerConfig = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).max(255).default('127.0.0.1'),
  data: z.string().min(1).default('./data/signoff.json'),
  demo: booleanish.default(false),
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  trustedProxies: z.array(z.string().min(1)).default([]),
  ssoHeaders: booleanish.default(false),
  ssoUserHeader: headerName.default('x-forwarded-user'),
  ssoEmailHeader: headerName.default('x-forwarded-email'),
  ssoGroupsHeader: headerName.default('x-forwarded-groups'),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** Password of the `admin` user created on first start (otherwise a random one is printed). */
  adminPassword: z.string().min(8, 'must be at least 8 characters').max(1024).optional(),
  /** Demo mode only: every demo user's password. */
  demoPassword: z.string().min(8, 'must be at least 8 characters').max(1024).optional(),
  /** Demo mode only: the secret of the demo API key. */
  demoApiKey: z.string().min(16, 'must be at least 16 characters').max(512).optional(),
  /** GitHub App protection rule (mounted at /github/ when all three are given). */
  githubAppId: z.string().min(1).optional(),
  githubAppPrivateKeyFile: z.string().min(1).optional(),
  githubWebhookSecret: z.string().min(1).optional(),
  // ---- notifications (issue 7)
  /** Write an outbox and run the notification worker and the scheduler (default on). */
  notifications: booleanish.default(true),
  /** `smtp://user:pass@host:port` (STARTTLS when offered; `?requireTLS=true` insists), `smtps://…` for implicit TLS. */
  smtpUrl: z.string().min(1).max(2000).optional(),
  mailFrom: z.string().min(3).max(512).optional(),
  /** File holding the key of unsubscribe links and webhook signatures; default `<data>.notify-secret`, created 0600. */
  notifySecretFile: z.string().min(1).optional(),
  /** How often the worker looks at the outbox (ms). */
  notifyPollMs: z.coerce.number().int().min(10).max(3_600_000).default(1000),
  /** First retry delay of a failed delivery (ms); doubles per attempt up to notifyRetryMaxMs. */
  notifyRetryBaseMs: z.coerce.number().int().min(10).max(86_400_000).default(30_000),
  notifyRetryMaxMs: z.coerce.number().int().min(10).max(86_400_000).default(3_600_000),
  /** Attempts per delivery before it is marked failed. */
  notifyMaxAttempts: z.coerce.number().int().min(1).max(10_000).default(50),
  /** Finished deliveries and sent outbox entries are kept this many days in the delivery log. */
  notifyRetentionDays: z.coerce.number().int().min(1).max(3650).default(30),
  /** How often the scheduler runs resets, expiries, reminders and timeouts (ms). */
  schedulerIntervalMs: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  /** Default reminder period for pending reviews (ISO 8601 duration, e.g. P1D); templates may override. */
  reviewReminderEvery: z.string().regex(/^P(?=.)/, 'must be an ISO 8601 duration such as P1D').optional(),
  /** Default review timeouts, e.g. `Critical=P2D:escalate:risk-compliance,High=P5D:remind,*=P14D:cancel`. */
  reviewTimeouts: z.string().max(2000).optional(),
});
export type ServerConfig = z.infer<typeof ServerConfig>;
export type ServerConfigInput = z.input<typeof ServerConfig>;

/** Environment variable of each setting. */
export const ENV: Record<keyof ServerConfig, string> = {
  port: 'SIGNOFF_PORT',
  host: 'SIGNOFF_HOST',
  data: 'SIGNOFF_DATA',
  demo: 'SIGNOFF_DEMO',
  publicUrl: 'SIGNOFF_PUBLIC_URL',
  trustedProxies: 'SIGNOFF_TRUSTED_PROXY',
  ssoHeaders: 'SIGNOFF_SSO_HEADERS',
  ssoUserHeader: 'SIGNOFF_SSO_USER_HEADER',
  ssoEmailHeader: 'SIGNOFF_SSO_EMAIL_HEADER',
  ssoGroupsHeader: 'SIGNOFF_SSO_GROUPS_HEADER',
  logLevel: 'SIGNOFF_LOG_LEVEL',
  adminPassword: 'SIGNOFF_ADMIN_PASSWORD',
  demoPassword: 'SIGNOFF_DEMO_PASSWORD',
  demoApiKey: 'SIGNOFF_DEMO_API_KEY',
  githubAppId: 'SIGNOFF_GITHUB_APP_ID',
  githubAppPrivateKeyFile: 'SIGNOFF_GITHUB_APP_PRIVATE_KEY_FILE',
  githubWebhookSecret: 'SIGNOFF_GITHUB_WEBHOOK_SECRET',
  notifications: 'SIGNOFF_NOTIFICATIONS',
  smtpUrl: 'SIGNOFF_SMTP_URL',
  mailFrom: 'SIGNOFF_MAIL_FROM',
  notifySecretFile: 'SIGNOFF_NOTIFY_SECRET_FILE',
  notifyPollMs: 'SIGNOFF_NOTIFY_POLL_MS',
  notifyRetryBaseMs: 'SIGNOFF_NOTIFY_RETRY_BASE_MS',
  notifyRetryMaxMs: 'SIGNOFF_NOTIFY_RETRY_MAX_MS',
  notifyMaxAttempts: 'SIGNOFF_NOTIFY_MAX_ATTEMPTS',
  notifyRetentionDays: 'SIGNOFF_NOTIFY_RETENTION_DAYS',
  schedulerIntervalMs: 'SIGNOFF_SCHEDULER_INTERVAL_MS',
  reviewReminderEvery: 'SIGNOFF_REVIEW_REMINDER_EVERY',
  reviewTimeouts: 'SIGNOFF_REVIEW_TIMEOUTS',
};

/**
 * Flags win over environment variables, which win over defaults. Empty variables count as
 * unset. `SIGNOFF_TRUSTED_PROXY` holds a comma- or space-separated list.
 */
export function resolveConfig(
  flags: Partial<Record<keyof ServerConfig, unknown>>,
  env: Record<string, string | undefined> = process.env,
): Result<ServerConfig> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ENV) as (keyof ServerConfig)[]) {
    const flag = flags[key];
    const fromEnv = env[ENV[key]];
    if (flag !== undefined) raw[key] = flag;
    else if (fromEnv !== undefined && fromEnv !== '') {
      raw[key] = key === 'trustedProxies' ? fromEnv.split(/[\s,]+/).filter(Boolean) : fromEnv;
    }
  }
  const parsed = ServerConfig.safeParse(raw);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error.issues);
    const text = issues.map((i) => `${describe(String(i.path[0] ?? ''))}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'VALIDATION', message: `Invalid configuration: ${text}`, issues } };
  }
  return { ok: true, value: parsed.data };
}

function describe(key: string): string {
  const env = (ENV as Record<string, string | undefined>)[key];
  const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return env ? `${flag} (${env})` : flag;
}
