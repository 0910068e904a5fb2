import { describe, expect, it } from 'vitest';
import { SessionStore, tokensEqual } from './sessions.js';

describe('SessionStore', () => {
  const clockAt = (t: { ms: number }) => ({ now: () => new Date(t.ms) });

  it('finds a session by its id, never by anything stored', () => {
    const sessions = new SessionStore({ clock: clockAt({ ms: 0 }) });
    const { id, session } = sessions.create('usr_1');
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessions.get(id)).toBe(session);
    expect(sessions.get(id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
    expect(session.csrfToken).not.toBe(id);
  });

  it('expires sessions after the idle timeout and the absolute lifetime', () => {
    const t = { ms: 0 };
    const sessions = new SessionStore({ clock: clockAt(t), idleMs: 1000, maxAgeMs: 5000 });
    const a = sessions.create('usr_1');
    t.ms = 900;
    expect(sessions.get(a.id)).toBeDefined();
    t.ms = 1800; // 900 ms after the last use
    expect(sessions.get(a.id)).toBeDefined();
    t.ms = 2801;
    expect(sessions.get(a.id)).toBeUndefined();
    const b = sessions.create('usr_1');
    for (t.ms = 3000; t.ms < 7800; t.ms += 800) expect(sessions.get(b.id)).toBeDefined();
    t.ms = 8100;
    expect(sessions.get(b.id)).toBeUndefined();
  });

  it('destroys one session or every session of a user', () => {
    const sessions = new SessionStore({ clock: clockAt({ ms: 0 }) });
    const a = sessions.create('usr_1');
    const b = sessions.create('usr_1');
    const c = sessions.create('usr_2');
    expect(sessions.destroy(a.id)).toBe(true);
    expect(sessions.get(a.id)).toBeUndefined();
    sessions.destroyUser('usr_1');
    expect(sessions.get(b.id)).toBeUndefined();
    expect(sessions.get(c.id)).toBeDefined();
  });

  it('compares tokens in constant time and by value', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
  });
});
