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

/** `target` with some methods replaced; every other member is the target's own, bound to it. */
function delegate<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return (overrides as Record<string | symbol, unknown>)[prop];
      const v = Reflect.get(t, prop, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}
