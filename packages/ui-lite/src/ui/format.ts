import { html, type Html } from './html.js';

export function age(iso: string | undefined, now: Date): string {
  if (!iso) return '';
  const ms = now.getTime() - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return '';
  const m = Math.round(ms / 60_000);
  if (m < 1) return 'just now';
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

export function time(iso: string | undefined, now: Date): Html {
  if (!iso) return html``;
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time> <span class="muted">(${age(iso, now)})</span>`;
}

const SIGNOFF_CLASS: Record<string, string> = {
  Approved: 's-ok',
  Rejected: 's-bad',
  Abandoned: 's-bad',
  'Waiting for feedback': 's-info',
  'Waiting for final approval': 's-warn',
  'Not started': 's-none',
  'Minor issues': 's-warn',
  'Major issues': 's-bad',
  Finished: 's-ok',
  Ongoing: 's-info',
  Go: 's-ok',
  'No go': 's-bad',
  'On hold': 's-warn',
  Undecided: 's-none',
  allow: 's-ok',
  warn: 's-warn',
  deny: 's-bad',
  prevent: 's-bad',
  always: 's-ok',
  Critical: 's-bad',
  High: 's-warn',
  Moderate: 's-info',
  Low: 's-none',
  Unmatched: 's-none',
};

/** A status as text with a colour as a second cue (never colour alone). */
export function badge(status: string, label?: string): Html {
  return html`<span class="badge ${SIGNOFF_CLASS[status] ?? 's-none'}">${label ?? status}</span>`;
}

export const IMPORTANCE_ORDER = { Critical: 0, High: 1, Moderate: 2, Low: 3 } as const;
