/**
 * Escaping tagged templates: every interpolated value is HTML-escaped unless it is already
 * `Html` (the output of `html` itself or of `raw`, which only this package's own constant
 * markup may use). Arrays are concatenated; null, undefined and false render nothing.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
const NEEDS_ESCAPE = /[&<>"'`]/g;

export function escapeHtml(s: string): string {
  return s.replace(NEEDS_ESCAPE, (c) => ESCAPES[c] ?? c);
}

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) {
    let out = '';
    for (const p of part as readonly Part[]) out += render(p);
    return out;
  }
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Trusted constant markup only (never data). */
export function raw(s: string): Html {
  return new Html(s);
}

/** An http(s) URL safe for href, or '#' for anything else (javascript:, data:, …). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : '#';
  } catch {
    return '#';
  }
}

/** A same-site path for redirects: must start with one `/`, no scheme, no backslash. */
export function safeLocalPath(p: unknown, fallback = '/'): string {
  if (typeof p !== 'string' || !p.startsWith('/') || p.startsWith('//') || p.includes('\\') || p.length > 2000) return fallback;
  return p;
}

export function qs(params: Record<string, string | number | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
