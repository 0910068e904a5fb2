import type { AuditEventInput } from '../audit/schema.js';
import { randomId, type IdGenerator } from '../service/ids.js';
import type { Store } from '../store/types.js';
import { deriveNotifications, writeDerived } from './derive.js';

export interface NotifyingStoreOptions {
  idGenerator?: IdGenerator;
}

/**
 * A store whose every transaction also writes the notifications and subscriptions its audit
 * events cause, inside the same transaction: the outbox entry commits with the change or not
 * at all. Reads, `verifyAudit` and `close` go to `store` unchanged.
 */
export function withNotifications(store: Store, options: NotifyingStoreOptions = {}): Store {
  const newId = options.idGenerator ?? randomId;
  const transaction: Store['transaction'] = (fn) =>
    store.transaction(async (tx) => {
      const events: AuditEventInput[] = [];
      const recording = delegate(tx, {
        appendAudit(event: AuditEventInput) {
          events.push(event);
          tx.appendAudit(event);
        },
      });
      const r = await fn(recording);
      if (r.ok && events.length > 0) writeDerived(tx, await deriveNotifications(tx, events), () => newId('ntf'));
      return r;
    });
  return delegate(store, { transaction });
}

/**
 * `target` with some methods replaced; every other member is the target's own, bound to it.
 * A plain object built once (its methods bound once), not a Proxy: a Proxy's trap and a fresh
 * bound function on every member read cost every store call of the server, decisions included.
 * Data members are read through to the target, so they stay current.
 */
function delegate<T extends object>(target: T, overrides: Partial<T>): T {
  const out: Record<PropertyKey, unknown> = {};
  for (let o: object | null = target; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Reflect.ownKeys(o)) {
      if (key === 'constructor' || Object.prototype.hasOwnProperty.call(out, key)) continue;
      const desc = Object.getOwnPropertyDescriptor(o, key);
      if (desc && typeof desc.value === 'function') out[key] = (desc.value as (...a: unknown[]) => unknown).bind(target);
      else Object.defineProperty(out, key, { get: () => Reflect.get(target, key, target) as unknown, enumerable: true, configurable: true });
    }
  }
  for (const key of Reflect.ownKeys(overrides)) Object.defineProperty(out, key, { value: (overrides as Record<PropertyKey, unknown>)[key], enumerable: true, configurable: true, writable: true });
  return out as T;
}
