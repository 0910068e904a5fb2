import { err, ok, type Result } from '../result.js';
import { apiRoutes, pathFor, type ApiOperationId } from '../api/routes.js';
import { ProblemDocument, codeForHttpStatus, errorFromProblem } from '../api/problem.js';
import type {
  CreateProjectInput,
  DecisionInputBody,
  ListDeploymentsQuery,
  ListItemsQuery,
  PublicUser,
  RegisterItemInput,
  ReviewersInput,
  StepUpdateInput,
  UpdateItemInput,
} from '../api/schemas.js';
import type { DecisionOutput, GovernanceStatus, ReviewTask } from '../service/types.js';
import type { DeploymentRecord } from '../decision/schema.js';
import type { Item } from '../schemas/item.js';
import type { Project } from '../schemas/project.js';
import type { Principal } from '../schemas/principal.js';
import type { Infrastructure } from '../schemas/infrastructure.js';
import type { AuditEvent, AuditVerification } from '../audit/schema.js';
import type { FeedbackStatus, FinalStatus } from '../signoff/schema.js';
import type { Assignee } from '../schemas/principal.js';

type FetchInit = Omit<RequestInit, 'dispatcher'> & { dispatcher?: unknown };
type FetchLike = (input: string, init: FetchInit) => Promise<Response>;

export interface SignoffClientOptions {
  /** e.g. `https://signoff.example.com` (no trailing `/api/v1`). */
  baseUrl: string;
  /** Bearer token `sk_<prefix>_<secret>`. */
  apiKey?: string;
  /** Per request, including reading the body. Default 5000 ms. */
  timeoutMs?: number;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: FetchLike;
  /** An undici `Dispatcher` passed through to fetch (connection pooling, proxies). */
  dispatcher?: unknown;
  /** PEM CA bundle to trust for HTTPS (a private CA); uses undici's fetch with its own Agent. */
  ca?: string | Buffer;
  /** Extra headers on every request (e.g. `user-agent`). */
  headers?: Record<string, string>;
}

export interface CallInput {
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

/**
 * Typed client of the signoff HTTP API. Every method returns a Result: problem documents come
 * back as the server's SignoffError (code, message, field issues); a network error, a timeout,
 * a 5xx answer or an unreadable body is `UNAVAILABLE` with the cause in the message.
 */
export class SignoffClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private fetchImpl: FetchLike | Promise<FetchLike>;
  private readonly dispatcher: unknown;

  constructor(options: SignoffClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.headers = { ...options.headers };
    if (options.ca !== undefined && options.fetch === undefined && options.dispatcher === undefined) {
      const ca = options.ca;
      // undici's own fetch with its own Agent: mixing undici versions with Node's bundled fetch is not safe.
      const loaded = import('undici').then((u) => {
        const agent = new u.Agent({ connect: { ca } });
        const f: FetchLike = (input, init) => u.fetch(input, { ...(init as object), dispatcher: agent });
        this.fetchImpl = f;
        return f;
      });
      loaded.catch(() => undefined);
      this.fetchImpl = loaded;
      this.dispatcher = undefined;
    } else {
      this.fetchImpl = options.fetch ?? (globalThis.fetch as FetchLike);
      this.dispatcher = options.dispatcher;
    }
  }

  /** Call any route of `apiRoutes` by operation id; the answer is checked against its response schema. */
  async call<T>(operationId: ApiOperationId, input: CallInput = {}): Promise<Result<T>> {
    const route = apiRoutes[operationId];
    let url: string;
    try {
      url = this.baseUrl + pathFor(route.path, input.params);
    } catch (e) {
      return err('VALIDATION', (e as Error).message);
    }
    if (input.query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(input.query)) if (v !== undefined) qs.set(k, String(v));
      const s = qs.toString();
      if (s) url += `?${s}`;
    }
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...this.headers };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let body: string | undefined;
    if (input.body !== undefined && route.method !== 'GET') {
      body = JSON.stringify(input.body);
      headers['content-type'] = 'application/json';
    }
    const what = `${route.method} ${url}`;
    let response: Response;
    let text: string;
    try {
      const f = await this.fetchImpl;
      const init: FetchInit = {
        method: route.method,
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body !== undefined ? { body } : {}),
        ...(this.dispatcher !== undefined ? { dispatcher: this.dispatcher } : {}),
      };
      response = await f(url, init);
      text = await response.text();
    } catch (e) {
      return err('UNAVAILABLE', `signoff server unreachable (${what}): ${describeCause(e, this.timeoutMs)}`);
    }
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const problem = ProblemDocument.safeParse(json);
      if (response.status >= 500) {
        const detail = problem.success ? `${problem.data.code}: ${problem.data.detail}` : text.slice(0, 200);
        return err('UNAVAILABLE', `signoff server failed (${what}): HTTP ${response.status}${detail ? ` ${detail}` : ''}`);
      }
      if (problem.success) return { ok: false, error: errorFromProblem(problem.data) };
      return err(codeForHttpStatus(response.status), `HTTP ${response.status} from ${what}${text ? `: ${text.slice(0, 200)}` : ''}`);
    }
    const parsed = (route.response).safeParse(json);
    if (!parsed.success) {
      return err('UNAVAILABLE', `signoff server answered ${what} with an unexpected body: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    return ok(parsed.data as T);
  }

  // ---------------------------------------------------------------- decisions and deployments
  decide(input: DecisionInputBody): Promise<Result<DecisionOutput>> {
    return this.call('decide', { body: input });
  }
  listDeployments(filter: ListDeploymentsQuery = {}): Promise<Result<DeploymentRecord[]>> {
    return this.call('listDeployments', { query: filter });
  }

  // ---------------------------------------------------------------- items and projects
  me(): Promise<Result<Principal>> {
    return this.call('me');
  }
  getItem(idOrRef: string): Promise<Result<Item>> {
    return this.call('getItem', { params: { id: idOrRef } });
  }
  governanceStatus(idOrRef: string): Promise<Result<GovernanceStatus>> {
    return this.call('governanceStatus', { params: { id: idOrRef } });
  }
  listItems(filter: ListItemsQuery = {}): Promise<Result<Item[]>> {
    return this.call('listItems', { query: filter });
  }
  registerItem(input: RegisterItemInput): Promise<Result<Item>> {
    return this.call('registerItem', { body: input });
  }
  updateItem(idOrRef: string, input: UpdateItemInput): Promise<Result<Item>> {
    return this.call('updateItem', { params: { id: idOrRef }, body: input });
  }
  updateItemStep(idOrRef: string, stepId: string, update: StepUpdateInput): Promise<Result<Item>> {
    return this.call('updateItemStep', { params: { id: idOrRef, stepId }, body: update });
  }
  createProject(input: CreateProjectInput): Promise<Result<Project>> {
    return this.call('createProject', { body: input });
  }
  getProject(idOrKey: string): Promise<Result<Project>> {
    return this.call('getProject', { params: { id: idOrKey } });
  }
  setReviewers(projectId: string, input: ReviewersInput): Promise<Result<Project>> {
    return this.call('setReviewers', { params: { id: projectId }, body: input });
  }
  listInfrastructures(): Promise<Result<Infrastructure[]>> {
    return this.call('listInfrastructures');
  }
  listUsers(): Promise<Result<PublicUser[]>> {
    return this.call('listUsers');
  }

  // ---------------------------------------------------------------- sign-off
  private signoff(op: ApiOperationId, itemId: string, body: unknown, stepId?: string, reviewId?: string): Promise<Result<Item>> {
    return this.call(op, {
      params: reviewId !== undefined ? { id: itemId, reviewId } : { id: itemId },
      ...(stepId !== undefined ? { query: { stepId } } : {}),
      ...(body !== undefined ? { body } : {}),
    });
  }
  requestFeedback(itemId: string, notify: Assignee[] = [], stepId?: string): Promise<Result<Item>> {
    return this.signoff('requestFeedback', itemId, { notify }, stepId);
  }
  submitFeedback(itemId: string, input: { groupId: string; status: FeedbackStatus; comment?: string }, stepId?: string): Promise<Result<Item>> {
    return this.signoff('submitFeedback', itemId, input, stepId);
  }
  editFeedback(itemId: string, reviewId: string, input: { status?: FeedbackStatus; comment?: string }, stepId?: string): Promise<Result<Item>> {
    return this.signoff('editFeedback', itemId, input, stepId, reviewId);
  }
  deleteFeedback(itemId: string, reviewId: string, stepId?: string): Promise<Result<Item>> {
    return this.signoff('deleteFeedback', itemId, undefined, stepId, reviewId);
  }
  delegate(itemId: string, input: { scope: string; to: string; comment?: string }, stepId?: string): Promise<Result<Item>> {
    return this.signoff('delegate', itemId, input, stepId);
  }
  requestFinalApproval(itemId: string, notify: Assignee[] = [], stepId?: string): Promise<Result<Item>> {
    return this.signoff('requestFinalApproval', itemId, { notify }, stepId);
  }
  backToFeedback(itemId: string, stepId?: string): Promise<Result<Item>> {
    return this.signoff('backToFeedback', itemId, {}, stepId);
  }
  finalApproval(itemId: string, input: { status: FinalStatus; comment?: string }, stepId?: string): Promise<Result<Item>> {
    return this.signoff('finalApproval', itemId, input, stepId);
  }
  editFinalApproval(itemId: string, input: { status?: FinalStatus; comment?: string }, stepId?: string): Promise<Result<Item>> {
    return this.signoff('editFinalApproval', itemId, input, stepId);
  }
  abandon(itemId: string, comment = '', stepId?: string): Promise<Result<Item>> {
    return this.signoff('abandon', itemId, { comment }, stepId);
  }
  cancelAbandon(itemId: string, stepId?: string): Promise<Result<Item>> {
    return this.signoff('cancelAbandon', itemId, {}, stepId);
  }
  reset(itemId: string, comment = '', stepId?: string): Promise<Result<Item>> {
    return this.signoff('reset', itemId, { comment }, stepId);
  }
  scheduleReset(itemId: string, input: { at?: string; every?: string }, stepId?: string): Promise<Result<Item>> {
    return this.signoff('scheduleReset', itemId, input, stepId);
  }
  cancelScheduledReset(itemId: string, stepId?: string): Promise<Result<Item>> {
    return this.signoff('cancelScheduledReset', itemId, undefined, stepId);
  }
  myReviews(): Promise<Result<ReviewTask[]>> {
    return this.call('myReviews');
  }

  // ---------------------------------------------------------------- audit
  listAudit(query: { subject?: string; afterSeq?: number; limit?: number } = {}): Promise<Result<AuditEvent[]>> {
    return this.call('listAudit', { query });
  }
  verifyAudit(): Promise<Result<AuditVerification>> {
    return this.call('verifyAudit');
  }
}

function describeCause(e: unknown, timeoutMs: number): string {
  if (e instanceof Error) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
    const cause = (e as { cause?: unknown }).cause;
    if (cause instanceof Error) return `${e.message}: ${(cause as { code?: string }).code ?? ''} ${cause.message}`.trim();
    return e.message;
  }
  return String(e);
}
