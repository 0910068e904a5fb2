import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AdmissionReview } from '../review/envelope.js';
import type { GateResult } from '../gate/gate.js';
import type { WebhookMetrics } from './metrics.js';

/** controller-runtime's limit for an AdmissionReview body. */
export const BODY_LIMIT = 7 * 1024 * 1024;

export interface HandlerDeps {
  review(request: AdmissionReview['request']): Promise<GateResult>;
  /** `/readyz`: the namespace cache has synced and the decision source answers. */
  ready(): Promise<{ ready: boolean; detail: Record<string, boolean> }>;
  metrics: WebhookMetrics;
  logger: Logger;
  bodyLimit?: number;
}

const ROUTES: Record<string, string> = { '/validate': 'POST', '/healthz': 'GET', '/readyz': 'GET', '/metrics': 'GET' };

const JSON_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;.*)?$/i;

function send(res: ServerResponse, status: number, body: string, type = 'application/json', extra: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

const problem = (status: number, title: string, detail: string): string => JSON.stringify({ status, title, detail });

/**
 * The webhook's request handler on plain node:http(s) (no framework on the hot path). Every
 * refusal of input is a 4xx with a JSON body naming the problem; nothing a client sends makes
 * it answer 5xx or throw.
 */
export function createHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const limit = deps.bodyLimit ?? BODY_LIMIT;
  const reject = (res: ServerResponse, status: number, title: string, detail: string, extra: Record<string, string> = {}): void => {
    deps.metrics.rejected.inc({ status: String(status) });
    send(res, status, problem(status, title, detail), 'application/problem+json', extra);
  };

  const validate = (req: IncomingMessage, res: ServerResponse): void => {
    const type = req.headers['content-type'];
    if (type === undefined || !JSON_TYPE.test(type)) {
      req.resume();
      reject(res, 415, 'Unsupported Media Type', `content-type must be application/json, got ${type === undefined ? 'none' : JSON.stringify(type.slice(0, 100))}`);
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(res, 413, 'Payload Too Large', `the body is larger than ${limit} bytes`, { connection: 'close' });
      req.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(res, 413, 'Payload Too Large', `the body is larger than ${limit} bytes`, { connection: 'close' });
        res.on('finish', () => req.destroy());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      if (over) return;
      const started = process.hrtime.bigint();
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
      } catch (e) {
        reject(res, 400, 'Bad Request', `the body is not JSON: ${(e as Error).message.slice(0, 200)}`);
        return;
      }
      const parsed = AdmissionReview.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const path = issue ? issue.path.map(String).join('.') : '';
        reject(res, 400, 'Bad Request', `not an AdmissionReview: ${path ? `${path}: ` : ''}${issue?.message ?? 'invalid'}`);
        return;
      }
      deps.review(parsed.data.request).then(
        (result) => {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          deps.metrics.admissions.inc({ outcome: result.outcome, kind: result.kind, infrastructure: result.infrastructure || 'none' });
          deps.metrics.duration.observe({ outcome: result.outcome }, seconds);
          const r = result.response.response;
          if (result.outcome === 'deny' || result.outcome === 'unavailable' || result.outcome === 'warn') {
            deps.logger.info(
              {
                uid: r.uid,
                kind: result.kind,
                namespace: result.workload?.namespace,
                name: result.workload?.name,
                infrastructure: result.infrastructure,
                outcome: result.outcome,
                allowed: r.allowed,
                ...(result.error ? { error: result.error } : {}),
                ...(r.status ? { message: r.status.message } : {}),
              },
              'admission',
            );
          } else if (deps.logger.isLevelEnabled('debug')) {
            deps.logger.debug({ uid: r.uid, kind: result.kind, infrastructure: result.infrastructure, outcome: result.outcome }, 'admission');
          }
          send(res, 200, JSON.stringify(result.response));
        },
        (e: unknown) => {
          // A bug, not input: answer a denial the API server can show rather than a 500.
          deps.logger.error({ err: e, uid: parsed.data.request.uid }, 'review failed');
          send(
            res,
            200,
            JSON.stringify({
              apiVersion: 'admission.k8s.io/v1',
              kind: 'AdmissionReview',
              response: {
                uid: parsed.data.request.uid,
                allowed: false,
                status: { code: 403, reason: 'Forbidden', message: 'signoff: the gate failed to review this request; see the webhook logs' },
              },
            }),
          );
        },
      );
    });
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const method = ROUTES[path];
    if (method === undefined) {
      req.resume();
      reject(res, 404, 'Not Found', `no route ${path.slice(0, 200)}`);
      return;
    }
    if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
      req.resume();
      reject(res, 405, 'Method Not Allowed', `${path} takes ${method}`, { allow: method });
      return;
    }
    if (path === '/validate') {
      validate(req, res);
      return;
    }
    req.resume();
    if (path === '/healthz') {
      send(res, 200, '{"status":"ok"}');
    } else if (path === '/readyz') {
      deps.ready().then(
        (r) => send(res, r.ready ? 200 : 503, JSON.stringify({ status: r.ready ? 'ready' : 'not ready', ...r.detail })),
        () => send(res, 503, '{"status":"not ready"}'),
      );
    } else {
      deps.metrics.registry.metrics().then(
        (text) => send(res, 200, text, deps.metrics.registry.contentType),
        () => send(res, 503, 'metrics unavailable', 'text/plain'),
      );
    }
  };
}
