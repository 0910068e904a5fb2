#!/usr/bin/env node
import { Command, Option } from 'commander';
import { runApiKeyCreate, runUserAdd } from './admin-commands.js';
import { startServer } from './main.js';
import { StartupError } from './store-open.js';

/** Prints a start-up failure as one JSON log line and one plain sentence, then exits 1. */
function fail(error: unknown): never {
  const code = error instanceof StartupError ? error.code : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  process.stdout.write(`${JSON.stringify({ level: 'fatal', time: new Date().toISOString(), msg: 'startup failed', code, error: message })}\n`);
  process.stderr.write(`signoff-server: ${message}\n`);
  process.exit(1);
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').filter(Boolean)];

const program = new Command()
  .name('signoff-server')
  .description('The signoff governance server: JSON API under /api/v1, reviewer UI at /, /healthz, /readyz, /metrics.')
  .showHelpAfterError();

program
  .command('serve', { isDefault: true })
  .description('run the server (the default command)')
  .option('--port <port>', 'port to listen on, 0 for any free port (SIGNOFF_PORT, default 8080)')
  .option('--host <host>', 'address to listen on (SIGNOFF_HOST, default 127.0.0.1; 0.0.0.0 in containers)')
  .option('--data <file>', 'lowdb data file (SIGNOFF_DATA, default ./data/signoff.json)')
  .option('--demo', 'load the demo world into an empty store (SIGNOFF_DEMO)')
  .option('--public-url <url>', 'base URL people reach the server at, for links and Secure cookies (SIGNOFF_PUBLIC_URL)')
  .option('--trusted-proxy <cidr...>', 'reverse proxies whose X-Forwarded-* headers are believed (SIGNOFF_TRUSTED_PROXY)', collect)
  .option('--sso-headers', 'accept SSO identity headers from trusted proxies (SIGNOFF_SSO_HEADERS, default off)')
  .option('--sso-user-header <name>', 'SSO user header (SIGNOFF_SSO_USER_HEADER, default X-Forwarded-User)')
  .option('--sso-email-header <name>', 'SSO email header (SIGNOFF_SSO_EMAIL_HEADER, default X-Forwarded-Email)')
  .option('--sso-groups-header <name>', 'SSO groups header (SIGNOFF_SSO_GROUPS_HEADER, default X-Forwarded-Groups)')
  .addOption(new Option('--log-level <level>', 'log level (SIGNOFF_LOG_LEVEL, default info)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
  .option('--no-notifications', 'no outbox, notification worker or scheduler (SIGNOFF_NOTIFICATIONS=false)')
  .option('--smtp-url <url>', 'SMTP relay: smtp://user:pass@host:587 (STARTTLS; ?requireTLS=true insists), smtps://host:465 (SIGNOFF_SMTP_URL)')
  .option('--mail-from <address>', 'From address of notification mail (SIGNOFF_MAIL_FROM)')
  .option('--notify-secret-file <file>', 'key of unsubscribe links and webhook signatures (SIGNOFF_NOTIFY_SECRET_FILE, default <data>.notify-secret, created 0600)')
  .option('--notify-poll-ms <ms>', 'how often the worker reads the outbox (SIGNOFF_NOTIFY_POLL_MS, default 1000)')
  .option('--notify-retry-base-ms <ms>', 'first retry delay of a failed delivery, doubling (SIGNOFF_NOTIFY_RETRY_BASE_MS, default 30000)')
  .option('--notify-retry-max-ms <ms>', 'longest retry delay (SIGNOFF_NOTIFY_RETRY_MAX_MS, default 3600000)')
  .option('--notify-max-attempts <n>', 'attempts before a delivery is marked failed (SIGNOFF_NOTIFY_MAX_ATTEMPTS, default 50)')
  .option('--notify-retention-days <days>', 'days finished deliveries stay in the delivery log (SIGNOFF_NOTIFY_RETENTION_DAYS, default 30)')
  .option('--scheduler-interval-ms <ms>', 'how often resets, expiries, reminders and timeouts are checked (SIGNOFF_SCHEDULER_INTERVAL_MS, default 60000)')
  .option('--review-reminder-every <duration>', 'remind pending reviewers this often, e.g. P1D (SIGNOFF_REVIEW_REMINDER_EVERY)')
  .option('--review-timeouts <rules>', 'e.g. Critical=P2D:escalate:risk-compliance,High=P5D:remind,*=P14D:cancel (SIGNOFF_REVIEW_TIMEOUTS)')
  .action(async (flags: Record<string, unknown>) => {
    try {
      // commander sets notifications: true unless --no-notifications: leave it to the environment then.
      const { notifications, ...rest } = flags;
      await startServer({ config: notifications === false ? { ...rest, notifications: false } : rest, handleSignals: true });
    } catch (error) {
      fail(error);
    }
  });

const user = program.command('user').description('manage users in the data file (the server must be stopped)');
user
  .command('add <username>')
  .description('add a user; prints a generated password unless --password-stdin')
  .option('--admin', 'give the admin role')
  .option('--password-stdin', 'read the password from standard input')
  .option('--display-name <name>', 'display name (default: the username)')
  .option('--email <email>', 'email address')
  .option('--group <id...>', 'group ids', collect)
  .option('--role <name...>', 'extra roles', collect)
  .option('--data <file>', 'lowdb data file (SIGNOFF_DATA, default ./data/signoff.json)')
  .action(async (username: string, flags: { admin?: boolean; passwordStdin?: boolean; displayName?: string; email?: string; group?: string[]; role?: string[]; data?: string }) => {
    process.exitCode = await runUserAdd(username, flags).catch(fail);
  });

const apikey = program.command('apikey').description('manage API keys in the data file (the server must be stopped)');
apikey
  .command('create <name>')
  .description('create an API key and print its secret (shown once)')
  .requiredOption('--scope <scope...>', 'scopes: decisions:read, deployments:write, items:read, items:write, reviews:write, admin', collect)
  .option('--data <file>', 'lowdb data file (SIGNOFF_DATA, default ./data/signoff.json)')
  .action(async (name: string, flags: { scope: string[]; data?: string }) => {
    process.exitCode = await runApiKeyCreate(name, flags).catch(fail);
  });

await program.parseAsync(process.argv);
