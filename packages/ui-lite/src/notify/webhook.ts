import { createHmac, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** The outcome of one delivery attempt; `ms` is the wall time it took. */
export interface WebhookResult {
  ok: boolean;
  status?: number;
  error?: string;
  ms: number;
}

export const WEBHOOK_HEADERS = {
  event: 'X-Signoff-Event',
  timestamp: 'X-Signoff-Timestamp',
  signature: 'X-Signoff-Signature',
  idempotencyKey: 'X-Signoff-Idempotency-Key',
} as const;

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_TOLERANCE_SECONDS = 300;
/** The receiver's answer is read only so the connection can be reused; nobody needs more. */
const MAX_RESPONSE_BYTES = 64 * 1024;
/** Visible ASCII only: a header value that cannot carry CR/LF or anything undici would refuse. */
const HEADER_VALUE = /^[\x21-\x7e]{1,200}$/;

/** `sha256=` + hex HMAC-SHA256 of `${timestamp}.${body}` (the Stripe/GitHub scheme). */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * Whether `signature` (the `X-Signoff-Signature` header) is `secret`'s signature of this
 * timestamp and body, and the timestamp is within `toleranceSeconds` (default 300) of `now`,
 * so a captured request cannot be replayed later. The comparison is constant-time. Several
 * signatures separated by commas or spaces are accepted (any one may match), which lets a
 * sender sign with an old and a new secret while a receiver rotates. `body` must be the raw
 * request body, byte for byte, not a re-serialised parse of it.
 */
export function verifyWebhook(
  secret: string,
  timestamp: string,
  body: string,
  signature: string,
  opts: { now?: Date; toleranceSeconds?: number } = {},
): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - Number(timestamp)) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS))
    return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body).slice('sha256='.length), 'hex');
  let match = false;
  for (const candidate of signature.split(/[\s,]+/)) {
    const m = /^sha256=([0-9a-fA-F]{64})$/.exec(candidate);
    if (!m?.[1]) continue;
    // Every candidate is compared, so the time taken does not tell which one matched.
    if (timingSafeEqual(Buffer.from(m[1], 'hex'), expected)) match = true;
  }
  return match;
}

function describe(e: unknown): string {
  const err = e as {
    name?: unknown;
    message?: unknown;
    cause?: { code?: unknown; message?: unknown };
  };
  const cause = err?.cause;
  if (cause && typeof cause.message === 'string') {
    return typeof cause.code === 'string' && !cause.message.includes(cause.code)
      ? `${cause.code}: ${cause.message}`
      : cause.message;
  }
  return typeof err?.message === 'string' ? err.message : String(e);
}

/** Reads and drops at most MAX_RESPONSE_BYTES of the answer, then lets the stream go. */
async function discardBody(res: Response): Promise<void> {
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (!reader) return;
  let seen = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
      if (seen > MAX_RESPONSE_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The verdict is the status code; a broken or slow body does not change it.
  }
}

/**
 * One signed POST of `payload` as JSON to `target.url`. Never throws: a non-2xx answer is
 * `{ ok: false, status }`, a timeout (default 5 s, covering connect, headers and body) or a
 * network error is `{ ok: false, error }`. Redirects are not followed (a 3xx is a failure
 * that names the status), so a target cannot bounce the signed payload to another host. The
 * receiver verifies `X-Signoff-Signature` over `${X-Signoff-Timestamp}.${raw body}` and
 * deduplicates on `X-Signoff-Idempotency-Key`, which stays the same across retries.
 */
export async function sendWebhook(
  target: { url: string; secret: string },
  payload: unknown,
  opts: { idempotencyKey: string; eventType: string; timeoutMs?: number; now?: () => Date },
): Promise<WebhookResult> {
  const started = performance.now();
  const finish = (r: Omit<WebhookResult, 'ms'>): WebhookResult => ({
    ...r,
    ms: Math.round(performance.now() - started),
  });
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    return finish({ ok: false, error: 'webhook url is not a valid URL' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return finish({ ok: false, error: 'webhook url must be http(s)' });
  if (url.username || url.password)
    return finish({ ok: false, error: 'webhook url must not contain credentials' });
  if (!target.secret) return finish({ ok: false, error: 'webhook secret is empty' });
  if (!HEADER_VALUE.test(opts.idempotencyKey))
    return finish({ ok: false, error: 'idempotencyKey must be 1-200 visible ASCII characters' });
  if (!HEADER_VALUE.test(opts.eventType))
    return finish({ ok: false, error: 'eventType must be 1-200 visible ASCII characters' });

  let body: string;
  try {
    const json = JSON.stringify(payload) as string | undefined;
    if (json === undefined) return finish({ ok: false, error: 'payload is not JSON-serialisable' });
    body = json;
  } catch (e) {
    return finish({ ok: false, error: `payload is not JSON-serialisable: ${describe(e)}` });
  }

  const timestamp = String(Math.floor((opts.now?.() ?? new Date()).getTime() / 1000));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: controller.signal,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'signoff',
        [WEBHOOK_HEADERS.event]: opts.eventType,
        [WEBHOOK_HEADERS.timestamp]: timestamp,
        [WEBHOOK_HEADERS.signature]: signWebhook(target.secret, timestamp, body),
        [WEBHOOK_HEADERS.idempotencyKey]: opts.idempotencyKey,
      },
      body,
    });
    await discardBody(res);
    const status = res.status;
    if (status >= 200 && status < 300) return finish({ ok: true, status });
    if (status >= 300 && status < 400)
      return finish({ ok: false, status, error: `HTTP ${status}: redirects are not followed` });
    return finish({ ok: false, status, error: `HTTP ${status}` });
  } catch (e) {
    if (controller.signal.aborted)
      return finish({ ok: false, error: `timed out after ${timeoutMs} ms` });
    return finish({ ok: false, error: describe(e) });
  } finally {
    clearTimeout(timer);
  }
}
