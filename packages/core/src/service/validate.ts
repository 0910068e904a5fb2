import type { z } from 'zod';
import { err, issuesFromZod, ok, type Result } from '../result.js';

/** Parse `input` with `schema`; a failure is a VALIDATION error naming every offending field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, what = 'input'): Result<z.output<S>> {
  const r = schema.safeParse(input);
  if (r.success) return ok(r.data);
  const issues = issuesFromZod(r.error.issues);
  const first = issues[0];
  const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
  return err('VALIDATION', `Invalid ${what}${where}: ${first?.message ?? 'invalid'}`, issues);
}
