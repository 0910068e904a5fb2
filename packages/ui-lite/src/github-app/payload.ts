import { z } from 'zod';

/** The parts of a `deployment_protection_rule` webhook (action `requested`) the rule uses. */
export const ProtectionRuleEvent = z.object({
  action: z.string(),
  environment: z.string().min(1).max(255),
  event: z.string().optional(),
  sha: z.string().max(64).optional(),
  ref: z.string().optional(),
  deployment_callback_url: z.url(),
  deployment: z
    .object({
      id: z.number().optional(),
      sha: z.string().max(64).optional(),
      ref: z.string().optional(),
      description: z.string().nullable().optional(),
      payload: z.union([z.record(z.string(), z.unknown()), z.string()]).nullable().optional(),
    })
    .nullable()
    .optional(),
  repository: z.object({ full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/) }),
  installation: z.object({ id: z.number().int().positive() }),
});
export type ProtectionRuleEvent = z.infer<typeof ProtectionRuleEvent>;

/** `…/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule` → its parts. */
export function parseCallbackUrl(url: string): { owner: string; repo: string; runId: string } | undefined {
  const m = /\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d{1,20})\/deployment_protection_rule\/?$/.exec(new URL(url).pathname);
  if (!m) return undefined;
  return { owner: decodeURIComponent(m[1] ?? ''), repo: decodeURIComponent(m[2] ?? ''), runId: m[3] ?? '' };
}

const REF = /^(?:[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9._+-]*|[a-z0-9][a-z0-9_-]*)$/;

/**
 * The item a deployment names, if it names one: `payload.signoff.item` or `payload.item`
 * (object or JSON string, as `createDeployment` sends it), or `signoff: <ref>` in the
 * description. Workflow runs create deployments with neither; those are matched by commit.
 */
export function itemRefFromDeployment(deployment: ProtectionRuleEvent['deployment']): string | undefined {
  if (!deployment) return undefined;
  let payload: unknown = deployment.payload;
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch {
      payload = undefined;
    }
  }
  if (payload && typeof payload === 'object') {
    const p = payload as { item?: unknown; signoff?: { item?: unknown } };
    const ref = typeof p.signoff?.item === 'string' ? p.signoff.item : typeof p.item === 'string' ? p.item : undefined;
    if (ref !== undefined && REF.test(ref)) return ref;
  }
  const m = /\bsignoff:\s*(\S+)/i.exec(deployment.description ?? '');
  if (m?.[1] && REF.test(m[1])) return m[1];
  return undefined;
}
