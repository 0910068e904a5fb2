import { html, safeUrl, type Html } from '../ui/html.js';

/** What one notification e-mail says; every string may come from a user and is treated as text. */
export interface EmailInput {
  /** The event, e.g. `final_approval_requested` (any of snake_case, kebab-case, camelCase, dotted). */
  eventType: string;
  /** The item as people name it, e.g. `shop/web-bundle@v2`. */
  itemLabel: string;
  itemUrl: string;
  projectName: string;
  actor: string;
  recipientName: string;
  summary: string;
  details: Array<[string, string]>;
  /** The one-click unsubscribe link (a signed token; no login needed). */
  unsubscribeUrl: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

/**
 * Phrases for the events of issue 7, keyed by the normalised event type: core's
 * `NotificationEventType` (`finalApproval.requested`, `signoff.abandonCancelled`, …) lowercased
 * with `_` between words and without the `signoff.` prefix. Anything else is spelled out.
 */
export const EVENT_PHRASES: Readonly<Record<string, string>> = {
  feedback_requested: 'feedback requested',
  final_approval_requested: 'final approval requested',
  feedback_submitted: 'feedback submitted',
  final_approval_submitted: 'final approval given',
  review_status_edited: 'review changed',
  review_delegated: 'review delegated',
  abandoned: 'sign-off abandoned',
  abandon_cancelled: 'abandon cancelled',
  reset: 'sign-off reset',
  reset_scheduled: 'reset scheduled',
  approval_expired: 'approval expired',
  review_reminder: 'review reminder',
  review_overdue: 'review overdue',
  review_escalated: 'review escalated',
  deployment_refused: 'deployment refused',
  deployment_confirmed: 'unapproved deployment confirmed',
};

const SUBJECT_PREFIX = '[signoff] ';
const MAX_LABEL = 120;
const MAX_SUBJECT = 200;

/** Control characters, including CR, LF, tab, DEL, C1 and the Unicode line separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]+/g;

/** One line of plain text: control characters become a space, runs of spaces collapse. */
function oneLine(s: string): string {
  return s.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
}

/** Multi-line text: CRLF and CR become LF, other control characters (ANSI escapes, NUL) go. */
function plainText(s: string): string {
  return (
    s
      .replace(/\r\n?/g, '\n')
      .replace(/[\u2028\u2029]/g, '\n')
      // eslint-disable-next-line no-control-regex -- matching control characters is the point
      .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]+/g, ' ')
  );
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** `final_approval_requested`, `finalApprovalRequested`, `signoff.final-approval-requested` → words. */
export function eventPhrase(eventType: string): string {
  const key = oneLine(eventType)
    .replace(/^signoff[.:]/i, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[\s.:/-]+/g, '_')
    .toLowerCase();
  return EVENT_PHRASES[key] ?? (key.replace(/_+/g, ' ').trim() || 'notification');
}

/** A link for a header and for the text part: an absolute http(s) URL, or undefined. */
function headerUrl(url: string): string | undefined {
  const safe = safeUrl(url.trim());
  // URL#href percent-encodes spaces, quotes and angle brackets, and the parser drops CR/LF/tab.
  return safe === '#' ? undefined : safe;
}

const S = {
  body: 'margin:0;padding:0;background:#f5f6f8;',
  wrap: 'max-width:600px;margin:0 auto;padding:24px 16px;font-family:-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1f2328;',
  card: 'background:#ffffff;border:1px solid #d0d7de;border-radius:6px;padding:20px 24px;',
  eyebrow: 'margin:0 0 4px;font-size:13px;color:#57606a;',
  h1: 'margin:0 0 16px;font-size:20px;line-height:1.3;font-weight:600;color:#1f2328;word-break:break-word;',
  p: 'margin:0 0 16px;word-break:break-word;',
  table: 'border-collapse:collapse;width:100%;margin:0 0 20px;font-size:14px;',
  th: 'text-align:left;vertical-align:top;padding:6px 12px 6px 0;color:#57606a;font-weight:600;white-space:nowrap;border-top:1px solid #eaeef2;',
  td: 'vertical-align:top;padding:6px 0;border-top:1px solid #eaeef2;word-break:break-word;',
  button:
    'display:inline-block;padding:10px 18px;background:#1f6feb;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600;',
  foot: 'margin:16px 0 0;font-size:12px;color:#57606a;',
  footLink: 'color:#57606a;',
};

/** Multi-line text as escaped HTML with `<br>` between lines. */
function lines(s: string): Html {
  const parts = plainText(s).split('\n');
  return html`${parts.map((line, i) => (i === 0 ? html`${line}` : html`<br />${line}`))}`;
}

/**
 * The subject, both bodies and the list headers of one notification. Everything from the
 * input is escaped with the UI's `html` template (so a hostile item name or comment shows as
 * text), links must be absolute http(s) URLs (anything else renders as `#` and is left out
 * of the text part and the headers), styles are inline and there are no images at all, so
 * nothing is fetched when the mail is opened. The subject is one line: CR, LF and every other
 * control character are replaced, which rules out header injection whatever the input.
 */
export function renderEmail(input: EmailInput): RenderedEmail {
  const phrase = eventPhrase(input.eventType);
  const label = truncate(oneLine(input.itemLabel) || 'an item', MAX_LABEL);
  const subject = truncate(oneLine(`${SUBJECT_PREFIX}${label}: ${phrase}`), MAX_SUBJECT);

  const itemUrl = headerUrl(input.itemUrl);
  const unsubscribeUrl = headerUrl(input.unsubscribeUrl);
  const project = oneLine(input.projectName);
  const actor = oneLine(input.actor);
  const recipient = oneLine(input.recipientName);
  const details = input.details.map(([k, v]) => [oneLine(k), plainText(v)] as const);

  const textLines: string[] = [];
  textLines.push(recipient ? `Hello ${recipient},` : 'Hello,', '');
  textLines.push(
    `${label}: ${phrase}${project ? ` (project ${project})` : ''}${actor ? `, by ${actor}` : ''}.`,
    '',
  );
  if (input.summary.trim()) textLines.push(plainText(input.summary).trim(), '');
  for (const [k, v] of details)
    textLines.push(`${k}: ${v.includes('\n') ? `\n  ${v.split('\n').join('\n  ')}` : v}`);
  if (details.length) textLines.push('');
  if (itemUrl) textLines.push(`Open it in signoff: ${itemUrl}`, '');
  textLines.push('--');
  textLines.push('You receive this because you follow this item in signoff.');
  if (unsubscribeUrl) textLines.push(`Unsubscribe from this item: ${unsubscribeUrl}`);
  const text = `${textLines.join('\n')}\n`;

  // Compact markup on purpose: e-mail clients render stray whitespace.
  // prettier-ignore
  const body = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light">
<title>${subject}</title>
</head>
<body style="${S.body}">
<div style="${S.wrap}">
<div style="${S.card}">
<p style="${S.eyebrow}">${project ? html`Project ${project}` : 'signoff'}${actor ? html` · by ${actor}` : ''}</p>
<h1 style="${S.h1}">${label}: ${phrase}</h1>
<p style="${S.p}">${recipient ? html`Hello ${recipient},` : 'Hello,'}</p>
${input.summary.trim() ? html`<p style="${S.p}">${lines(input.summary.trim())}</p>` : ''}
${details.length
  ? html`<table role="presentation" style="${S.table}">${details.map(([k, v]) => html`<tr><th scope="row" style="${S.th}">${k}</th><td style="${S.td}">${lines(v)}</td></tr>`)}</table>`
  : ''}
${itemUrl ? html`<p style="margin:0;"><a href="${itemUrl}" style="${S.button}">Open ${label}</a></p>` : ''}
</div>
<p style="${S.foot}">You receive this because you follow this item in signoff.${
    unsubscribeUrl ? html` <a href="${unsubscribeUrl}" style="${S.footLink}">Unsubscribe from this item</a>.` : ''
  }</p>
</div>
</body>
</html>
`;

  const headers: Record<string, string> = {
    'Auto-Submitted': 'auto-generated',
    'X-Auto-Response-Suppress': 'All',
  };
  if (unsubscribeUrl) {
    headers['List-Unsubscribe'] = `<${unsubscribeUrl}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  }
  return { subject, text, html: body.value, headers };
}
