import { z } from 'zod';
import { Timestamp } from '../schemas/common.js';

/** An append-only audit event; `hash` covers every other field including `prevHash`. */
export const AuditEvent = z.object({
  seq: z.number().int().min(1),
  at: Timestamp,
  actor: z.string(),
  actorKind: z.enum(['user', 'apiKey', 'system']),
  /** e.g. `signoff.feedback.submit`, `item.create`, `deployment.record`. */
  action: z.string().min(1).max(100),
  /** `<collection>/<id>`, e.g. `items/itm_123`. */
  subject: z.string(),
  /** What changed: free-form JSON (before/after, the action's input). Secrets are never written here. */
  change: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

export type AuditEventInput = Pick<AuditEvent, 'at' | 'actor' | 'actorKind' | 'action' | 'subject' | 'change'>;

export const AuditVerification = z.object({
  ok: z.boolean(),
  count: z.number().int(),
  /** First event that was edited, removed or reordered. */
  firstBadSeq: z.number().int().optional(),
  problem: z.string().optional(),
  headHash: z.string().optional(),
});
export type AuditVerification = z.infer<typeof AuditVerification>;
