import { SignoffClient, type DecisionInput, type DecisionOutput, type Policy, type Result } from '@signoff/core';
import type { DecisionSource } from './types.js';

export interface RemoteSourceOptions {
  serverUrl: string;
  apiKey: string;
  /** Per decision; at most 2000 ms (the API server gives the webhook 5 s in all). */
  timeoutMs?: number;
  /** How long an identical decision is served from memory. Default 1000 ms; 0 disables. */
  cacheTtlMs?: number;
  /** How often the infrastructures (for policies when the server is down) are listed. Default 30 s. */
  infrastructureRefreshMs?: number;
  /** PEM CA bundle for a server with a private CA. */
  ca?: string | Buffer;
  /** Replaces the client (tests of the failure paths use a real client at a dead port instead). */
  client?: Pick<SignoffClient, 'decide' | 'listInfrastructures'>;
  now?: () => number;
  /** Called when a background call fails (logging). */
  onBackgroundError?: (what: string, message: string) => void;
}

interface CacheEntry {
  at: number;
  value: DecisionOutput;
}

/** The cache key: the same infrastructure, item, confirmation and artifacts give the same decision. */
export function decisionKey(input: DecisionInput): string {
  return JSON.stringify([
    input.infrastructure ?? '',
    input.namespace ?? '',
    input.item ?? '',
    input.confirmation?.reason ?? '',
    [...(input.artifacts ?? [])].sort(),
  ]);
}

/**
 * Decisions from the signoff server through the typed client. Identical requests within the
 * cache TTL are answered from memory; a non-dry-run one is still sent in the background so
 * that the deployment registry records every admission.
 */
export function remoteSource(options: RemoteSourceOptions): DecisionSource & { refreshInfrastructures(): Promise<boolean> } {
  const timeoutMs = Math.min(options.timeoutMs ?? 2000, 2000);
  const ttl = options.cacheTtlMs ?? 1000;
  const now = options.now ?? Date.now;
  const client =
    options.client ??
    new SignoffClient({
      baseUrl: options.serverUrl,
      apiKey: options.apiKey,
      timeoutMs,
      headers: { 'user-agent': 'signoff-webhook' },
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
    });
  const cache = new Map<string, CacheEntry>();
  const policies = new Map<string, Policy>();
  const refreshEvery = options.infrastructureRefreshMs ?? 30_000;
  let listedAt = -Infinity;
  let listing: Promise<boolean> | undefined;

  const refreshInfrastructures = (): Promise<boolean> => {
    listing ??= client
      .listInfrastructures()
      .then((r) => {
        if (!r.ok) {
          options.onBackgroundError?.('listInfrastructures', r.error.message);
          return false;
        }
        for (const i of r.value) policies.set(i.id, i.policy);
        listedAt = now();
        return true;
      })
      .finally(() => {
        listing = undefined;
      });
    return listing;
  };

  const prune = (t: number): void => {
    if (cache.size < 10_000) return;
    for (const [k, e] of cache) if (t - e.at > ttl) cache.delete(k);
    if (cache.size >= 10_000) cache.clear();
  };

  return {
    where: options.serverUrl,
    refreshInfrastructures,
    async decide(input: DecisionInput): Promise<Result<DecisionOutput>> {
      const t = now();
      if (t - listedAt > refreshEvery) void refreshInfrastructures();
      const key = ttl > 0 ? decisionKey(input) : '';
      if (ttl > 0) {
        const hit = cache.get(key);
        if (hit && t - hit.at <= ttl) {
          if (input.dryRun !== true) {
            void client.decide(input).then((r) => {
              if (!r.ok) options.onBackgroundError?.('decide (record)', r.error.message);
            });
          }
          return { ok: true, value: { decision: hit.value.decision } };
        }
      }
      const r = await client.decide(input);
      if (r.ok) {
        policies.set(r.value.decision.infrastructureId, r.value.decision.policy);
        if (ttl > 0) {
          prune(t);
          cache.set(key, { at: t, value: r.value });
        }
      }
      return r;
    },
    policyOf: (id) => policies.get(id),
    ready: () => refreshInfrastructures(),
    close: () => Promise.resolve(),
  };
}
