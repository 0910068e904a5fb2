import nodemailer from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import { z } from 'zod';

/** How to reach the SMTP relay. `secure` is implicit TLS (port 465); `requireTLS` insists on STARTTLS. */
export interface SmtpConfig {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (usually port 465). */
  secure: boolean;
  /** Refuse to send unless the server upgrades the connection with STARTTLS. */
  requireTLS?: boolean;
  user?: string;
  pass?: string;
  /** The From address, `notify@example.com` or `Signoff <notify@example.com>`. */
  from: string;
  /** Defaults to true: the relay's certificate must chain to a trusted CA and match `host`. */
  tlsRejectUnauthorized?: boolean;
}

/** One message to one recipient, as the worker hands it over. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Becomes the Message-ID header (`<id@domain>`); the worker derives it from the idempotency key. */
  messageId: string;
  headers?: Record<string, string>;
}

export interface Mailer {
  /** One delivery attempt; rejects with a {@link MailDeliveryError} (never containing the password). */
  send(msg: MailMessage): Promise<void>;
  /** Connects (and authenticates) once without sending: for start-up checks and health pages. */
  verify(): Promise<void>;
  close(): void;
}

/** Extra knobs that are not configuration: the tests shorten the timeouts. */
export interface MailerOptions {
  /** Connection, greeting and DNS timeout in ms (default 10 s); socket inactivity is 3× this. */
  timeoutMs?: number;
}

/**
 * Why an SMTP attempt failed. `code` is nodemailer's (ECONNECTION, ETIMEDOUT, ETLS, EAUTH,
 * EENVELOPE, EMESSAGE, …). `permanent` is true only when the server refused this message or
 * recipient with a 5xx reply: retrying the same message cannot help. Everything else (relay
 * down, 4xx, TLS or login trouble that an operator can fix) is worth retrying later.
 */
export class MailDeliveryError extends Error {
  override readonly name = 'MailDeliveryError';
  constructor(
    message: string,
    readonly code: string,
    readonly responseCode: number | undefined,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

const booleanish = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(
      z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], {
        error: 'must be true or false',
      }),
    )
    .transform((v) => ['1', 'true', 'yes', 'on'].includes(v)),
]);

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NO_CONTROL = /^[^\x00-\x1f\x7f]*$/;

/** The single mailbox of an address field, or undefined when it is not exactly one plain address. */
function singleMailbox(value: string): string | undefined {
  if (!NO_CONTROL.test(value)) return undefined;
  const parsed = addressparser(value, { flatten: true });
  if (parsed.length !== 1) return undefined;
  const address = parsed[0]?.address ?? '';
  // Deliberately loose (local@domain, no spaces): the relay is the judge, and dev setups use
  // addresses like signoff@localhost that a strict e-mail regex refuses.
  return /^[^\s@<>]+@[^\s@<>]+$/.test(address) ? address : undefined;
}

/**
 * SMTP settings as they come from flags, environment variables or a file: the port and the
 * booleans may be strings. Errors name the field (`port`, `from`, `pass`, …).
 */
export const SmtpConfigSchema = z
  .object({
    host: z
      .string({ error: 'required' })
      .trim()
      .min(1, 'must not be empty')
      .max(255)
      .regex(NO_CONTROL, 'must not contain control characters'),
    port: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be 1-65535')
      .max(65535, 'must be 1-65535'),
    secure: booleanish.default(false),
    requireTLS: booleanish.optional(),
    user: z
      .string()
      .min(1, 'must not be empty')
      .max(512)
      .regex(NO_CONTROL, 'must not contain control characters')
      .optional(),
    pass: z.string().min(1, 'must not be empty').max(1024).optional(),
    from: z
      .string({ error: 'required' })
      .trim()
      .max(512)
      .refine(
        (v) => singleMailbox(v) !== undefined,
        'must be one e-mail address, like notify@example.com or "Signoff <notify@example.com>"',
      ),
    tlsRejectUnauthorized: booleanish.optional(),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.user !== undefined && cfg.pass === undefined)
      ctx.addIssue({ code: 'custom', path: ['pass'], message: 'is required when user is set' });
    if (cfg.pass !== undefined && cfg.user === undefined)
      ctx.addIssue({ code: 'custom', path: ['user'], message: 'is required when pass is set' });
    if (cfg.secure && cfg.requireTLS)
      ctx.addIssue({
        code: 'custom',
        path: ['requireTLS'],
        message:
          'is for STARTTLS on a plain port; with secure the connection is TLS from the start',
      });
  });

// The schema's output must stay assignable to the published interface.
const _schemaMatchesInterface: (c: z.output<typeof SmtpConfigSchema>) => SmtpConfig = (c) => c;

const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,75}$/;
/** Headers nodemailer builds itself from the message fields: a caller must not smuggle in a second copy. */
const RESERVED_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'subject',
  'message-id',
  'date',
  'sender',
  'reply-to',
  'content-type',
  'content-transfer-encoding',
  'mime-version',
  'return-path',
]);

function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\r\n\x00-\x08\x0b-\x1f\x7f]+/g, ' ');
}

/** `<local@domain>`: the idempotency key alone gets the From domain, as RFC 5322 wants an @. */
export function formatMessageId(id: string, fromAddress: string): string {
  const bare = oneLine(id).replace(/[<>\s]/g, '');
  if (!bare) throw new Error('messageId must not be empty');
  if (bare.includes('@')) return `<${bare}>`;
  const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1) || 'signoff.invalid';
  return `<${bare}@${domain}>`;
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 3) out = out.split(s).join('***');
  return out;
}

function toDeliveryError(
  e: unknown,
  what: string,
  cfg: SmtpConfig,
  secrets: readonly string[],
): MailDeliveryError {
  const err = (e ?? {}) as {
    code?: unknown;
    responseCode?: unknown;
    message?: unknown;
    command?: unknown;
  };
  const code = typeof err.code === 'string' ? err.code : 'ESMTP';
  const responseCode = typeof err.responseCode === 'number' ? err.responseCode : undefined;
  const detail = scrub(typeof err.message === 'string' ? oneLine(err.message) : String(e), secrets);
  const permanent =
    (code === 'EENVELOPE' || code === 'EMESSAGE') &&
    responseCode !== undefined &&
    responseCode >= 500 &&
    responseCode < 600;
  const reply = responseCode !== undefined ? ` ${responseCode}` : '';
  return new MailDeliveryError(
    `SMTP ${what} via ${cfg.host}:${cfg.port} failed (${code}${reply}): ${detail}`,
    code,
    responseCode,
    permanent,
  );
}

/**
 * A mailer over one nodemailer SMTP transport. Not pooled: every `send` opens its own
 * connection, says EHLO, upgrades with STARTTLS when offered (required with `requireTLS`),
 * logs in, sends and quits. Notifications are sparse and the worker owns retries, so a fresh
 * connection per attempt is cheap and means an attempt never inherits a half-dead socket
 * from before a relay outage. Timeouts are short (10 s to connect, 30 s idle) so a hung
 * relay costs the worker one slot for seconds, not nodemailer's default minutes.
 */
export function createMailer(cfg: SmtpConfig, opts: MailerOptions = {}): Mailer {
  const timeout = opts.timeoutMs ?? 10_000;
  const fromAddress = singleMailbox(cfg.from);
  if (fromAddress === undefined) throw new Error('SMTP from must be one e-mail address');
  const secrets = cfg.pass
    ? [
        cfg.pass,
        Buffer.from(cfg.pass).toString('base64'),
        Buffer.from(`\0${cfg.user ?? ''}\0${cfg.pass}`).toString('base64'),
      ]
    : [];
  const transport = nodemailer.createTransport({
    host: cfg.host,
    port: cfg.port,
    secure: cfg.secure,
    requireTLS: cfg.requireTLS ?? false,
    ...(cfg.user !== undefined && cfg.pass !== undefined
      ? { auth: { user: cfg.user, pass: cfg.pass } }
      : {}),
    tls: { rejectUnauthorized: cfg.tlsRejectUnauthorized ?? true, minVersion: 'TLSv1.2' },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    dnsTimeout: timeout,
    socketTimeout: timeout * 3,
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });

  return {
    async send(msg) {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(msg.headers ?? {})) {
        if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase()))
          throw new Error(`invalid mail header name ${JSON.stringify(name)}`);
        headers[name] = oneLine(value);
      }
      if (singleMailbox(msg.to) === undefined)
        throw new MailDeliveryError(
          'mail recipient must be one e-mail address',
          'EENVELOPE',
          undefined,
          true,
        );
      try {
        await transport.sendMail({
          from: cfg.from,
          to: msg.to,
          subject: oneLine(msg.subject),
          text: msg.text,
          html: msg.html,
          messageId: formatMessageId(msg.messageId, fromAddress),
          headers,
        });
      } catch (e) {
        throw toDeliveryError(e, 'send', cfg, secrets);
      }
    },
    async verify() {
      try {
        await transport.verify();
      } catch (e) {
        throw toDeliveryError(e, 'verify', cfg, secrets);
      }
    },
    close() {
      transport.close();
    },
  };
}

/**
 * SMTP settings from `SIGNOFF_SMTP_URL` (`smtp://user:pass@host:port`, `smtps://…` for
 * implicit TLS) and `SIGNOFF_MAIL_FROM`. Query parameters `requireTLS` and
 * `tlsRejectUnauthorized` map to the fields of the same name. The port defaults to 587
 * (smtp) or 465 (smtps). Issues never quote the URL, which may hold the password.
 */
export function smtpConfigFromUrl(
  url: string,
  from: string,
): z.ZodSafeParseResult<z.output<typeof SmtpConfigSchema>> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return urlIssue('must be a URL like smtp://user:pass@host:587 or smtps://host:465');
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:')
    return urlIssue('must start with smtp:// or smtps://');
  const secure = u.protocol === 'smtps:';
  let user: string | undefined;
  let pass: string | undefined;
  try {
    user = u.username ? decodeURIComponent(u.username) : undefined;
    pass = u.password ? decodeURIComponent(u.password) : undefined;
  } catch {
    return urlIssue('has a badly percent-encoded user or password');
  }
  const input: Record<string, unknown> = {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port || (secure ? 465 : 587),
    secure,
    user,
    pass,
    from,
  };
  for (const key of ['requireTLS', 'tlsRejectUnauthorized'] as const) {
    const v = u.searchParams.get(key);
    if (v !== null) input[key] = v;
  }
  return SmtpConfigSchema.safeParse(input);
}

function urlIssue(message: string): z.ZodSafeParseResult<z.output<typeof SmtpConfigSchema>> {
  const error = new z.ZodError([{ code: 'custom', path: ['url'], message, input: undefined }]);
  return { success: false, error: error as z.ZodError<z.output<typeof SmtpConfigSchema>> };
}
