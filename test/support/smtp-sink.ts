/**
 * A real SMTP server for tests (the `smtp-server` package on 127.0.0.1, port 0) that keeps
 * every message it accepts, parsed with `mailparser`. Options: STARTTLS or implicit TLS with a
 * throwaway self-signed certificate, required AUTH (PLAIN/LOGIN) with one user, and a `mode`
 * switch to make it refuse mail (5xx), defer it (4xx) or drop connections at the greeting.
 * `down()` stops listening (connection refused) and `up()` listens again on the same port, so
 * a server configured with the sink's port sees a relay outage and its recovery.
 */
import { isIP } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { generate } from 'selfsigned';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface SmtpSinkOptions {
  /** Offer STARTTLS on the plain port (a throwaway certificate for localhost and 127.0.0.1). */
  starttls?: boolean;
  /** Implicit TLS from the first byte (like port 465). */
  implicitTls?: boolean;
  /** Require AUTH PLAIN/LOGIN with exactly these credentials. */
  auth?: { user: string; pass: string };
  /** Largest message accepted, in bytes (default 10 MiB). */
  maxSize?: number;
}

/** What the sink does with the next transactions. */
export type SmtpSinkMode =
  /** Accept and keep every message. */
  | 'accept'
  /** 550 to every RCPT TO: a permanent refusal of the recipient. */
  | 'reject'
  /** 451 to every MAIL FROM: "try again later". */
  | 'tempfail'
  /** 421 at the greeting, then hang up: the relay is there but refuses to talk. */
  | 'refuse'
  /** Accept the TCP connection and never greet: a wedged relay (clients time out). */
  | 'hang';

export interface ReceivedMail {
  /** Envelope sender and recipients, as given in MAIL FROM and RCPT TO. */
  from: string;
  to: string[];
  raw: Buffer;
  parsed: ParsedMail;
  /** Whether the connection was TLS when the message was sent (STARTTLS or implicit). */
  secure: boolean;
  /** The authenticated user, when the client logged in. */
  user?: string;
  at: Date;
}

export interface SmtpSink {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** PEM of the sink's self-signed certificate (also its own CA), when TLS is on. */
  readonly cert?: string;
  readonly messages: ReceivedMail[];
  /** Connections accepted so far (also counts refused ones in `refuse` mode). */
  readonly connections: number;
  /** Failed AUTH attempts so far. */
  readonly authFailures: number;
  mode: SmtpSinkMode;
  /** Resolves once at least `n` messages were received (rejects after `timeoutMs`, default 5 s). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Stop listening and drop open connections: clients get "connection refused". */
  down(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

let certPromise: Promise<{ cert: string; key: string }> | undefined;

/** One throwaway certificate per test process, for localhost and 127.0.0.1. */
function throwawayCert(): Promise<{ cert: string; key: string }> {
  certPromise ??= (async () => {
    const names = ['localhost', '127.0.0.1'];
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: new Date(Date.now() - 60_000),
      notAfterDate: new Date(Date.now() + 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: names.map((n) =>
            isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n },
          ),
        },
      ],
    });
    return { cert: pems.cert, key: pems.private };
  })();
  return certPromise;
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const tls = opts.starttls || opts.implicitTls ? await throwawayCert() : undefined;
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  let connections = 0;
  let authFailures = 0;
  let port = 0;
  let server: SMTPServer | undefined;

  const sink = {
    host: '127.0.0.1' as const,
    get port() {
      return port;
    },
    cert: tls?.cert,
    messages,
    get connections() {
      return connections;
    },
    get authFailures() {
      return authFailures;
    },
    mode: 'accept' as SmtpSinkMode,
    waitFor,
    down,
    up,
    close: down,
  };

  function options(): SMTPServerOptions {
    return {
      secure: opts.implicitTls ?? false,
      ...(tls ? { key: tls.key, cert: tls.cert } : {}),
      hideSTARTTLS: !opts.starttls,
      disabledCommands: [...(opts.starttls ? [] : ['STARTTLS']), ...(opts.auth ? [] : ['AUTH'])],
      authOptional: opts.auth === undefined,
      authMethods: ['PLAIN', 'LOGIN'],
      // Without TLS the test still wants to see AUTH work; with TLS the default applies.
      allowInsecureAuth: !tls,
      size: opts.maxSize ?? 10 * 1024 * 1024,
      disableReverseLookup: true,
      logger: false,
      banner: 'signoff test sink',
      closeTimeout: 100,
      onConnect(_session, callback) {
        connections++;
        // Never calling back means never greeting; close() drops such connections.
        if (sink.mode === 'hang') return;
        if (sink.mode === 'refuse')
          return callback(smtpError('Service not available, closing transmission channel', 421));
        callback();
      },
      onAuth(auth, _session, callback) {
        if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass)
          return callback(null, { user: auth.username });
        authFailures++;
        callback(smtpError('Authentication credentials invalid', 535));
      },
      onMailFrom(_address, _session, callback) {
        if (sink.mode === 'tempfail')
          return callback(smtpError('Requested action aborted: try again later', 451));
        callback();
      },
      onRcptTo(_address, _session, callback) {
        if (sink.mode === 'reject') return callback(smtpError('Mailbox unavailable', 550));
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', (e: Error) => callback(e));
        stream.on('end', () => {
          if (stream.sizeExceeded)
            return callback(smtpError('Message exceeds fixed maximum message size', 552));
          const raw = Buffer.concat(chunks);
          const envelope = session.envelope;
          simpleParser(raw).then(
            (parsed) => {
              messages.push({
                from: envelope.mailFrom ? envelope.mailFrom.address : '',
                to: envelope.rcptTo.map((r) => r.address),
                raw,
                parsed,
                secure: session.secure,
                ...(typeof session.user === 'string' ? { user: session.user } : {}),
                at: new Date(),
              });
              for (const w of waiters) w();
              callback();
            },
            (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
          );
        });
      },
    };
  }

  async function up(): Promise<void> {
    if (server) return;
    const s = new SMTPServer(options());
    s.on('error', () => {
      // Client resets and TLS errors are expected in tests that break connections on purpose.
    });
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.server.off('error', reject);
        resolve();
      });
    });
    const address = s.server.address();
    if (address && typeof address === 'object') port = address.port;
    server = s;
  }

  async function down(): Promise<void> {
    const s = server;
    if (!s) return;
    server = undefined;
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  function waitFor(n: number, timeoutMs = 5_000): Promise<ReceivedMail[]> {
    if (messages.length >= n) return Promise.resolve(messages);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (messages.length < n) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(messages);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`smtp sink: ${messages.length} of ${n} messages after ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
    });
  }

  await up();
  return sink;
}
