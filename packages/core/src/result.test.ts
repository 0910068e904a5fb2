import { describe, expect, it } from 'vitest';
import { err, issuesFromZod, ok } from './result.js';
import { Item } from './schemas/item.js';

describe('result helpers', () => {
  it('wraps values and errors', () => {
    expect(ok(1)).toEqual({ ok: true, value: 1 });
    expect(err('NOT_FOUND', 'no such item')).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'no such item' },
    });
  });

  it('keeps the field path of a zod issue', () => {
    const parsed = Item.safeParse({ id: 'itm_1', artifacts: { images: ['nginx:1.25'] } });
    expect(parsed.success).toBe(false);
    if (parsed.success) return;
    const issues = issuesFromZod(parsed.error.issues);
    expect(issues).toContainEqual(
      expect.objectContaining({ path: ['artifacts', 'images', 0] }),
    );
  });
});
