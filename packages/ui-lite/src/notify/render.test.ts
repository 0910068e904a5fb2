import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NotificationEventType } from '@signoff/core';
import { EVENT_PHRASES, eventPhrase, renderEmail, type EmailInput } from './render.js';

const base: EmailInput = {
  eventType: 'final_approval_requested',
  itemLabel: 'shop/web-bundle@v2',
  itemUrl: 'https://signoff.example/items/itm_42',
  projectName: 'shop',
  actor: 'Alice Owner',
  recipientName: 'Bob Reviewer',
  summary: 'Alice asks you for the final approval.\nThe digests were checked.',
  details: [
    ['Workflow step', 'Validation'],
    ['Comment', 'Looks good\nship it'],
  ],
  unsubscribeUrl: 'https://signoff.example/unsubscribe?token=tok.abc',
};

/** Every tag the template itself writes; any other `<` must have come from the input. */
const TEMPLATE_TAG =
  /^<(?:!doctype html|\/?(?:html|head|meta|title|body|div|p|h1|table|tr|th|td|a|br))[\s>]/;

function strayAngles(html: string): string[] {
  const stray: string[] = [];
  for (let i = html.indexOf('<'); i !== -1; i = html.indexOf('<', i + 1)) {
    const at = html.slice(i, i + 40);
    if (!TEMPLATE_TAG.test(at)) stray.push(at);
  }
  return stray;
}

describe('renderEmail', () => {
  it('names the item and the event in the subject and carries everything in both parts', () => {
    const r = renderEmail(base);
    expect(r.subject).toBe('[signoff] shop/web-bundle@v2: final approval requested');
    for (const part of [r.text, r.html]) {
      expect(part).toContain('Alice asks you for the final approval.');
      expect(part).toContain('The digests were checked.');
      expect(part).toContain('Validation');
      expect(part).toContain('ship it');
      expect(part).toContain('https://signoff.example/items/itm_42');
      expect(part).toContain('https://signoff.example/unsubscribe?token=tok.abc');
      expect(part).toContain('Bob Reviewer');
      expect(part).toContain('Alice Owner');
    }
    expect(r.text).toContain('Workflow step: Validation');
    expect(r.text).toContain('Comment: \n  Looks good\n  ship it');
    expect(r.html).toContain('Looks good<br />ship it');
    expect(r.html).toContain('<a href="https://signoff.example/items/itm_42"');
    expect(r.headers).toEqual({
      'List-Unsubscribe': '<https://signoff.example/unsubscribe?token=tok.abc>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
    });
  });

  it('uses inline styles only and loads nothing remote', () => {
    const { html } = renderEmail(base);
    expect(html).not.toMatch(/<img|<style|<link|<script|url\(|@import|src=/i);
    expect(html).toMatch(/style="/);
    expect(strayAngles(html)).toEqual([]);
  });

  it('renders hostile names and comments as text', () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'`&';
    const r = renderEmail({
      ...base,
      itemLabel: `shop/${evil}@v1`,
      projectName: evil,
      actor: evil,
      recipientName: evil,
      summary: evil,
      details: [[evil, evil]],
    });
    expect(r.html).not.toContain('<script');
    expect(r.html).not.toContain('<img');
    expect(r.html).not.toMatch(/<[^>]*onerror/i);
    expect(r.html).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&#96;&amp;',
    );
    expect(strayAngles(r.html)).toEqual([]);
    // The text part is plain text: shown as is, never interpreted.
    expect(r.text).toContain(evil);
  });

  it('never links to a non-http(s) URL', () => {
    const r = renderEmail({
      ...base,
      itemUrl: 'javascript:alert(1)',
      unsubscribeUrl: 'data:text/html,<b>x</b>',
    });
    expect(r.html).not.toMatch(/javascript:|data:text/);
    expect(r.text).not.toMatch(/javascript:|data:text/);
    expect(r.headers['List-Unsubscribe']).toBeUndefined();
    expect(r.headers['List-Unsubscribe-Post']).toBeUndefined();
  });

  it('keeps the List-Unsubscribe header one line with one URL inside the angle brackets', () => {
    const r = renderEmail({
      ...base,
      unsubscribeUrl:
        'https://signoff.example/u?t=a>\r\nBcc: evil@x.example, <https://evil.example/>',
    });
    const v = r.headers['List-Unsubscribe']!;
    expect(v).not.toMatch(/[\r\n]/);
    expect(v.startsWith('<https://signoff.example/u?t=')).toBe(true);
    expect(v.slice(1, -1)).not.toMatch(/[<>\s]/);
  });

  it('spells out event types in any of the usual spellings', () => {
    expect(eventPhrase('final_approval_requested')).toBe('final approval requested');
    expect(eventPhrase('finalApprovalRequested')).toBe('final approval requested');
    expect(eventPhrase('signoff.final-approval-requested')).toBe('final approval requested');
    expect(eventPhrase('feedback_requested')).toBe('feedback requested');
    expect(eventPhrase('something_new_happened')).toBe('something new happened');
    // core's NotificationEventType values
    expect(eventPhrase('finalApproval.submitted')).toBe('final approval given');
    expect(eventPhrase('review.statusEdited')).toBe('review changed');
    expect(eventPhrase('signoff.abandonCancelled')).toBe('abandon cancelled');
    expect(eventPhrase('signoff.resetScheduled')).toBe('reset scheduled');
    expect(eventPhrase('review.escalated')).toBe('review escalated');
    expect(eventPhrase('deployment.confirmed')).toBe('unapproved deployment confirmed');
    expect(eventPhrase('\r\n')).toBe('notification');
  });

  it('has a phrase for every event type core can put in the outbox', () => {
    const phrases = new Set(Object.values(EVENT_PHRASES));
    for (const type of NotificationEventType.options)
      expect(phrases, type).toContain(eventPhrase(type));
  });

  it('property: for any input, no unescaped < from the input, a one-line bounded subject, one-line headers', () => {
    // Any code point, mostly low ones (controls, Latin-1, C1). Not unit 'binary': fast-check
    // builds a table for it that takes seconds.
    const codePoint = fc
      .oneof(fc.integer({ min: 0, max: 0x2ff }), fc.integer({ min: 0, max: 0x10ffff }))
      .map((cp) => String.fromCodePoint(cp));
    const text = fc.oneof(
      fc.string({ unit: codePoint, maxLength: 60 }),
      fc.constantFrom(
        '<script>',
        '</td><td>',
        '\r\nBcc: x@y',
        '"><img src=x>',
        '\u2028',
        '&lt;',
        '<!--',
        ']]>',
        '\u0000\u001b[31m',
      ),
      fc.string({
        unit: fc.constantFrom('<', '>', '&', '"', "'", '`', '\r', '\n', 'a', ' ', '\u0085'),
        maxLength: 30,
      }),
    );
    // fc.webUrl is slow (seconds per few hundred); an https prefix on hostile text covers more anyway.
    const url = fc.oneof(
      text.map((t) => `https://signoff.example/u?t=${t}`),
      text.map((t) => `http://${t}`),
      text,
      fc.constantFrom(
        'javascript:alert(1)',
        'https://x.example/u?t=<a>\r\n',
        'HTTPS://X.EXAMPLE/%0d%0a',
      ),
    );
    fc.assert(
      fc.property(
        fc.record({
          eventType: text,
          itemLabel: text,
          itemUrl: url,
          projectName: text,
          actor: text,
          recipientName: text,
          summary: text,
          details: fc.array(fc.tuple(text, text), { maxLength: 4 }),
          unsubscribeUrl: url,
        }),
        (input) => {
          // Plain checks, not expect(): vitest's expect costs about a millisecond a call.
          const r = renderEmail(input);
          const stray = strayAngles(r.html);
          if (stray.length) throw new Error(`unescaped < in the HTML: ${JSON.stringify(stray)}`);
          // eslint-disable-next-line no-control-regex -- looking for control characters is the point
          if (/[\r\n\u2028\u2029\x00-\x1f\x7f]/.test(r.subject))
            throw new Error(`control character in subject ${JSON.stringify(r.subject)}`);
          if (!r.subject.startsWith('[signoff] ') || r.subject.length > 200)
            throw new Error(`bad subject ${JSON.stringify(r.subject)}`);
          for (const v of Object.values(r.headers))
            if (/[\r\n]/.test(v)) throw new Error(`CR/LF in header ${JSON.stringify(v)}`);
          const unsub = r.headers['List-Unsubscribe'];
          if (unsub !== undefined && !/^<https?:\/\/[^<>\s]+>$/.test(unsub))
            throw new Error(`bad List-Unsubscribe ${JSON.stringify(unsub)}`);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
