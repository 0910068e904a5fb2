import type { Principal } from '@signoff/core';
import type { Router } from 'express';
import { actor, field, must, page, type UiEnv } from '../ui/env.js';
import { html, type Html } from '../ui/html.js';
import { csrfField, type PageContext } from '../ui/layout.js';

/** The item page's "Notifications" section: the user's subscription and a button to flip it. */
export async function subscriptionSection(env: UiEnv, ctx: PageContext, me: Principal, itemId: string): Promise<Html> {
  if (me.kind !== 'user') return html``;
  const r = await env.service.getSubscription(me, itemId);
  if (!r.ok) return html``;
  const { subscribed, via } = r.value;
  const text = subscribed
    ? via === 'project'
      ? 'You get emails about this item through your subscription to its project.'
      : 'You get emails about this item.'
    : via === 'item'
      ? 'You unsubscribed from this item: no emails about it.'
      : 'You get no emails about this item unless a review is asked of you.';
  return html`<section aria-labelledby="h-sub"><h2 id="h-sub">Notifications</h2><p>${text}</p><form method="post" action="/items/${itemId}/subscription">${csrfField(ctx)}<input type="hidden" name="subscribed" value="${subscribed ? 'false' : 'true'}"><button type="submit" class="secondary">${subscribed ? 'Unsubscribe' : 'Subscribe'}</button></form></section>`;
}

/** `POST /items/:id/subscription` (form field `subscribed`: true or false). */
export function registerSubscriptionRoute(router: Router, env: UiEnv): void {
  router.post(
    '/items/:id/subscription',
    page(env, async (req, res) => {
      const id = String(req.params.id);
      const r = await env.service.setSubscription(actor(req), id, field(req, 'subscribed') === 'true');
      must(r);
      res.redirect(303, `/items/${id}?done=saved#h-sub`);
    }),
  );
}
