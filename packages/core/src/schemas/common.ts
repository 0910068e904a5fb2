import { z } from 'zod';

/** Record ids: lowercase letters, digits, `_` and `-`, 1..64 chars (generated ids look like `itm_3k9x...`). */
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, "_" or "-"');
export type Id = z.infer<typeof Id>;

/** A slug usable in `project/name@version` references. */
export const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lowercase letters, digits, ".", "_" or "-"');
export type Slug = z.infer<typeof Slug>;

export const Version = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'must be letters, digits, ".", "_", "+" or "-"');
export type Version = z.infer<typeof Version>;

/** ISO 8601 timestamp in UTC, as produced by `Date.prototype.toISOString()`. */
export const Timestamp = z.iso.datetime();
export type Timestamp = z.infer<typeof Timestamp>;

export const Link = z.object({
  title: z.string().min(1).max(200),
  url: z.url({ protocol: /^https?$/ }),
});
export type Link = z.infer<typeof Link>;

export const Importance = z.enum(['Critical', 'High', 'Moderate', 'Low']);
export type Importance = z.infer<typeof Importance>;
