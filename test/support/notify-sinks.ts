import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  from: string;
  parsed: ParsedMail;
  /** Header value by lower-case name (first one). */
  header(name: string): string | undefined;
  /** The X-Signoff-Idempotency-Key header. */
  key: string;
  event: string;
  item: string;
}

export interface MailSink {
  port: number;
  url: string;
  mails: ReceivedMail[];
  /** Resolves when `predicate` holds for the mails received (polls; rejects after `timeoutMs`). */
  waitFor(predicate: (mails: ReceivedMail[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  close(): Promise<void>;
}

function headerText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && 'text' in v && typeof v.text === 'string') return v.text;
  return JSON.stringify(v);
}

/** A real SMTP server (smtp-server, no auth, no STARTTLS) on 127.0.0.1:`port` (0: any), parsing every mail with mailparser. */
export async function startMailSink(port = 0): Promise<MailSink> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          // Raw header lines: mailparser turns some (List-Unsubscribe) into objects.
          const header = (name: string) => {
            const line = parsed.headerLines.find((h) => h.key === name.toLowerCase());
            return line ? line.line.slice(line.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim() : headerText(parsed.headers.get(name.toLowerCase()));
          };
          mails.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            parsed,
            header,
            key: header('x-signoff-idempotency-key') ?? '',
            event: header('x-signoff-event') ?? '',
            item: header('x-signoff-item') ?? '',
          });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `smtp://127.0.0.1:${actual}`,
    mails,
    async waitFor(predicate, timeoutMs = 15_000, what = 'mail') {
      const until = Date.now() + timeoutMs;
      while (!predicate(mails)) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}; got ${mails.length} mails: ${mails.map((m) => `${m.to.join(',')} ${m.event} ${m.item}`).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nobody listens on (bound, read and released): connections to it are refused. */
export async function deadPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface WebhookCall {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  calls: WebhookCall[];
  /** Status to answer the n-th call (0-based) with. */
  respond: (n: number, body: string) => number;
  close(): Promise<void>;
}

/** An HTTP receiver on port 0 that records every call and answers `respond(n)`. */
export async function startWebhookReceiver(respond: (n: number, body: string) => number): Promise<WebhookReceiver> {
  const calls: WebhookCall[] = [];
  const receiver: { respond: typeof respond } = { respond };
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = receiver.respond(calls.length, body);
      calls.push({ headers: req.headers, body, status });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    calls,
    get respond() {
      return receiver.respond;
    },
    set respond(fn) {
      receiver.respond = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** How a receiver checks a call, written from the README's recipe (not from the sender's code). */
export function verifySignature(secret: string, call: WebhookCall, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const ts = String(call.headers['x-signoff-timestamp'] ?? '');
  const sig = String(call.headers['x-signoff-signature'] ?? '');
  if (!/^\d+$/.test(ts) || Math.abs(nowSeconds - Number(ts)) > 300) return false;
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${ts}.${call.body}`).digest('hex')}`);
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
