import { z } from 'zod';
import { ErrorCode, type FieldIssue, type SignoffError } from '../result.js';

/** RFC 9457 problem document, served as `application/problem+json` for every API error. */
export const ProblemDocument = z.object({
  /** `https://signoff.dev/problems/<code>` (lower-case code). */
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string(),
  /** The stable error code (`VALIDATION`, `NOT_ASSIGNED`, …). */
  code: z.enum(ErrorCode),
  issues: z
    .array(z.object({ path: z.array(z.union([z.string(), z.number()])), message: z.string() }))
    .optional(),
  instance: z.string().optional(),
});
export type ProblemDocument = z.infer<typeof ProblemDocument>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const statusByCode: Record<ErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_ASSIGNED: 403,
  SEPARATION_OF_DUTIES: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_TRANSITION: 409,
  SIGNOFF_REQUIRED: 409,
  WORKFLOW_LOCKED: 409,
  QUORUM_NOT_MET: 409,
  RATE_LIMITED: 429,
  STORE_CORRUPT: 500,
  STORE_VERSION: 500,
  STORE_LOCKED: 503,
  UNAVAILABLE: 503,
};

const titleByCode: Record<ErrorCode, string> = {
  VALIDATION: 'Invalid request',
  UNAUTHENTICATED: 'Authentication required',
  FORBIDDEN: 'Not allowed',
  NOT_ASSIGNED: 'Not an assigned reviewer',
  SEPARATION_OF_DUTIES: 'Separation of duties',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  INVALID_TRANSITION: 'Action not possible in this state',
  SIGNOFF_REQUIRED: 'Sign-off required',
  WORKFLOW_LOCKED: 'Workflow locked',
  QUORUM_NOT_MET: 'Quorum not met',
  RATE_LIMITED: 'Too many requests',
  STORE_CORRUPT: 'Store corrupt',
  STORE_VERSION: 'Store version not supported',
  STORE_LOCKED: 'Store locked',
  UNAVAILABLE: 'Service unavailable',
};

/** The one mapping from error code to HTTP status. */
export function httpStatusFor(code: ErrorCode): number {
  return statusByCode[code];
}

export function problemTypeFor(code: ErrorCode): string {
  return `https://signoff.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}

/** Build the problem document for an error value. */
export function problemFromError(error: SignoffError, instance?: string): ProblemDocument {
  const doc: ProblemDocument = {
    type: problemTypeFor(error.code),
    title: titleByCode[error.code],
    status: httpStatusFor(error.code),
    detail: error.message,
    code: error.code,
  };
  if (error.issues && error.issues.length > 0) doc.issues = error.issues;
  if (instance !== undefined) doc.instance = instance;
  return doc;
}

/** Map a problem document (as received by a client) back to an error value. */
export function errorFromProblem(problem: ProblemDocument): SignoffError {
  const issues: FieldIssue[] | undefined = problem.issues;
  return issues && issues.length > 0
    ? { code: problem.code, message: problem.detail, issues }
    : { code: problem.code, message: problem.detail };
}

/** Best-effort code for a bare HTTP status (an answer without a problem document). */
export function codeForHttpStatus(status: number): ErrorCode {
  if (status === 400 || status === 422) return 'VALIDATION';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMITED';
  return 'UNAVAILABLE';
}
