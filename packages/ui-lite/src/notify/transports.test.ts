import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type SmtpSink } from '../../../../test/support/smtp-sink.js';
import { renderEmail } from './render.js';
import {
  createMailer,
  formatMessageId,
  MailDeliveryError,
  SmtpConfigSchema,
  smtpConfigFromUrl,
  type MailMessage,
  type SmtpConfig,
} from './transports.js';

const FROM = 'Signoff <notify@signoff.example>';
const PASS = 's3cret-Pa55word!';

function message(overrides: Partial<MailMessage> = {}): MailMessage {
  const rendered = renderEmail({
    eventType: 'final_approval_requested',
    itemLabel: 'shop/web-bundle@v2',
    itemUrl: 'https://signoff.example/items/itm_42',
    projectName: 'shop',
    actor: 'Alice Owner',
    recipientName: 'Bob Reviewer',
    summary: 'Alice asks you for the final approval of shop/web-bundle@v2.',
    details: [
      ['Workflow step', 'Validation'],
      ['Importance', 'Critical'],
    ],
    unsubscribeUrl: 'https://signoff.example/unsubscribe?token=tok.abc',
  });
  return { to: 'bob@corp.example', ...rendered, messageId: 'ntf_01HZX-bob', ...overrides };
}

function config(sink: SmtpSink, extra: Partial<SmtpConfig> = {}): SmtpConfig {
  return { host: sink.host, port: sink.port, secure: false, from: FROM, ...extra };
}

async function rejection(p: Promise<unknown>): Promise<MailDeliveryError> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MailDeliveryError);
  return e as MailDeliveryError;
}

describe('createMailer over a real SMTP server', () => {
  let plain: SmtpSink;
  let starttlsAuth: SmtpSink;
  let implicit: SmtpSink;

  beforeAll(async () => {
    [plain, starttlsAuth, implicit] = await Promise.all([
      startSmtpSink(),
      startSmtpSink({ starttls: true, auth: { user: 'notify', pass: PASS } }),
      startSmtpSink({ implicitTls: true }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plain.close(), starttlsAuth.close(), implicit.close()]);
  });

  it('delivers both parts, the subject, the Message-ID and the list headers to the recipient', async () => {
    const mailer = createMailer(config(plain));
    const before = plain.messages.length;
    await mailer.send(message());
    mailer.close();
    const [mail] = (await plain.waitFor(before + 1)).slice(before);
    expect(mail!.from).toBe('notify@signoff.example');
    expect(mail!.to).toEqual(['bob@corp.example']);
    const p = mail!.parsed;
    expect(p.subject).toBe('[signoff] shop/web-bundle@v2: final approval requested');
    expect(p.from?.value).toEqual([{ address: 'notify@signoff.example', name: 'Signoff' }]);
    expect(p.messageId).toBe('<ntf_01HZX-bob@signoff.example>');
    expect(p.text).toContain('Alice asks you for the final approval of shop/web-bundle@v2.');
    expect(p.text).toContain('Importance: Critical');
    expect(p.text).toContain('https://signoff.example/items/itm_42');
    expect(p.text).toContain('https://signoff.example/unsubscribe?token=tok.abc');
    expect(p.html).toContain('Alice asks you for the final approval of shop/web-bundle@v2.');
    expect(p.html).toContain('href="https://signoff.example/items/itm_42"');
    expect(p.html).toContain('href="https://signoff.example/unsubscribe?token=tok.abc"');
    // mailparser folds List-* headers into `list`; the header lines as sent are the contract.
    const lines = Object.fromEntries(p.headerLines.map((h) => [h.key, h.line]));
    expect(lines['list-unsubscribe']).toBe(
      'List-Unsubscribe: <https://signoff.example/unsubscribe?token=tok.abc>',
    );
    expect(lines['list-unsubscribe-post']).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
    expect(lines['message-id']).toBe('Message-ID: <ntf_01HZX-bob@signoff.example>');
    expect(p.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail!.secure).toBe(false);
  });

  it('keeps a hostile subject on one line: no extra header, no extra recipient', async () => {
    const mailer = createMailer(config(plain));
    const before = plain.messages.length;
    await mailer.send(
      message({
        subject: 'hello\r\nBcc: evil@attacker.example\r\n\r\nbody',
        messageId: 'inject-1',
      }),
    );
    const [mail] = (await plain.waitFor(before + 1)).slice(before);
    expect(mail!.to).toEqual(['bob@corp.example']);
    expect(mail!.parsed.bcc).toBeUndefined();
    expect(mail!.parsed.subject).toBe('hello Bcc: evil@attacker.example body');
    expect(mail!.raw.toString('utf8')).not.toMatch(/^Bcc:/im);
  });

  it('refuses header names that would duplicate or smuggle headers, and a second recipient', async () => {
    const mailer = createMailer(config(plain));
    const before = plain.messages.length;
    await expect(
      mailer.send(message({ headers: { Bcc: 'evil@attacker.example' } })),
    ).rejects.toThrow(/invalid mail header name "Bcc"/);
    await expect(mailer.send(message({ headers: { 'X-A\r\nBcc': 'x' } }))).rejects.toThrow(
      /invalid mail header name/,
    );
    for (const to of [
      'bob@corp.example, eve@attacker.example',
      'bob@corp.example\r\nBcc: eve@attacker.example',
      'bob',
    ]) {
      const e = await rejection(mailer.send(message({ to })));
      expect([e.message, e.code, e.permanent]).toEqual([
        'mail recipient must be one e-mail address',
        'EENVELOPE',
        true,
      ]);
    }
    expect(plain.messages.length).toBe(before);
  });

  it('keeps a long one-click link intact and encodes a non-ASCII subject', async () => {
    const token = `v1.${'A'.repeat(300)}.${'b'.repeat(43)}`;
    const url = `https://signoff.example/unsubscribe?token=${token}`;
    const rendered = renderEmail({
      eventType: 'review.reminder',
      itemLabel: 'ml/modèle-prix@v3 ✓',
      itemUrl: 'https://signoff.example/items/itm_7',
      projectName: 'ml',
      actor: 'Zoë',
      recipientName: 'Jürgen',
      summary: 'Überfällig',
      details: [],
      unsubscribeUrl: url,
    });
    const before = plain.messages.length;
    await createMailer(config(plain)).send({
      to: 'jurgen@corp.example',
      ...rendered,
      messageId: 'long-1',
    });
    const [mail] = (await plain.waitFor(before + 1)).slice(before);
    expect(mail!.parsed.subject).toBe('[signoff] ml/modèle-prix@v3 ✓: review reminder');
    expect(mail!.parsed.text).toContain('Jürgen');
    const line = mail!.parsed.headerLines.find((h) => h.key === 'list-unsubscribe')!.line;
    // Folding may split the line; unfolded (RFC 5322 2.2.3) it is the link, untouched.
    expect(line.replace(/\r?\n[ \t]+/g, ' ')).toMatch(
      new RegExp(`^List-Unsubscribe: ?<${url.replace(/[.?]/g, '\\$&')}>$`),
    );
  });

  it('upgrades with STARTTLS and logs in when the relay requires it', async () => {
    const mailer = createMailer(
      config(starttlsAuth, {
        requireTLS: true,
        user: 'notify',
        pass: PASS,
        tlsRejectUnauthorized: false,
      }),
    );
    await mailer.verify();
    await mailer.send(message());
    const [mail] = await starttlsAuth.waitFor(1);
    expect(mail!.secure).toBe(true);
    expect(mail!.user).toBe('notify');
    expect(mail!.parsed.subject).toBe('[signoff] shop/web-bundle@v2: final approval requested');
  });

  it('speaks implicit TLS (secure: true)', async () => {
    const mailer = createMailer(config(implicit, { secure: true, tlsRejectUnauthorized: false }));
    await mailer.send(message());
    const [mail] = await implicit.waitFor(1);
    expect(mail!.secure).toBe(true);
  });

  it('checks the relay certificate by default: a self-signed one is refused', async () => {
    const mailer = createMailer(
      config(starttlsAuth, { requireTLS: true, user: 'notify', pass: PASS }),
      { timeoutMs: 3000 },
    );
    const before = starttlsAuth.messages.length;
    const e = await rejection(mailer.send(message()));
    expect(e.message).toMatch(
      new RegExp(
        `^SMTP send via 127\\.0\\.0\\.1:${starttlsAuth.port} failed \\(E\\w+\\): .*certificate`,
        'i',
      ),
    );
    expect(e.permanent).toBe(false);
    expect(starttlsAuth.messages.length).toBe(before);
  });

  it('refuses to send in clear text when requireTLS is set and the relay has no STARTTLS', async () => {
    const before = plain.messages.length;
    const e = await rejection(createMailer(config(plain, { requireTLS: true })).send(message()));
    expect(e.message).toMatch(/STARTTLS|TLS/);
    expect(plain.messages.length).toBe(before);
  });

  it('reports a failed login without the password', async () => {
    const wrong = `${PASS}-wrong`;
    const e = await rejection(
      createMailer(
        config(starttlsAuth, {
          requireTLS: true,
          user: 'notify',
          pass: wrong,
          tlsRejectUnauthorized: false,
        }),
      ).send(message()),
    );
    expect(e.code).toBe('EAUTH');
    expect(e.responseCode).toBe(535);
    expect(e.message).toMatch(/^SMTP send via 127\.0\.0\.1:\d+ failed \(EAUTH 535\)/);
    expect(e.message).not.toContain(PASS);
    expect(e.message).not.toContain(Buffer.from(wrong).toString('base64'));
    expect(starttlsAuth.authFailures).toBeGreaterThan(0);
  });

  it('rejects with a clear error while the relay is down, and delivers again once it is back', async () => {
    const sink = await startSmtpSink();
    try {
      const mailer = createMailer(config(sink), { timeoutMs: 3000 });
      await sink.down();
      const e = await rejection(mailer.send(message()));
      expect(e.message).toMatch(
        new RegExp(
          `^SMTP send via 127\\.0\\.0\\.1:${sink.port} failed \\((ECONNECTION|ESOCKET)\\): .*ECONNREFUSED`,
        ),
      );
      expect(e.permanent).toBe(false);
      await expect(mailer.verify()).rejects.toThrow(/^SMTP verify via 127\.0\.0\.1:\d+ failed/);
      await sink.up();
      await mailer.verify();
      await mailer.send(message());
      await sink.waitFor(1);
    } finally {
      await sink.close();
    }
  });

  it('tells a permanent refusal (5xx) from a temporary one (4xx), a relay that hangs up and one that never greets', async () => {
    const sink = await startSmtpSink();
    try {
      const mailer = createMailer(config(sink), { timeoutMs: 3000 });
      sink.mode = 'reject';
      const rejected = await rejection(mailer.send(message()));
      expect([rejected.code, rejected.responseCode, rejected.permanent]).toEqual([
        'EENVELOPE',
        550,
        true,
      ]);
      sink.mode = 'tempfail';
      const deferred = await rejection(mailer.send(message()));
      expect([deferred.code, deferred.responseCode, deferred.permanent]).toEqual([
        'EENVELOPE',
        451,
        false,
      ]);
      sink.mode = 'refuse';
      const refused = await rejection(mailer.send(message()));
      expect(refused.permanent).toBe(false);
      expect(refused.message).toMatch(/^SMTP send via 127\.0\.0\.1:\d+ failed/);
      expect(sink.messages).toHaveLength(0);
      sink.mode = 'hang';
      const quick = createMailer(config(sink), { timeoutMs: 300 });
      const started = Date.now();
      const hung = await rejection(quick.send(message()));
      expect(hung.code).toBe('ETIMEDOUT');
      expect(hung.permanent).toBe(false);
      expect(Date.now() - started).toBeLessThan(2_500);
      sink.mode = 'accept';
      await mailer.send(message());
      expect(sink.messages).toHaveLength(1);
    } finally {
      await sink.close();
    }
  });
});

describe('SmtpConfigSchema', () => {
  const issues = (input: unknown): Record<string, string> => {
    const r = SmtpConfigSchema.safeParse(input);
    if (r.success) return {};
    return Object.fromEntries(r.error.issues.map((i) => [i.path.join('.'), i.message]));
  };

  it('accepts a full config and coerces strings from the environment', () => {
    const r = SmtpConfigSchema.parse({
      host: 'smtp.corp.example',
      port: '587',
      secure: 'false',
      requireTLS: 'yes',
      user: 'notify',
      pass: PASS,
      from: FROM,
      tlsRejectUnauthorized: 'true',
    });
    expect(r).toEqual({
      host: 'smtp.corp.example',
      port: 587,
      secure: false,
      requireTLS: true,
      user: 'notify',
      pass: PASS,
      from: FROM,
      tlsRejectUnauthorized: true,
    });
    expect(
      SmtpConfigSchema.parse({ host: 'localhost', port: 25, from: 'a@b.example' }).secure,
    ).toBe(false);
  });

  it('names the field of each mistake', () => {
    expect(issues({ host: 'h', port: 0, from: FROM })).toEqual({ port: 'must be 1-65535' });
    expect(issues({ host: 'h', port: 65536, from: FROM })).toEqual({ port: 'must be 1-65535' });
    expect(issues({ host: 'h', port: 'abc', from: FROM })).toHaveProperty('port');
    expect(issues({ host: 'h', port: 25.5, from: FROM })).toEqual({
      port: 'must be a whole number',
    });
    expect(issues({ host: '', port: 25, from: FROM })).toEqual({ host: 'must not be empty' });
    expect(issues({ host: 'h', port: 25, from: 'not an address' })).toHaveProperty(
      'from',
      expect.stringMatching(/must be one e-mail address/),
    );
    expect(issues({ host: 'h', port: 25, from: 'a@b.example, c@d.example' })).toHaveProperty(
      'from',
    );
    expect(issues({ host: 'h', port: 25, from: 'a@b.example\r\nBcc: x@y.example' })).toHaveProperty(
      'from',
    );
    expect(issues({ host: 'h', port: 25, from: FROM, user: 'u' })).toEqual({
      pass: 'is required when user is set',
    });
    expect(issues({ host: 'h', port: 25, from: FROM, pass: 'p' })).toEqual({
      user: 'is required when pass is set',
    });
    expect(issues({ host: 'h', port: 25, from: FROM, secure: 'maybe' })).toHaveProperty('secure');
    expect(
      issues({ host: 'h', port: 465, from: FROM, secure: true, requireTLS: true }),
    ).toHaveProperty('requireTLS');
  });

  it('reads SIGNOFF_SMTP_URL without ever quoting it in an error', () => {
    const r = smtpConfigFromUrl(
      'smtp://notify%40corp:p%2Fss@smtp.corp.example:2525?requireTLS=true&tlsRejectUnauthorized=false',
      FROM,
    );
    expect(r.success && r.data).toEqual({
      host: 'smtp.corp.example',
      port: 2525,
      secure: false,
      requireTLS: true,
      tlsRejectUnauthorized: false,
      user: 'notify@corp',
      pass: 'p/ss',
      from: FROM,
    });
    const s = smtpConfigFromUrl('smtps://relay.example', FROM);
    expect(s.success && [s.data.port, s.data.secure]).toEqual([465, true]);
    const d = smtpConfigFromUrl('smtp://relay.example', FROM);
    expect(d.success && d.data.port).toBe(587);
    const bad = smtpConfigFromUrl('http://user:hunter22@relay.example', FROM);
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).not.toContain('hunter22');
    expect(bad.error?.issues[0]?.path).toEqual(['url']);
    expect(smtpConfigFromUrl('smtp://u@relay.example', FROM).error?.issues[0]?.path).toEqual([
      'pass',
    ]);
  });

  it('formats Message-IDs with the sender domain when the id has none', () => {
    expect(formatMessageId('ntf_1', 'notify@signoff.example')).toBe('<ntf_1@signoff.example>');
    expect(formatMessageId('<a@b.example>', 'notify@signoff.example')).toBe('<a@b.example>');
    expect(formatMessageId('x\r\ny z', 'notify@signoff.example')).toBe('<xyz@signoff.example>');
  });
});
