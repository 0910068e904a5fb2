import { z } from 'zod';

/** How the runner hands inputs over: `INPUT_<NAME>` with spaces as `_`, upper-cased, hyphens kept. */
export type InputReader = (name: string) => string;

const DURATION = /^(\d+)\s*(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `90s`, `30m`, `2h`, `500ms`, or bare seconds (`120`); `0`/empty means no wait. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const m = DURATION.exec(t);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const Duration = z
  .string()
  .transform((v, ctx) => {
    if (v.trim() === '') return undefined;
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration such as 90s, 30m or 2h` });
      return z.NEVER;
    }
    if (ms > 6 * 3_600_000) {
      ctx.addIssue({ code: 'custom', message: 'must be at most 6h (the longest a job may run)' });
      return z.NEVER;
    }
    return ms === 0 ? undefined : ms;
  });

const Bool = z
  .string()
  .transform((v, ctx) => {
    const t = v.trim().toLowerCase();
    if (t === 'true' || t === 'yes' || t === '1') return true;
    if (t === 'false' || t === 'no' || t === '0' || t === '') return false;
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a boolean (true or false)` });
    return z.NEVER;
  });

const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .transform((v) => (v.trim() === '' ? undefined : v.trim()));

/** Newline- or comma-separated list, blanks dropped. */
const List = z.string().transform((v) =>
  v
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
);

const ServerUrl = z
  .string()
  .trim()
  .min(1, 'is required')
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://signoff.example.com' }));

const ItemRef = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const InfraId = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Every input of action.yml, as strings the way the runner gives them. */
export const RawInputs = z.object({
  mode: z
    .string()
    .transform((v) => v.trim() || 'gate')
    .pipe(z.enum(['gate', 'register'], { error: 'must be "gate" or "register"' })),
  'server-url': ServerUrl,
  'api-key': z.string().trim().min(1, 'is required'),
  item: z
    .string()
    .trim()
    .max(300)
    .refine((v) => v === '' || ItemRef.test(v) || /^[a-z0-9][a-z0-9_-]*$/.test(v), 'must be an item id or project/name@version')
    .transform((v) => v || undefined),
  digests: List.pipe(z.array(z.string().max(1024)).max(200)),
  infrastructure: z
    .string()
    .trim()
    .refine((v) => v === '' || (InfraId.test(v) && v.length <= 63), 'must be an infrastructure id (a DNS label)')
    .transform((v) => v || undefined),
  environment: optionalText(255),
  'confirm-unapproved': optionalText(1000),
  'wait-for-approval': Duration,
  'dry-run': Bool,
  'github-token': optionalText(4096),
  'commit-status': Bool,
  'pr-comment': Bool,
  // register mode
  kind: z
    .string()
    .transform((v) => v.trim() || 'bundle')
    .pipe(z.enum(['bundle', 'model-version'], { error: 'must be "bundle" or "model-version"' })),
  model: optionalText(64),
  importance: z
    .string()
    .transform((v) => v.trim() || 'Moderate')
    .pipe(z.enum(['Critical', 'High', 'Moderate', 'Low'], { error: 'must be Critical, High, Moderate or Low' })),
  description: optionalText(20_000),
  'request-feedback': List,
});
export type RawInputs = z.input<typeof RawInputs>;

export type GateInputs = z.infer<typeof RawInputs> & { mode: 'gate' };
export type Inputs = z.infer<typeof RawInputs>;

/** Defaults for inputs the runner would fill from action.yml when they are missing (direct `node dist/index.js`). */
const DEFAULTS: Partial<Record<keyof RawInputs, string>> = {
  'commit-status': 'true',
  'pr-comment': 'true',
  'dry-run': 'false',
};

export type ParsedInputs = { ok: true; value: Inputs } | { ok: false; message: string };

/** Reads every input and validates it; the first problem names the input. */
export function parseInputs(read: InputReader): ParsedInputs {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(RawInputs.shape) as (keyof RawInputs)[]) {
    const v = read(name);
    raw[name] = v === '' ? (DEFAULTS[name] ?? '') : v;
  }
  const parsed = RawInputs.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'inputs');
    return { ok: false, message: `Input "${name}" ${issue?.message ?? 'is invalid'}` };
  }
  const v = parsed.data;
  if (v.mode === 'gate') {
    if (v.infrastructure !== undefined && v.environment !== undefined) {
      return { ok: false, message: 'Input "infrastructure" and input "environment" are exclusive: give one of them' };
    }
    if (v.infrastructure === undefined && v.environment === undefined) {
      return { ok: false, message: 'Input "infrastructure" is required (or "environment", which the server maps to an infrastructure for this repository)' };
    }
    if (v.item === undefined && v.digests.length === 0) {
      return { ok: false, message: 'Input "item" is required (or "digests"): say what is being deployed' };
    }
  } else {
    if (v.item === undefined || !ItemRef.test(v.item)) {
      return { ok: false, message: 'Input "item" must be project/name@version in register mode' };
    }
    if (v.digests.length === 0) {
      return { ok: false, message: 'Input "digests" is required in register mode: the images, storage URIs or checksum the build produced' };
    }
    if (v.kind === 'model-version' && v.model === undefined) {
      return { ok: false, message: 'Input "model" is required for kind model-version (the governed model id)' };
    }
  }
  return { ok: true, value: v };
}
