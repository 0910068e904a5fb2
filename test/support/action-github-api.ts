/**
 * A local stand-in for api.github.com that holds every request to GitHub's published OpenAPI
 * description (@octokit/openapi): the method and path must match an operation, the path and
 * query parameters and the JSON body must satisfy its schemas. Answers come from handlers that
 * keep a little state (comments, statuses, protection-rule reviews) and otherwise from the
 * operation's own example response. Anything the description does not allow is a violation;
 * tests assert there are none.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const require = createRequire(import.meta.url);

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  parameters?: Json[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Json }> };
  responses: Record<string, { content?: Record<string, { examples?: Record<string, Json>; example?: unknown }> }>;
}
interface Route {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  op: Operation;
}

export interface RecordedRequest {
  method: string;
  path: string;
  operationId: string | undefined;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
}

export interface Comment {
  id: number;
  body: string;
  issue: number;
  repo: string;
}

export interface GithubApiServer {
  url: string;
  requests: RecordedRequest[];
  /** Requests the description does not allow; a test fails if any. */
  violations: string[];
  comments: Comment[];
  statuses: { repo: string; sha: string; state: string; context: string; description?: string; target_url?: string }[];
  protectionReviews: { repo: string; runId: string; body: { environment_name?: string; state?: string; comment?: string } }[];
  /** Answer this status (e.g. 500) to the next N requests of an operation, with these headers and body. */
  failNext(operationId: string, status: number, times?: number, answer?: { headers?: Record<string, string>; body?: Json }): void;
  byOperation(operationId: string): RecordedRequest[];
  close(): Promise<void>;
}

export interface GithubApiOptions {
  /** The GitHub App's public key: installation token requests must carry a JWT it verifies. */
  appPublicKey?: string | KeyObject;
}

// ------------------------------------------------------------------------------ the description

let loaded: { doc: Json; routes: Route[]; ajv: Ajv } | undefined;

function openapiPath(): string {
  return require.resolve('@octokit/openapi/generated/api.github.com.json');
}

function description(): { doc: Json; routes: Route[]; ajv: Ajv } {
  if (loaded) return loaded;
  const doc = JSON.parse(readFileSync(openapiPath(), 'utf8')) as Json;
  const routes: Route[] = [];
  for (const [template, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
    const names: string[] = [];
    const regex = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, n: string) => {
        names.push(n);
        return '([^/]+)';
      })}$`,
    );
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method];
      if (op) routes.push({ method: method.toUpperCase(), template, regex, names, op });
    }
  }
  // Literal paths first (`/repos/{owner}/{repo}/issues/comments/{id}` before `/issues/{number}/...`).
  routes.sort((a, b) => a.names.length - b.names.length);
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, coerceTypes: false });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
  addFormats(ajv);
  ajv.addSchema(doc, 'github');
  loaded = { doc, routes, ajv };
  return loaded;
}

const pointer = (...parts: string[]): string =>
  parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

const compiled = new Map<string, ValidateFunction>();
function validatorAt(ref: string): ValidateFunction {
  let v = compiled.get(ref);
  if (!v) {
    v = description().ajv.compile({ $ref: `github#/${ref}` });
    compiled.set(ref, v);
  }
  return v;
}

function resolve<T>(doc: Json, node: unknown): T {
  let n = node as Json;
  while (n && typeof n.$ref === 'string') {
    const parts = (n.$ref).replace(/^#\//, '').split('/');
    n = parts.reduce<Json>((acc, p) => acc[p.replace(/~1/g, '/').replace(/~0/g, '~')] as Json, doc);
  }
  return n as T;
}

/** Validates a webhook payload against the description's `x-webhooks` schema of an event. */
export function validateWebhook(event: string, payload: unknown): string[] {
  const { doc } = description();
  const hooks = doc['x-webhooks'] as Record<string, { post: Operation }>;
  if (!hooks[event]) return [`no webhook ${event} in the description`];
  const v = validatorAt(pointer('x-webhooks', event, 'post', 'requestBody', 'content', 'application/json', 'schema'));
  return v(payload) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}

// ------------------------------------------------------------------------------ the server

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function verifyJwt(token: string, key: KeyObject): string | undefined {
  const [h, p, s] = token.split('.');
  if (!h || !p || !s) return 'not a JWT';
  const verify = createVerify('RSA-SHA256');
  verify.update(`${h}.${p}`);
  if (!verify.verify(key, Buffer.from(s, 'base64url'))) return 'JWT signature does not verify with the app key';
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { iss?: unknown; exp?: number; iat?: number };
  if (claims.iss === undefined) return 'JWT has no iss (app id)';
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return 'JWT expired';
  return undefined;
}

export async function startGithubApi(options: GithubApiOptions = {}): Promise<GithubApiServer> {
  const { doc, routes } = description();
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const comments: Comment[] = [];
  const statuses: GithubApiServer['statuses'] = [];
  const protectionReviews: GithubApiServer['protectionReviews'] = [];
  const failures = new Map<string, { status: number; times: number; headers?: Record<string, string>; body?: Json }>();
  const appKey = options.appPublicKey === undefined ? undefined : typeof options.appPublicKey === 'string' ? createPublicKey(options.appPublicKey) : options.appPublicKey;
  let nextId = 1000;

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
    if (body === undefined || status === 204) {
      res.writeHead(status, headers).end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-media-type': 'github.v3; format=json', ...headers }).end(text);
  };

  const example = (op: Operation): { status: number; body: unknown } => {
    const codes = Object.keys(op.responses).filter((c) => /^2\d\d$/.test(c)).sort();
    const status = Number(codes[0] ?? 200);
    const content = op.responses[String(status)]?.content?.['application/json'];
    if (!content) return { status, body: undefined };
    const ex = content.examples ? Object.values(content.examples)[0] : undefined;
    const value = ex ? resolve<{ value?: unknown }>(doc, ex).value : content.example;
    return { status, body: value };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    const query = Object.fromEntries(u.searchParams);
    const route = routes.find((r) => r.method === method && r.regex.test(u.pathname));
    const record: RecordedRequest = {
      method,
      path: u.pathname,
      operationId: route?.op.operationId,
      params: {},
      query,
      body: undefined,
      authorization: req.headers.authorization,
    };
    requests.push(record);
    if (!route) {
      violations.push(`${method} ${u.pathname}: no operation in GitHub's description`);
      return send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    }
    const op = route.op;
    const m = route.regex.exec(u.pathname);
    route.names.forEach((n, i) => (record.params[n] = decodeURIComponent(m?.[i + 1] ?? '')));
    const problems: string[] = [];
    // Parameters: path ones must be present and typed; query ones typed; unknown query names refused.
    const declared = (op.parameters ?? []).map((p) => resolve<{ name: string; in: string; required?: boolean; schema?: Json }>(doc, p));
    for (const p of declared) {
      const raw = p.in === 'path' ? record.params[p.name] : p.in === 'query' ? query[p.name] : undefined;
      if (raw === undefined) {
        if (p.required && p.in !== 'header') problems.push(`missing ${p.in} parameter ${p.name}`);
        continue;
      }
      const type = p.schema?.type;
      const value: unknown = type === 'integer' || type === 'number' ? Number(raw) : type === 'boolean' ? raw === 'true' ? true : raw === 'false' ? false : raw : raw;
      const v = description().ajv.compile(p.schema ?? {});
      if (!v(value)) problems.push(`${p.in} parameter ${p.name}=${raw}: ${v.errors?.[0]?.message ?? 'invalid'}`);
    }
    for (const q of Object.keys(query)) if (!declared.some((p) => p.in === 'query' && p.name === q)) problems.push(`unknown query parameter ${q}`);
    // Body.
    const content = op.requestBody?.content?.['application/json'];
    if (text.length > 0) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        problems.push('body is not JSON');
      }
      record.body = body;
      if (!op.requestBody) problems.push('the operation takes no body');
      else if (content?.schema) {
        const v = validatorAt(pointer('paths', route.template, method.toLowerCase(), 'requestBody', 'content', 'application/json', 'schema'));
        if (!v(body)) problems.push(`body: ${(v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')}`);
      }
    } else if (op.requestBody?.required) problems.push('the operation requires a body');
    // Authentication: installation tokens need an app JWT; everything else a token.
    if (op.operationId === 'apps/create-installation-access-token') {
      const token = /^bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!token) problems.push('no app JWT');
      else if (appKey) {
        const bad = verifyJwt(token, appKey);
        if (bad) problems.push(bad);
      }
    } else if (!req.headers.authorization) problems.push('no authorization header');
    if (problems.length) {
      violations.push(`${method} ${u.pathname} (${op.operationId}): ${problems.join('; ')}`);
      return send(res, 422, { message: 'Validation Failed', errors: problems });
    }
    const fail = failures.get(op.operationId);
    if (fail && fail.times > 0) {
      fail.times--;
      return send(res, fail.status, fail.body ?? { message: 'injected failure' }, fail.headers);
    }
    const repo = `${record.params.owner}/${record.params.repo}`;
    const body = record.body as Json | undefined;
    const now = new Date().toISOString();
    switch (op.operationId) {
      case 'repos/create-commit-status': {
        const s = { repo, sha: record.params.sha ?? '', state: String(body?.state), context: typeof body?.context === 'string' ? body.context : 'default', ...(typeof body?.description === 'string' ? { description: body.description } : {}), ...(typeof body?.target_url === 'string' ? { target_url: body.target_url } : {}) };
        statuses.push(s);
        const ex = example(op);
        return send(res, 201, { ...(ex.body as Json), id: nextId++, state: s.state, context: s.context, description: s.description ?? null, target_url: s.target_url ?? null, created_at: now, updated_at: now });
      }
      case 'issues/list-comments': {
        const issue = Number(record.params.issue_number);
        const mine = comments.filter((c) => c.repo === repo && c.issue === issue);
        const ex = (example(op).body as Json[])[0] ?? {};
        return send(res, 200, mine.map((c) => ({ ...ex, id: c.id, node_id: `IC_${c.id}`, body: c.body, created_at: now, updated_at: now })));
      }
      case 'issues/create-comment': {
        const c: Comment = { id: nextId++, body: String(body?.body), issue: Number(record.params.issue_number), repo };
        comments.push(c);
        return send(res, 201, { ...(example(op).body as Json), id: c.id, body: c.body });
      }
      case 'issues/update-comment': {
        const c = comments.find((x) => x.repo === repo && x.id === Number(record.params.comment_id));
        if (!c) return send(res, 404, { message: 'Not Found' });
        c.body = String(body?.body);
        return send(res, 200, { ...(example(op).body as Json), id: c.id, body: c.body });
      }
      case 'apps/create-installation-access-token': {
        const ex = example(op).body as Json;
        return send(res, 201, { ...ex, token: `ghs_test${nextId++}`, expires_at: new Date(Date.now() + 3_600_000).toISOString() });
      }
      case 'actions/review-custom-gates-for-run': {
        protectionReviews.push({ repo, runId: record.params.run_id ?? '', body: (body ?? {}) });
        return send(res, 204);
      }
      default: {
        const ex = example(op);
        return send(res, ex.status, ex.body);
      }
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      violations.push(`handler crashed: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    violations,
    comments,
    statuses,
    protectionReviews,
    failNext(operationId, status, times = 1, answer = {}) {
      failures.set(operationId, { status, times, ...answer });
    },
    byOperation: (id) => requests.filter((r) => r.operationId === id),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
