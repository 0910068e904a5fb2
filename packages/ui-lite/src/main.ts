import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import {
  apiRouteList,
  createGovernanceService,
  createMemoryStore,
  notificationRouteList,
  withNotifications,
  type Clock,
  type GovernanceService,
  type ScryptParams,
  type Store,
} from '@signoff/core';
import { closeApp, createApp } from './app.js';
import { resolveConfig, type ServerConfig, type ServerConfigInput } from './config.js';
import { bootstrapStore } from './bootstrap.js';
import { openDataStore, StartupError } from './store-open.js';
import { loadGithubAppConfig } from './github-app-config.js';
import { createLogger, type Logger } from './ops/logger.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { loadNotifySecret, reviewTiming, smtpSettings } from './notify/settings.js';
import { createNotificationRuntime, type NotificationRuntime } from './notify/runtime.js';
import { createUnsubscribeHandler, isUnsubscribeRequest } from './notify/unsubscribe.js';
import type { MailerOptions } from './notify/transports.js';

export interface StartServerOptions {
  /** Settings as `signoff-server` flags would give them; unset ones come from the environment. */
  config?: ServerConfigInput;
  /** Read `SIGNOFF_*` variables (default true; tests pass `{}` to be hermetic). */
  env?: Record<string, string | undefined>;
  /** Use this store instead of opening `config.data` (e.g. `createMemoryStore()`); `'memory'` makes one. */
  store?: Store | 'memory';
  clock?: Clock;
  logger?: Logger;
  /** Where one-time secrets are printed (first admin password, demo credentials); default stderr. */
  print?: (text: string) => void;
  /** Exit cleanly on SIGTERM / SIGINT (the bin sets this). */
  handleSignals?: boolean;
  /** Check each API answer against its schema (tests). */
  validateResponses?: boolean;
  /** Failed sign-ins allowed per address and username per window. */
  loginRateLimit?: { limit?: number; windowMs?: number };
  /** Drain time before open connections are cut at shutdown (default 10 s). */
  drainMs?: number;
  /** scrypt cost of new password hashes (tests lower it). */
  passwordParams?: ScryptParams;
  /** SMTP client knobs (tests shorten the timeouts). */
  mailerOptions?: MailerOptions;
}

export interface RunningServer {
  url: string;
  port: number;
  config: ServerConfig;
  server: Server;
  app: Express;
  service: GovernanceService;
  store: Store;
  metrics: Metrics;
  logger: Logger;
  /** Credentials created at start (first admin, demo users and key), for tests and scripts. */
  credentials: StartCredentials;
  /** The notification worker and scheduler (absent with --notifications=false). */
  notifications?: NotificationRuntime;
  /** Stops accepting, drains in-flight requests, closes the store. Idempotent. */
  close(): Promise<void>;
}

export interface StartCredentials {
  admin?: { username: string; password: string };
  demoUsers?: { username: string; password: string }[];
  demoApiKey?: string;
}

const systemClock: Clock = { now: () => new Date() };

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        error.code === 'EADDRINUSE'
          ? new StartupError('PORT_IN_USE', `Port ${port} on ${host} is already in use: stop the other program or choose another --port.`)
          : error.code === 'EACCES'
            ? new StartupError('PORT_DENIED', `Not allowed to listen on port ${port} on ${host}.`)
            : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
              ? new StartupError('HOST_INVALID', `Cannot listen on host ${host}: ${error.message}`)
              : error,
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Starts the governance server: opens the store (a lowdb file holding an exclusive lock,
 * or an injected one), listens, creates the first admin or loads the demo world when the
 * store is empty, and logs `{"msg":"listening","url":…}`. Throws a `StartupError` with a
 * clear message when the port is taken or the data file is locked, corrupt or too new.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const resolved = resolveConfig(options.config ?? {}, options.env ?? process.env);
  if (!resolved.ok) throw new StartupError('CONFIG', resolved.error.message);
  const config = resolved.value;
  if (config.ssoHeaders && config.trustedProxies.length === 0) {
    throw new StartupError('CONFIG', '--sso-headers needs --trusted-proxy: without it anyone could claim any identity.');
  }
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  // Scripts and tests read the port from the "listening" line: start and stop lines are written
  // at any level but silent.
  const lifecycle = logger.level === 'silent' ? logger : logger.child({}, { level: 'info' });
  const clock = options.clock ?? systemClock;
  const print = options.print ?? ((text: string) => process.stderr.write(text));
  const githubApp = await loadGithubAppConfig(config);
  let notify: { secret: Buffer; smtp: ReturnType<typeof smtpSettings>; timing: ReturnType<typeof reviewTiming> } | undefined;
  if (config.notifications) {
    try {
      const secretFile = config.notifySecretFile ?? (options.store === undefined ? `${config.data}.notify-secret` : undefined);
      notify = { smtp: smtpSettings(config), timing: reviewTiming(config), secret: await loadNotifySecret(secretFile) };
    } catch (error) {
      throw new StartupError('CONFIG', (error as Error).message, { cause: error });
    }
  }

  const store: Store =
    options.store === 'memory' ? createMemoryStore() : (options.store ?? (await openDataStore(config.data)));

  // Requests that arrive before the app is built (it needs the port for its public URL) get a 503.
  const slot: { handler?: (req: IncomingMessage, res: ServerResponse) => void } = {};
  const server = createServer((req, res) => {
    if (slot.handler) {
      slot.handler(req, res);
      return;
    }
    res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' });
    res.end(JSON.stringify({ type: 'https://signoff.dev/problems/unavailable', title: 'Starting', status: 503, detail: 'The server is starting.', code: 'UNAVAILABLE' }));
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;

  let address: AddressInfo;
  try {
    address = await listen(server, config.port, config.host);
  } catch (error) {
    if (options.store === undefined || options.store === 'memory') await store.close();
    throw error;
  }
  const url = `http://${urlHost(config.host)}:${address.port}`;
  const publicUrl = (config.publicUrl ?? url).replace(/\/+$/, '');

  let ready = false;
  let closing: Promise<void> | undefined;
  const metrics = createMetrics();
  const service = createGovernanceService({
    // With notifications on, every transaction also writes the outbox entries it causes.
    store: notify ? withNotifications(store) : store,
    clock,
    publicUrl,
    ...(options.passwordParams ? { passwordParams: options.passwordParams } : {}),
    ...(notify ? { notifySecret: notify.secret } : {}),
  });
  let credentials: StartCredentials;
  try {
    credentials = await bootstrapStore({ service, store, clock, config, logger, print });
  } catch (error) {
    server.close();
    await store.close();
    throw error;
  }

  const app = createApp({
    service,
    store,
    clock,
    logger,
    metrics,
    publicUrl,
    trustedProxies: config.trustedProxies,
    sso: config.ssoHeaders
      ? { userHeader: config.ssoUserHeader, emailHeader: config.ssoEmailHeader, groupsHeader: config.ssoGroupsHeader }
      : false,
    ...(githubApp ? { githubApp } : {}),
    ...(options.loginRateLimit ? { loginRateLimit: options.loginRateLimit } : {}),
    validateResponses: options.validateResponses ?? false,
    isReady: () => ready,
    routes: notify ? [...apiRouteList, ...notificationRouteList] : apiRouteList,
  });
  const notifications = notify
    ? createNotificationRuntime({
        store,
        clock,
        logger,
        service,
        publicUrl,
        secret: notify.secret,
        ...(notify.smtp ? { smtp: notify.smtp } : {}),
        ...(options.mailerOptions ? { mailerOptions: options.mailerOptions } : {}),
        retry: { baseMs: config.notifyRetryBaseMs, maxMs: config.notifyRetryMaxMs, maxAttempts: config.notifyMaxAttempts },
        timing: notify.timing,
        retentionMs: config.notifyRetentionDays * 24 * 3600_000,
        registry: metrics.registry,
      })
    : undefined;
  const unsubscribe = notify ? createUnsubscribeHandler({ service, logger: logger.child({ component: 'notify' }), secret: notify.secret, clock }) : undefined;
  slot.handler = unsubscribe
    ? (req, res) => {
        if (isUnsubscribeRequest(req)) unsubscribe(req, res);
        else app(req, res);
      }
    : app;
  ready = true;
  notifications?.start({ pollMs: config.notifyPollMs, schedulerIntervalMs: config.schedulerIntervalMs });

  const drainMs = options.drainMs ?? 10_000;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ready = false;
      lifecycle.info('shutting down: draining requests');
      closeApp(app);
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // A keep-alive connection whose request was in flight becomes idle once answered: close it
      // then (polled, so the request path carries no shutdown hook) rather than at the drain limit.
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      const timer = setTimeout(() => server.closeAllConnections(), drainMs);
      timer.unref();
      await drained;
      clearInterval(idle);
      clearTimeout(timer);
      await notifications?.stop();
      await store.close();
      lifecycle.info('stopped');
    })();
    return closing;
  };

  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'signal received');
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  // Only now: whoever reads this line may send SIGTERM at once, and the handlers must be there.
  lifecycle.info({ url, publicUrl, data: options.store ? 'memory' : config.data, demo: config.demo }, 'listening');

  return { url, port: address.port, config, server, app, service, store, metrics, logger, credentials, ...(notifications ? { notifications } : {}), close };
}


export { StartupError };
