import { createServer } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../../../test/support/webhook-receiver.js';
import { sendWebhook, signWebhook, verifyWebhook } from './webhook.js';

const SECRET = 'whsec_test';
const T = new Date('2023-11-14T22:13:20Z'); // 1700000000

describe('signWebhook / verifyWebhook', () => {
  it('matches an HMAC-SHA256 computed independently (openssl dgst -sha256 -hmac)', () => {
    expect(signWebhook(SECRET, '1700000000', '{"a":1}')).toBe(
      'sha256=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789',
    );
  });

  it('accepts its own signature within the tolerance and nothing else', () => {
    const body = '{"event":"feedback_requested","item":"shop/web-bundle@v2"}';
    const sig = signWebhook(SECRET, '1700000000', body);
    expect(verifyWebhook(SECRET, '1700000000', body, sig, { now: T })).toBe(true);
    expect(
      verifyWebhook(SECRET, '1700000000', body, sig.toUpperCase().replace('SHA256=', 'sha256='), {
        now: T,
      }),
    ).toBe(true);
    expect(verifyWebhook(SECRET, '1700000000', body.replace('v2', 'v3'), sig, { now: T })).toBe(
      false,
    );
    expect(verifyWebhook('whsec_other', '1700000000', body, sig, { now: T })).toBe(false);
    expect(verifyWebhook(SECRET, '1700000001', body, sig, { now: T })).toBe(false);
    expect(verifyWebhook(SECRET, '1700000000', body, sig.slice(0, -2), { now: T })).toBe(false);
    expect(
      verifyWebhook(SECRET, '1700000000', body, sig.replace('sha256=', 'sha1='), { now: T }),
    ).toBe(false);
    expect(verifyWebhook(SECRET, '1700000000', body, '', { now: T })).toBe(false);
    expect(verifyWebhook(SECRET, '1700000000.5', body, sig, { now: T })).toBe(false);
    // Replay window: 300 s by default, configurable.
    expect(
      verifyWebhook(SECRET, '1700000000', body, sig, { now: new Date(T.getTime() + 300_000) }),
    ).toBe(true);
    expect(
      verifyWebhook(SECRET, '1700000000', body, sig, { now: new Date(T.getTime() + 301_000) }),
    ).toBe(false);
    expect(
      verifyWebhook(SECRET, '1700000000', body, sig, { now: new Date(T.getTime() - 301_000) }),
    ).toBe(false);
    expect(
      verifyWebhook(SECRET, '1700000000', body, sig, {
        now: new Date(T.getTime() + 3_600_000),
        toleranceSeconds: 3600,
      }),
    ).toBe(true);
    // Secret rotation: any one of several signatures may match.
    expect(
      verifyWebhook(
        SECRET,
        '1700000000',
        body,
        `${signWebhook('old', '1700000000', body)}, ${sig}`,
        { now: T },
      ),
    ).toBe(true);
  });

  it('property: a signature verifies for its body only', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.string(),
        fc.nat({ max: 4_000_000_000 }),
        fc.nat(),
        (secret, body, ts, flip) => {
          const timestamp = String(ts);
          const now = new Date(ts * 1000);
          const sig = signWebhook(secret, timestamp, body);
          if (!verifyWebhook(secret, timestamp, body, sig, { now })) return false;
          const tampered =
            body.length === 0
              ? 'x'
              : body.slice(0, flip % body.length) +
                (body[flip % body.length] === 'a' ? 'b' : 'a') +
                body.slice((flip % body.length) + 1);
          return !verifyWebhook(secret, timestamp, tampered, sig, { now });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('sendWebhook to a real HTTP receiver', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('POSTs signed JSON that the receiver verifies, with the event and the idempotency key', async () => {
    const payload = {
      event: 'final_approval_requested',
      item: { label: 'shop/web-bundle@v2' },
      note: 'naïve ✓ <b>',
    };
    const before = receiver.requests.length;
    const r = await sendWebhook({ url: `${receiver.url}/hooks/chat`, secret: SECRET }, payload, {
      idempotencyKey: 'ntf_01HZX-chat',
      eventType: 'final_approval_requested',
    });
    expect(r).toMatchObject({ ok: true, status: 204 });
    expect(r.error).toBeUndefined();
    expect(r.ms).toBeGreaterThanOrEqual(0);
    const req = receiver.requests[before]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hooks/chat');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe('signoff');
    expect(req.headers['x-signoff-event']).toBe('final_approval_requested');
    expect(req.headers['x-signoff-idempotency-key']).toBe('ntf_01HZX-chat');
    const ts = req.headers['x-signoff-timestamp'] as string;
    expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    expect(JSON.parse(req.body)).toEqual(payload);
    expect(verifyWebhook(SECRET, ts, req.body, req.headers['x-signoff-signature'] as string)).toBe(
      true,
    );
    // A body changed on the way (or a wrong secret) fails verification.
    expect(
      verifyWebhook(
        SECRET,
        ts,
        req.body.replace('v2', 'v9'),
        req.headers['x-signoff-signature'] as string,
      ),
    ).toBe(false);
    expect(
      verifyWebhook('whsec_wrong', ts, req.body, req.headers['x-signoff-signature'] as string),
    ).toBe(false);
  });

  it('signs with the injected clock', async () => {
    const before = receiver.requests.length;
    await sendWebhook(
      { url: receiver.url, secret: SECRET },
      { a: 1 },
      { idempotencyKey: 'k1', eventType: 'reset', now: () => T },
    );
    const req = receiver.requests[before]!;
    expect(req.headers['x-signoff-timestamp']).toBe('1700000000');
    expect(req.headers['x-signoff-signature']).toBe(
      'sha256=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789',
    );
  });

  it('reports a 500 as a failure with its status, and succeeds on the retry with the same key', async () => {
    const failing = await startWebhookReceiver({ failFirst: 2 });
    try {
      const send = () =>
        sendWebhook(
          { url: failing.url, secret: SECRET },
          { n: 1 },
          { idempotencyKey: 'retry-1', eventType: 'review_overdue' },
        );
      expect(await send()).toMatchObject({ ok: false, status: 500, error: 'HTTP 500' });
      expect(await send()).toMatchObject({ ok: false, status: 500 });
      expect(await send()).toMatchObject({ ok: true, status: 204 });
      expect(
        failing.requests.map((q) => [q.status, q.headers['x-signoff-idempotency-key']]),
      ).toEqual([
        [500, 'retry-1'],
        [500, 'retry-1'],
        [204, 'retry-1'],
      ]);
    } finally {
      await failing.close();
    }
  });

  it('gives up after the timeout without throwing', async () => {
    const slow = await startWebhookReceiver({ delayMs: 3_000 });
    try {
      const r = await sendWebhook(
        { url: slow.url, secret: SECRET },
        {},
        { idempotencyKey: 'slow-1', eventType: 'reset', timeoutMs: 200 },
      );
      expect(r.ok).toBe(false);
      expect(r.status).toBeUndefined();
      expect(r.error).toBe('timed out after 200 ms');
      expect(r.ms).toBeGreaterThanOrEqual(150);
      expect(r.ms).toBeLessThan(2_500);
    } finally {
      await slow.close();
    }
  });

  it('turns a refused connection into { ok: false, error }', async () => {
    // A port that was free a moment ago: nothing listens there now.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(a && typeof a === 'object' ? a.port : 0));
      });
    });
    const r = await sendWebhook(
      { url: `http://127.0.0.1:${port}/`, secret: SECRET },
      {},
      { idempotencyKey: 'k', eventType: 'reset' },
    );
    expect(r).toMatchObject({ ok: false });
    expect(r.error).toMatch(/ECONNREFUSED/);
  });

  it('does not follow redirects: the signed payload never reaches the other host', async () => {
    const other = await startWebhookReceiver();
    const redirecting = await startWebhookReceiver({
      respond: () => ({ status: 307, headers: { location: `${other.url}/steal` } }),
    });
    try {
      const r = await sendWebhook(
        { url: redirecting.url, secret: SECRET },
        { secret: 'payload' },
        { idempotencyKey: 'k', eventType: 'reset' },
      );
      expect(r).toMatchObject({
        ok: false,
        status: 307,
        error: 'HTTP 307: redirects are not followed',
      });
      expect(redirecting.requests).toHaveLength(1);
      expect(other.requests).toHaveLength(0);
    } finally {
      await Promise.all([other.close(), redirecting.close()]);
    }
  });

  it('reads at most a small part of a huge answer', async () => {
    const big = 'x'.repeat(8 * 1024 * 1024);
    const chatty = await startWebhookReceiver({ respond: () => ({ status: 200, body: big }) });
    try {
      const r = await sendWebhook(
        { url: chatty.url, secret: SECRET },
        {},
        { idempotencyKey: 'k', eventType: 'reset' },
      );
      expect(r).toMatchObject({ ok: true, status: 200 });
    } finally {
      await chatty.close();
    }
  });

  it('never throws on bad input', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const opts = { idempotencyKey: 'k', eventType: 'reset' };
    const target = { url: receiver.url, secret: SECRET };
    const before = receiver.requests.length;
    expect(await sendWebhook(target, circular, opts)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^payload is not JSON-serialisable/),
    });
    expect(await sendWebhook(target, undefined, opts)).toMatchObject({
      ok: false,
      error: 'payload is not JSON-serialisable',
    });
    expect(await sendWebhook(target, { n: 1n }, opts)).toMatchObject({ ok: false });
    expect(await sendWebhook({ url: 'not a url', secret: SECRET }, {}, opts)).toMatchObject({
      ok: false,
      error: 'webhook url is not a valid URL',
    });
    expect(
      await sendWebhook({ url: 'file:///etc/passwd', secret: SECRET }, {}, opts),
    ).toMatchObject({ ok: false, error: 'webhook url must be http(s)' });
    expect(
      await sendWebhook({ url: receiver.url.replace('//', '//u:p@'), secret: SECRET }, {}, opts),
    ).toMatchObject({ ok: false });
    expect(await sendWebhook({ url: receiver.url, secret: '' }, {}, opts)).toMatchObject({
      ok: false,
      error: 'webhook secret is empty',
    });
    expect(
      await sendWebhook(target, {}, { ...opts, idempotencyKey: 'k\r\nX-Evil: 1' }),
    ).toMatchObject({ ok: false });
    expect(await sendWebhook(target, {}, { ...opts, eventType: '' })).toMatchObject({ ok: false });
    expect(receiver.requests.length).toBe(before);
  });
});
