import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { err, ok, type Result } from '../result.js';
import { Id } from '../schemas/common.js';

/*
 * One-click unsubscribe tokens (no login): `<payload>.<mac>`, both base64url, where payload is
 * JSON {u: user id, i: item id, e: expiry in epoch seconds} and mac = HMAC-SHA256(key,
 * "signoff-unsubscribe." + payload). Verified in constant time; expired tokens are refused.
 */

const Payload = z.object({ u: Id, i: Id, e: z.number().int() });
export type UnsubscribePayload = { userId: string; itemId: string; expiresAt: Date };

const mac = (key: string | Buffer, payload: string): Buffer => createHmac('sha256', key).update(`signoff-unsubscribe.${payload}`).digest();

/** Default lifetime of an unsubscribe link. */
export const UNSUBSCRIBE_TOKEN_TTL_MS = 180 * 24 * 3600 * 1000;

export function signUnsubscribeToken(key: string | Buffer, input: { userId: string; itemId: string; expiresAt: Date }): string {
  const payload = Buffer.from(JSON.stringify({ u: input.userId, i: input.itemId, e: Math.floor(input.expiresAt.getTime() / 1000) })).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

export function verifyUnsubscribeToken(key: string | Buffer, token: unknown, now: Date): Result<UnsubscribePayload> {
  const bad = err('UNAUTHENTICATED', 'This unsubscribe link is invalid.');
  if (typeof token !== 'string' || token.length > 1000) return bad;
  const [payload, sig, extra] = token.split('.');
  if (payload === undefined || sig === undefined || extra !== undefined) return bad;
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(key, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return bad;
  let parsed: z.infer<typeof Payload>;
  try {
    const p = Payload.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    if (!p.success) return bad;
    parsed = p.data;
  } catch {
    return bad;
  }
  if (parsed.e * 1000 < now.getTime()) return err('UNAUTHENTICATED', 'This unsubscribe link has expired; unsubscribe on the item page instead.');
  return ok({ userId: parsed.u, itemId: parsed.i, expiresAt: new Date(parsed.e * 1000) });
}

/** The signing secret of a webhook target: derived from the server secret, so it is never stored. */
export function webhookTargetSecret(key: string | Buffer, targetId: string): string {
  return `whsec_${createHmac('sha256', key).update(`signoff-webhook-target.${targetId}`).digest('base64url')}`;
}
