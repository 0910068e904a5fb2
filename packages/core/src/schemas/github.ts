import { z } from 'zod';
import { Id, Timestamp } from './common.js';

/**
 * A `deployment_protection_rule` request from GitHub that the server has not answered yet,
 * because the item's sign-off is not final. Stored so that it survives a restart and is
 * answered (approved / rejected) when the sign-off is decided.
 */
export const PendingProtectionRule = z.object({
  id: Id,
  /** `owner/repo`. */
  repository: z.string().min(3).max(200),
  environment: z.string().min(1).max(255),
  runId: z.string().regex(/^\d{1,20}$/),
  installationId: z.number().int().positive(),
  /** The commit the workflow run deploys. */
  sha: z.string().max(64).optional(),
  /** The item when the deployment named it (payload or description); else found by `sha`. */
  itemRef: z.string().max(300).optional(),
  /** The item matched at the last check. */
  itemId: Id.optional(),
  infrastructureId: z.string().max(63).optional(),
  deliveryId: z.string().max(100).optional(),
  /** Sign-off status seen at the last check. */
  lastStatus: z.string().max(100).optional(),
  receivedAt: Timestamp,
  lastCheckedAt: Timestamp.optional(),
  /** Failed attempts to answer GitHub (network, 5xx), for backoff and logs. */
  answerFailures: z.number().int().min(0).default(0),
  lastError: z.string().max(2000).optional(),
});
export type PendingProtectionRule = z.infer<typeof PendingProtectionRule>;
