import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { verify } from '@octokit/webhooks-methods';
import { Octokit } from '@octokit/rest';
import { createAppAuth } from '@octokit/auth-app';
import type { Clock, GovernanceService, Store } from '@signoff/core';
import { ProtectionRuleEvent } from './payload.js';
import { createProtectionRuleEngine, memoryPending, storePending, type ProtectionRuleEngine, type ReviewSender } from './protection-rule.js';

export { answerFor, type RuleAnswer } from './verdict.js';
export { itemRefFromDeployment, parseCallbackUrl } from './payload.js';
export { ruleId, type ProtectionRuleEngine } from './protection-rule.js';

export interface GithubAppConfig {
  appId: string;
  /** PEM private key of the app (signs the JWT that gets installation tokens). */
  privateKey: string;
  webhookSecret: string;
  /** REST API base (GitHub Enterprise Server: `https://HOST/api/v3`). Default `https://api.github.com`. */
  apiUrl?: string;
  /** How often pending rules are re-checked. Default 15 s. */
  pollIntervalMs?: number;
}

export interface GithubAppDeps {
  service: GovernanceService;
  clock: Clock;
  logger: Logger;
  config: GithubAppConfig;
  /** Where pending rules are kept across restarts; without it they live in memory only. */
  store?: Store;
  /** Replaces the answer to GitHub (tests of the engine alone). */
  send?: ReviewSender;
}

export type GithubAppRouter = Router & {
  engine: ProtectionRuleEngine;
  /** Stops the re-check timer. */
  close(): void;
};

const MAX_BODY = 1024 * 1024;

/** Answers as the app installation: an installation token from the app's JWT, then the review call. */
export function githubReviewSender(config: GithubAppConfig): ReviewSender {
  const clients = new Map<number, Octokit>();
  const clientFor = (installationId: number): Octokit => {
    let c = clients.get(installationId);
    if (!c) {
      c = new Octokit({
        authStrategy: createAppAuth,
        auth: { appId: config.appId, privateKey: config.privateKey, installationId },
        baseUrl: (config.apiUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
        userAgent: 'signoff-server',
        request: { retries: 0 },
      });
      clients.set(installationId, c);
    }
    return c;
  };
  return async (rule, state, comment) => {
    const [owner = '', repo = ''] = rule.repository.split('/');
    await clientFor(rule.installationId).rest.actions.reviewCustomGatesForRun({
      owner,
      repo,
      run_id: Number(rule.runId),
      environment_name: rule.environment,
      state,
      comment,
    });
  };
}

/**
 * The GitHub App side of the server: `POST /webhook` takes `deployment_protection_rule` events
 * (HMAC-SHA256 signature checked with the app's webhook secret) and answers each run's
 * environment with approved or rejected as soon as the item's sign-off is final. Open ones are
 * stored and re-checked on a timer; they are also re-checked at start-up, after a restart.
 */
export function createGithubAppRouter(deps: GithubAppDeps): GithubAppRouter {
  const { logger, config } = deps;
  if (!deps.store) logger.warn('GitHub App: no store given; pending protection rules are kept in memory and lost on restart');
  const engine = createProtectionRuleEngine({
    service: deps.service,
    clock: deps.clock,
    logger,
    pending: deps.store ? storePending(deps.store) : memoryPending(),
    send: deps.send ?? githubReviewSender(config),
    retryBaseMs: config.pollIntervalMs ?? 15_000,
  });
  const check = (): void => {
    engine.checkPending().catch((error: unknown) => logger.error({ err: error }, 'protection rule re-check failed'));
  };
  const timer = setInterval(check, config.pollIntervalMs ?? 15_000);
  timer.unref();
  setImmediate(check);

  const router = express.Router() as GithubAppRouter;
  const problem = (res: Response, status: number, code: string, detail: string): void => {
    res.status(status).type('application/problem+json').json({ type: 'about:blank', title: code, status, code, detail });
  };
  router.post('/webhook', express.raw({ type: () => true, limit: MAX_BODY }), (req: Request, res: Response) => {
    void (async () => {
      const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      const signature = req.get('x-hub-signature-256') ?? '';
      let valid: boolean;
      try {
        valid = body.length > 0 && signature.length > 0 && (await verify(config.webhookSecret, body, signature));
      } catch {
        valid = false;
      }
      if (!valid) return problem(res, 401, 'UNAUTHENTICATED', 'The webhook signature (X-Hub-Signature-256) does not match the app\'s webhook secret.');
      const event = req.get('x-github-event') ?? '';
      if (event === 'ping') return void res.json({ ok: true });
      if (event !== 'deployment_protection_rule') return void res.status(202).json({ ignored: event });
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return problem(res, 400, 'VALIDATION', 'The webhook body is not JSON.');
      }
      const parsed = ProtectionRuleEvent.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return problem(res, 400, 'VALIDATION', `Invalid deployment_protection_rule payload: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
      }
      if (parsed.data.action !== 'requested') return void res.status(202).json({ ignored: `${event}.${parsed.data.action}` });
      const outcome = await engine.requested(parsed.data, req.get('x-github-delivery'));
      if ('error' in outcome) return problem(res, 400, 'VALIDATION', outcome.error);
      res.json(outcome);
    })().catch((error: unknown) => {
      logger.error({ err: error }, 'GitHub webhook failed');
      if (!res.headersSent) problem(res, 500, 'INTERNAL', 'The webhook could not be processed; GitHub will show the delivery as failed.');
    });
  });
  router.engine = engine;
  router.close = () => clearInterval(timer);
  return router;
}
