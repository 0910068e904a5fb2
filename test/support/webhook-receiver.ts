/**
 * A real HTTP server on 127.0.0.1, port 0, that records every request (raw body included) and
 * answers 204, or 500 for the first `failFirst` requests, or whatever `respond` says. For
 * webhook delivery tests: signature checks, retries after 5xx, timeouts (`delayMs`),
 * redirects (`respond` returning a 3xx with a location).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ReceivedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Lower-cased header names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  /** The raw body as UTF-8: what a receiver verifies the signature over. */
  body: string;
  /** The status the receiver answered. */
  status: number;
  at: Date;
}

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (for timeout tests). */
  delayMs?: number;
}

export interface WebhookReceiverOptions {
  /** Answer `failStatus` (default 500) to the first N requests, then 204. */
  failFirst?: number;
  failStatus?: number;
  /** Delay every answer by this many ms. */
  delayMs?: number;
  /** Full control: the answer to the `index`-th request (0-based). Overrides failFirst. */
  respond?: (req: Omit<ReceivedRequest, 'status' | 'at'>, index: number) => ReceiverAnswer;
}

export interface WebhookReceiver {
  /** Base URL, e.g. `http://127.0.0.1:41234`; any path is accepted. */
  readonly url: string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  /** Change the behaviour for the next requests (counts continue from the requests so far). */
  options: WebhookReceiverOptions;
  /** Resolves once at least `n` requests were answered (rejects after `timeoutMs`, default 5 s). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

export async function startWebhookReceiver(
  options: WebhookReceiverOptions = {},
): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  let seen = 0;
  const timers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    const index = seen++;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const base = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const opts = receiver.options;
      const answer: ReceiverAnswer =
        size > MAX_BODY
          ? { status: 413 }
          : opts.respond
            ? opts.respond(base, index)
            : index < (opts.failFirst ?? 0)
              ? { status: opts.failStatus ?? 500, body: 'failing on purpose' }
              : { status: 204 };
      const send = (): void => {
        requests.push({ ...base, status: answer.status, at: new Date() });
        for (const w of waiters) w();
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      };
      const delay = answer.delayMs ?? opts.delayMs ?? 0;
      if (delay > 0) {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!res.destroyed) send();
        }, delay);
        timers.add(t);
      } else send();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;

  const receiver: WebhookReceiver = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    options,
    waitFor(n, timeoutMs = 5_000) {
      if (requests.length >= n) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (requests.length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(requests);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `webhook receiver: ${requests.length} of ${n} requests after ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets (fetch pools them) would hold close() open.
        server.closeAllConnections();
      });
    },
  };
  return receiver;
}
