import { z } from 'zod';
import { err, ok, type Result } from '../result.js';
import { Slug, Version } from '../schemas/common.js';

/** The parts of an item reference `project/name@version`. */
export interface ItemRef {
  /** The governed project's key. */
  project: string;
  name: string;
  version: string;
}

const MAX_REF = 64 * 3 + 2;
/** Slug / Slug @ Version, as in schemas/common.ts (the zod schemas explain failures). */
const REF_RE = /^([a-z0-9][a-z0-9._-]{0,63})\/([a-z0-9][a-z0-9._-]{0,63})@([A-Za-z0-9][A-Za-z0-9._+-]{0,63})$/;
const ID_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * Parses `project/name@version` (project key and name are slugs, the version is letters, digits,
 * `.`, `_`, `+`, `-`), returning a field-by-field error. See {@link parseItemRef} for the
 * `undefined`-returning form.
 */
export function checkItemRef(input: string): Result<ItemRef> {
  const fast = REF_RE.exec(input);
  if (fast) return ok({ project: fast[1] as string, name: fast[2] as string, version: fast[3] as string });
  if (input.length > MAX_REF) return err('VALIDATION', `item reference is longer than ${MAX_REF} characters`, [{ path: [], message: 'too long' }]);
  const slash = input.indexOf('/');
  const at = input.lastIndexOf('@');
  if (slash < 0 || at < slash) {
    return err('VALIDATION', `"${input}" is not an item reference: expected project/name@version`, [
      { path: [], message: 'expected project/name@version' },
    ]);
  }
  const parts = { project: input.slice(0, slash), name: input.slice(slash + 1, at), version: input.slice(at + 1) };
  const checks = [
    ['project', Slug.safeParse(parts.project)],
    ['name', Slug.safeParse(parts.name)],
    ['version', Version.safeParse(parts.version)],
  ] as const;
  const issues = checks.flatMap(([field, r]) => (r.success ? [] : [{ path: [field], message: r.error.issues[0]?.message ?? 'invalid' }]));
  if (issues.length > 0) {
    const first = issues[0] as { path: string[]; message: string };
    return err('VALIDATION', `"${input}" is not a valid item reference: its ${first.path[0]} ${first.message}`, issues);
  }
  return ok(parts);
}

/** `project/name@version` → its parts, or `undefined` when it is not a valid reference. */
export function parseItemRef(input: string): ItemRef | undefined {
  const r = checkItemRef(input);
  return r.ok ? r.value : undefined;
}

/** Formats `project/name@version`. */
export function formatItemRef(project: string, name: string, version: string): string;
export function formatItemRef(ref: ItemRef): string;
export function formatItemRef(a: string | ItemRef, name?: string, version?: string): string {
  return typeof a === 'string' ? `${a}/${name ?? ''}@${version ?? ''}` : `${a.project}/${a.name}@${a.version}`;
}

/** True for a record id (`itm_…`), as opposed to a `project/name@version` reference. */
export function isItemId(input: string): boolean {
  return ID_RE.test(input);
}

/** A zod schema for `project/name@version` strings that yields the parts. */
export const ItemRefString = z.string().transform((s, ctx): ItemRef => {
  const r = checkItemRef(s);
  if (r.ok) return r.value;
  for (const issue of r.error.issues ?? []) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});

/** An item id or a `project/name@version` reference, as written in `signoff.dev/item`. */
export const ItemIdOrRef = z
  .string()
  .min(1)
  .max(MAX_REF)
  .refine((s) => isItemId(s) || parseItemRef(s) !== undefined, 'must be an item id or project/name@version');
