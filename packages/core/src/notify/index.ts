export * from './schema.js';
export * from './api-schemas.js';
export { deriveNotifications, writeDerived, type Derived } from './derive.js';
export { withNotifications, type NotifyingStoreOptions } from './notifying-store.js';
export { deliveryId, dispatchPending, dueDeliveries, pruneNotifications, resolveUsers, subscriptionState, targetWants, type DispatchOptions } from './dispatch.js';
export { signUnsubscribeToken, verifyUnsubscribeToken, webhookTargetSecret, UNSUBSCRIBE_TOKEN_TTL_MS, type UnsubscribePayload } from './token.js';
export { dueTimers, pendingStages, reviewTimerId, timingFor, type DueTimers, type PendingStage } from './timers.js';
