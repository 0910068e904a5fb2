import { z } from 'zod';
import { ok, type Result } from '../result.js';
import type { Scope } from '../schemas/principal.js';
import * as ns from '../notify/api-schemas.js';
import { NotificationDelivery } from '../notify/schema.js';
import type { ApiRoute, RouteInput } from './routes.js';
import { DeletedResponse, ItemRefParams } from './schemas.js';

const V1 = '/api/v1';
const ADMIN: readonly Scope[] = ['admin'];
const READ: readonly Scope[] = ['items:read', 'items:write', 'reviews:write', 'decisions:read'];

function route<P = undefined, Q = undefined, B = undefined>(r: ApiRoute<P, Q, B>): ApiRoute<P, Q, B> {
  return r;
}

const map = async <T, U>(p: Promise<Result<T>>, f: (v: T) => U): Promise<Result<U>> => {
  const r = await p;
  return r.ok ? ok(f(r.value)) : r;
};

/**
 * Notification endpoints (issue 7): the caller's subscription to an item, webhook targets and
 * the delivery log (admin). A table of its own beside `apiRoutes`: the server mounts both.
 */
export const notificationRoutes = {
  getSubscription: route({
    operationId: 'getSubscription',
    method: 'GET',
    path: `${V1}/items/:id/subscription`,
    summary: "The caller's subscription to an item (directly or through its project)",
    tag: 'notifications',
    auth: 'authenticated',
    scopes: READ,
    params: ItemRefParams,
    response: ns.SubscriptionStatus,
    successStatus: 200,
    invoke: (svc, actor, { params }: RouteInput<{ id: string }, undefined, undefined>) => svc.getSubscription(actor, params.id),
  }),
  subscribe: route({
    operationId: 'subscribe',
    method: 'PUT',
    path: `${V1}/items/:id/subscription`,
    summary: 'Subscribe the caller to an item',
    tag: 'notifications',
    auth: 'authenticated',
    scopes: READ,
    params: ItemRefParams,
    response: ns.SubscriptionStatus,
    successStatus: 200,
    invoke: (svc, actor, { params }) => svc.setSubscription(actor, params.id, true),
  }),
  unsubscribe: route({
    operationId: 'unsubscribe',
    method: 'DELETE',
    path: `${V1}/items/:id/subscription`,
    summary: 'Unsubscribe the caller from an item (respected even when the project is subscribed)',
    tag: 'notifications',
    auth: 'authenticated',
    scopes: READ,
    params: ItemRefParams,
    response: ns.SubscriptionStatus,
    successStatus: 200,
    invoke: (svc, actor, { params }) => svc.setSubscription(actor, params.id, false),
  }),
  listWebhookTargets: route({
    operationId: 'listWebhookTargets',
    method: 'GET',
    path: `${V1}/notifications/webhooks`,
    summary: 'Outbound webhook targets (admin)',
    tag: 'notifications',
    auth: 'authenticated',
    scopes: ADMIN,
    response: z.array(ns.WebhookTargetResponse),
    successStatus: 200,
    invoke: (svc, actor) => svc.listWebhookTargets(actor),
  }),
  createWebhookTarget: route({
    operationId: 'createWebhookTarget',
    method: 'POST',
    path: `${V1}/notifications/webhooks`,
    summary: 'Create an outbound webhook target; its signing secret is shown once (admin)',
    tag: 'notifications',
    auth: 'authenticated',
    scopes: ADMIN,
    body: ns.CreateWebhookTargetInput,
    response: ns.CreatedWebhookTargetResponse,
    successStatus: 201,
    invoke: (svc, actor, { body }) => svc.createWebhookTarget(actor, body),
  }),
  updateWebhookTarget: route({
    operationId: 'updateWebhookTarget',
    method: 'PATCH',
    path: `${V1}/notifications/webhooks/:id`,
    summary: 'Edit a webhook target: name, URL, event filter, enabled (admin)',
    tag: 'notifications',
    auth: 'authenticated',
    scopes: ADMIN,
    params: ns.WebhookTargetParams,
    body: ns.UpdateWebhookTargetInput,
    response: ns.WebhookTargetResponse,
    successStatus: 200,
    invoke: (svc, actor, { params, body }) => svc.updateWebhookTarget(actor, params.id, body),
  }),
  deleteWebhookTarget: route({
    operationId: 'deleteWebhookTarget',
    method: 'DELETE',
    path: `${V1}/notifications/webhooks/:id`,
    summary: 'Delete a webhook target (admin)',
    tag: 'notifications',
    auth: 'authenticated',
    scopes: ADMIN,
    params: ns.WebhookTargetParams,
    response: DeletedResponse,
    successStatus: 200,
    invoke: (svc, actor, { params }) => svc.deleteWebhookTarget(actor, params.id),
  }),
  listNotificationDeliveries: route({
    operationId: 'listNotificationDeliveries',
    method: 'GET',
    path: `${V1}/notifications/deliveries`,
    summary: 'The delivery log: one row per message and recipient, newest first (admin)',
    tag: 'notifications',
    auth: 'authenticated',
    scopes: ADMIN,
    query: ns.ListDeliveriesQuery,
    response: z.array(NotificationDelivery),
    successStatus: 200,
    invoke: (svc, actor, { query }) => map(svc.listNotificationDeliveries(actor, query), (v) => v),
  }),
} as const;

export const notificationRouteList: readonly ApiRoute<unknown, unknown, unknown>[] = Object.values(notificationRoutes);
