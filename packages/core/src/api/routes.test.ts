import { describe, expect, it } from 'vitest';
import { apiRouteList, apiRoutes, pathFor } from './routes.js';
import { httpStatusFor, problemFromError, errorFromProblem, ProblemDocument } from './problem.js';
import { DecisionInputSchema, ScheduleResetBody, SubmitFeedbackBody } from './schemas.js';
import { ErrorCode } from '../result.js';

describe('apiRoutes', () => {
  it('has unique operation ids and unique method+path pairs', () => {
    const ops = new Set(apiRouteList.map((r) => r.operationId));
    expect(ops.size).toBe(apiRouteList.length);
    const keys = new Set(apiRouteList.map((r) => `${r.method} ${r.path}`));
    expect(keys.size).toBe(apiRouteList.length);
    for (const [k, r] of Object.entries(apiRoutes)) expect(r.operationId).toBe(k);
  });

  it('gives every sign-off action its own endpoint under /items/:id/signoff', () => {
    const signoff = apiRouteList.filter((r) => r.path.includes('/signoff/')).map((r) => `${r.method} ${r.path.replace('/api/v1/items/:id/signoff/', '')}`);
    expect(signoff.sort()).toEqual(
      [
        'POST request-feedback',
        'POST feedback',
        'PATCH feedback/:reviewId',
        'DELETE feedback/:reviewId',
        'POST delegate',
        'POST request-final-approval',
        'POST back-to-feedback',
        'POST final-approval',
        'PATCH final-approval',
        'POST abandon',
        'POST cancel-abandon',
        'POST reset',
        'PUT schedule-reset',
        'DELETE schedule-reset',
      ].sort(),
    );
  });

  it('fills paths with encoded parameters', () => {
    expect(pathFor(apiRoutes.getItem.path, { id: 'shop/web-bundle@v2' })).toBe('/api/v1/items/shop%2Fweb-bundle%40v2');
    expect(() => pathFor(apiRoutes.editFeedback.path, { id: 'x' })).toThrow(/reviewId/);
  });

  it('rejects unknown body fields and names them', () => {
    const r = SubmitFeedbackBody.safeParse({ groupId: 'business', status: 'Approved', extra: 1 });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('extra');
    expect(ScheduleResetBody.safeParse({}).success).toBe(false);
  });

  it('requires exactly one way to name the infrastructure in a decision', () => {
    expect(DecisionInputSchema.safeParse({ infrastructure: 'production', item: 'a/b@1' }).success).toBe(true);
    expect(DecisionInputSchema.safeParse({ item: 'a/b@1' }).success).toBe(false);
    expect(DecisionInputSchema.safeParse({ infrastructure: 'production', namespace: 'ml-prod' }).success).toBe(false);
  });
});

describe('problem documents', () => {
  it('maps every code to a 4xx/5xx status', () => {
    expect(httpStatusFor('VALIDATION')).toBe(400);
    expect(httpStatusFor('UNAUTHENTICATED')).toBe(401);
    expect(httpStatusFor('NOT_ASSIGNED')).toBe(403);
    expect(httpStatusFor('SEPARATION_OF_DUTIES')).toBe(403);
    expect(httpStatusFor('NOT_FOUND')).toBe(404);
    expect(httpStatusFor('WORKFLOW_LOCKED')).toBe(409);
    expect(httpStatusFor('RATE_LIMITED')).toBe(429);
    expect(httpStatusFor('UNAVAILABLE')).toBe(503);
    for (const code of Object.values(ErrorCode)) expect(httpStatusFor(code)).toBeGreaterThanOrEqual(400);
  });

  it('round-trips an error through a problem document', () => {
    const e = { code: 'VALIDATION' as const, message: 'bad', issues: [{ path: ['body', 'status'], message: 'required' }] };
    const doc = problemFromError(e, '/api/v1/items');
    expect(ProblemDocument.parse(doc)).toEqual(doc);
    expect(doc.status).toBe(400);
    expect(errorFromProblem(doc)).toEqual(e);
  });
});
