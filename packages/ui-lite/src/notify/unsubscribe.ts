import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyUnsubscribeToken, type Clock, type GovernanceService } from '@signoff/core';
import type { Logger } from 'pino';
import { escapeHtml } from '../ui/html.js';

export const UNSUBSCRIBE_PATH = '/unsubscribe';

/** Is this request for the one-click unsubscribe endpoint? */
export function isUnsubscribeRequest(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  return url === UNSUBSCRIBE_PATH || url.startsWith(`${UNSUBSCRIBE_PATH}?`);
}

function page(res: ServerResponse, status: number, title: string, body: string): void {
  const doc = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · signoff</title></head><body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // The token is in the URL: it must not leak to other sites.
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
  });
  res.end(doc);
}

/**
 * `GET /unsubscribe?token=…` shows what the link does and a button; `POST` (the button, or a
 * mail client's RFC 8058 one-click `List-Unsubscribe=One-Click`) unsubscribes the user named
 * in the signed token from the item. No login: the token is the credential. GET changes
 * nothing, so link scanners that prefetch mail links do not unsubscribe anyone.
 */
export function createUnsubscribeHandler(deps: { service: GovernanceService; logger: Logger; secret: Buffer; clock: Clock }): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const token = url.searchParams.get('token') ?? '';
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
      res.writeHead(405, { allow: 'GET, HEAD, POST', 'content-type': 'text/plain' });
      res.end('Method not allowed');
      return;
    }
    if (req.method !== 'POST') {
      const checked = verifyUnsubscribeToken(deps.secret, token, deps.clock.now());
      if (!checked.ok) {
        page(res, 400, 'Invalid link', `<p>${escapeHtml(checked.error.message)}</p>`);
        return;
      }
      page(res, 200, 'Unsubscribe', `<p>Stop the emails about this item?</p><form method="post" action="${escapeHtml(`${UNSUBSCRIBE_PATH}?token=${encodeURIComponent(token)}`)}"><button type="submit">Unsubscribe</button></form>`);
      return;
    }
    // The body (`List-Unsubscribe=One-Click`) carries nothing we need: drain it, small.
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 4096) req.destroy();
    });
    req.on('end', () => {
      deps.service.unsubscribeWithToken(token).then(
        (r) => {
          if (!r.ok) {
            page(res, r.error.code === 'NOT_FOUND' ? 404 : 400, 'Cannot unsubscribe', `<p>${escapeHtml(r.error.message)}</p>`);
            return;
          }
          deps.logger.info({ userId: r.value.userId, itemId: r.value.itemId }, 'unsubscribed by link');
          page(res, 200, 'Unsubscribed', `<p>You will no longer get emails about <strong>${escapeHtml(r.value.ref)}</strong>. You can subscribe again on the item page.</p>`);
        },
        (error: unknown) => {
          deps.logger.error({ err: error }, 'unsubscribe failed');
          page(res, 500, 'Error', '<p>Something went wrong; please try again.</p>');
        },
      );
    });
  };
}
