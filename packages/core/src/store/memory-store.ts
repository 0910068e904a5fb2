import { ErrorCode } from '../result.js';
import type { AuditEvent } from '../audit/schema.js';
import type { Clock } from '../service/types.js';
import type { CollectionName, Entity } from './collections.js';
import { StoreEngine, StoreState } from './engine.js';
import type { Store } from './types.js';

export interface MemoryStoreOptions {
  /** Accepted for symmetry with the file adapters; the memory store never reads the time itself. */
  clock?: Clock;
  /** Records to start with (validated like any read; an invalid record throws a VALIDATION fault). */
  initial?: { [C in CollectionName]?: Entity<C>[] } & { audit?: AuditEvent[] };
}

/** A store held in memory only: for tests and for the webhook's embedded demo mode. */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const state = new StoreState();
  if (options.initial) {
    const { audit, ...cols } = options.initial;
    state.load({ collections: cols, audit: audit ?? [] }, ErrorCode.VALIDATION, 'initial data');
  }
  const engine = new StoreEngine(state);
  return Object.assign(engine, {
    close: (): Promise<void> =>
      engine.exclusive(() => {
        engine.markClosed();
        return Promise.resolve();
      }),
  }) satisfies Store;
}
