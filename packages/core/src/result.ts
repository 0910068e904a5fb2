/**
 * Expected failures are values. Every use case returns a `Result`; only bugs throw.
 */
export const ErrorCode = {
  VALIDATION: 'VALIDATION',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_ASSIGNED: 'NOT_ASSIGNED',
  SEPARATION_OF_DUTIES: 'SEPARATION_OF_DUTIES',
  INVALID_TRANSITION: 'INVALID_TRANSITION',
  SIGNOFF_REQUIRED: 'SIGNOFF_REQUIRED',
  WORKFLOW_LOCKED: 'WORKFLOW_LOCKED',
  QUORUM_NOT_MET: 'QUORUM_NOT_MET',
  STORE_LOCKED: 'STORE_LOCKED',
  STORE_CORRUPT: 'STORE_CORRUPT',
  STORE_VERSION: 'STORE_VERSION',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface FieldIssue {
  /** Path of the offending field, e.g. `["reviewers", "feedbackGroups", 0, "assignees"]`. */
  path: (string | number)[];
  message: string;
}

export interface SignoffError {
  code: ErrorCode;
  message: string;
  issues?: FieldIssue[];
}

export type Result<T, E = SignoffError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = (
  code: ErrorCode,
  message: string,
  issues?: FieldIssue[],
): { ok: false; error: SignoffError } => ({
  ok: false,
  error: issues ? { code, message, issues } : { code, message },
});

/** Turn zod issues into field issues with paths. */
export function issuesFromZod(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldIssue[] {
  return issues.map((i) => ({
    path: i.path.map((p) => (typeof p === 'number' ? p : String(p))),
    message: i.message,
  }));
}

/** A thrown error for conditions that are bugs or operational faults, with a stable code. */
export class SignoffFault extends Error {
  override readonly name = 'SignoffFault';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
