import { ok, type Decision, type DecisionInput, type DecisionOutput, type GovernanceService, type Policy, type Principal, type Result } from '@signoff/core';
import type { DecisionSource } from './types.js';

export interface EmbeddedSourceOptions {
  service: GovernanceService;
  /** Who asks: the system principal by default, or an API key's principal. */
  principal?: Principal;
  /** How long a listed infrastructure's policy is kept for failure answers. Default 30 s. */
  infrastructureTtlMs?: number;
  now?: () => number;
  /** At most this many decisions are recorded in one store transaction. Default 256. */
  recordBatchSize?: number;
  /** A decision waits at most this long (ms) before its batch is recorded. Default 5. */
  recordFlushMs?: number;
  /** Called when recording fails (logging): the store's message and how many records were lost. */
  onRecordError?: (message: string, lost: number) => void;
}

/** The embedded source, with `flush()`: records what waits now (tests, shutdown). */
export interface EmbeddedSource extends DecisionSource {
  flush(): Promise<void>;
}

interface Pending {
  input: DecisionInput;
  decision: Decision;
}

const SYSTEM: Principal = { kind: 'system', id: 'system' };

/**
 * Decisions from a GovernanceService in this process (single-binary setups, `--demo`).
 *
 * The answer does not wait for the deployment registry: every decision is taken as a dry run
 * (nothing written), answered, and a non-dry-run one is then recorded with the others of the
 * next few milliseconds in one store transaction (`recordDeployments`: the same record and audit
 * event `decide` writes). `close()` records what still waits. A crash loses the records of the
 * last few milliseconds; the answers never depend on them.
 */
export function embeddedSource(options: EmbeddedSourceOptions): EmbeddedSource {
  const principal = options.principal ?? SYSTEM;
  const now = options.now ?? Date.now;
  const ttl = options.infrastructureTtlMs ?? 30_000;
  const batchSize = Math.max(1, options.recordBatchSize ?? 256);
  const flushMs = Math.max(0, options.recordFlushMs ?? 5);
  const onRecordError =
    options.onRecordError ??
    ((message: string, lost: number) => process.stderr.write(`${JSON.stringify({ level: 50, time: Date.now(), msg: 'recording admitted deployments failed', error: message, lost })}\n`));
  // An API key without deployments:write may not record: ask as before, so that core refuses it.
  const deferRecording = principal.kind !== 'apiKey' || principal.scopes.includes('deployments:write');
  const policies = new Map<string, Policy>();
  let listedAt = -Infinity;
  let pending: Pending[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();

  const refresh = async (): Promise<boolean> => {
    const r = await options.service.listInfrastructures(principal);
    if (!r.ok) return false;
    policies.clear();
    for (const i of r.value) policies.set(i.id, i.policy);
    listedAt = now();
    return true;
  };

  const write = async (batch: Pending[]): Promise<void> => {
    const r = await options.service.recordDeployments(principal, batch);
    if (r.ok) return;
    // One bad entry refuses the whole transaction: record the others one by one.
    for (const entry of batch) {
      const one = await options.service.recordDeployments(principal, [entry]);
      if (!one.ok) onRecordError(`${one.error.code}: ${one.error.message}`, 1);
    }
  };

  const flush = (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length > 0) {
      const batch = pending;
      pending = [];
      writing = writing.then(() => write(batch)).catch((e: unknown) => onRecordError(e instanceof Error ? e.message : String(e), batch.length));
    }
    return writing;
  };

  const enqueue = (entry: Pending): void => {
    pending.push(entry);
    if (pending.length >= batchSize) void flush();
    else timer ??= setTimeout(() => void flush(), flushMs);
  };

  return {
    where: 'embedded',
    async decide(input: DecisionInput): Promise<Result<DecisionOutput>> {
      if (now() - listedAt > ttl) void refresh().catch(() => undefined);
      const record = input.dryRun !== true && deferRecording;
      const r = await options.service.decide(principal, record ? { ...input, dryRun: true } : input);
      if (!r.ok) return r;
      policies.set(r.value.decision.infrastructureId, r.value.decision.policy);
      if (record) enqueue({ input, decision: r.value.decision });
      return ok({ decision: r.value.decision });
    },
    policyOf: (id) => policies.get(id),
    ready: () => refresh().catch(() => false),
    flush,
    close: flush,
  };
}
