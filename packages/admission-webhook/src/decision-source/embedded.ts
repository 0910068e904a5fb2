import { ok, type DecisionInput, type DecisionOutput, type GovernanceService, type Policy, type Principal, type Result } from '@signoff/core';
import type { DecisionSource } from './types.js';

export interface EmbeddedSourceOptions {
  service: GovernanceService;
  /** Who asks: the system principal by default, or an API key's principal. */
  principal?: Principal;
  /** How long a listed infrastructure's policy is kept for failure answers. Default 30 s. */
  infrastructureTtlMs?: number;
  now?: () => number;
}

const SYSTEM: Principal = { kind: 'system', id: 'system' };

/** Decisions from a GovernanceService in this process (single-binary setups, `--demo`). */
export function embeddedSource(options: EmbeddedSourceOptions): DecisionSource {
  const principal = options.principal ?? SYSTEM;
  const now = options.now ?? Date.now;
  const ttl = options.infrastructureTtlMs ?? 30_000;
  const policies = new Map<string, Policy>();
  let listedAt = -Infinity;
  const refresh = async (): Promise<boolean> => {
    const r = await options.service.listInfrastructures(principal);
    if (!r.ok) return false;
    policies.clear();
    for (const i of r.value) policies.set(i.id, i.policy);
    listedAt = now();
    return true;
  };
  return {
    where: 'embedded',
    async decide(input: DecisionInput): Promise<Result<DecisionOutput>> {
      if (now() - listedAt > ttl) void refresh().catch(() => undefined);
      const r = await options.service.decide(principal, input);
      if (r.ok) policies.set(r.value.decision.infrastructureId, r.value.decision.policy);
      return r.ok ? ok(r.value) : r;
    },
    policyOf: (id) => policies.get(id),
    ready: () => refresh().catch(() => false),
    close: () => Promise.resolve(),
  };
}
