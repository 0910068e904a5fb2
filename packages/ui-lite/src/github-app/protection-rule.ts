import { createHash } from 'node:crypto';
import { ok, type Clock, type DecisionInput, type GovernanceService, type PendingProtectionRule, type Principal, type Store } from '@signoff/core';
import type { Logger } from 'pino';
import { answerFor, type RuleAnswer } from './verdict.js';
import { itemRefFromDeployment, parseCallbackUrl, type ProtectionRuleEvent } from './payload.js';

const SYSTEM: Principal = { kind: 'system', id: 'system' };

/** Answers GitHub for one run and environment (as the app installation). */
export type ReviewSender = (rule: PendingProtectionRule, state: 'approved' | 'rejected', comment: string) => Promise<void>;

/** Where pending rules live: the server's store (survives restarts) or memory. */
export interface PendingRepository {
  list(): Promise<PendingProtectionRule[]>;
  get(id: string): Promise<PendingProtectionRule | undefined>;
  put(rule: PendingProtectionRule): Promise<void>;
  remove(id: string): Promise<void>;
}

export function storePending(store: Store): PendingRepository {
  return {
    list: () => store.list('pendingProtectionRules'),
    get: (id) => store.get('pendingProtectionRules', id),
    async put(rule) {
      const r = await store.transaction((tx) => {
        tx.put('pendingProtectionRules', rule);
        return ok(true);
      });
      if (!r.ok) throw new Error(`storing the pending protection rule failed: ${r.error.message}`);
    },
    async remove(id) {
      await store.transaction(async (tx) => {
        if (await tx.get('pendingProtectionRules', id)) tx.remove('pendingProtectionRules', id);
        return ok(true);
      });
    },
  };
}

export function memoryPending(): PendingRepository {
  const m = new Map<string, PendingProtectionRule>();
  return {
    list: () => Promise.resolve([...m.values()]),
    get: (id) => Promise.resolve(m.get(id)),
    put: (r) => {
      m.set(r.id, r);
      return Promise.resolve();
    },
    remove: (id) => {
      m.delete(id);
      return Promise.resolve();
    },
  };
}

export interface ProtectionRuleDeps {
  service: GovernanceService;
  clock: Clock;
  logger: Logger;
  pending: PendingRepository;
  send: ReviewSender;
  /** Base of the backoff after a failed answer to GitHub. */
  retryBaseMs: number;
}

export type Outcome = { state: 'approved' | 'rejected' | 'pending'; comment: string; answered: boolean };

export const ruleId = (repository: string, environment: string, runId: string): string =>
  `dpr_${createHash('sha256').update(`${repository.toLowerCase()}\n${environment}\n${runId}`).digest('hex').slice(0, 24)}`;

/**
 * The deployment protection rule: decides for a requested deployment, answers GitHub at once
 * when the sign-off is final, and otherwise keeps the request until a later check finds it final.
 */
export function createProtectionRuleEngine(deps: ProtectionRuleDeps) {
  const { service, clock, logger, pending } = deps;
  let checking: Promise<void> | undefined;
  /** One evaluation per rule at a time: a webhook and the timer must not answer twice. */
  const inFlight = new Map<string, Promise<Outcome>>();
  const once = (id: string, f: () => Promise<Outcome>): Promise<Outcome> => {
    let p = inFlight.get(id);
    if (!p) {
      p = f().finally(() => inFlight.delete(id));
      inFlight.set(id, p);
    }
    return p;
  };

  /** The governed item a rule is about: named by the deployment, or the newest item built from its commit. */
  async function itemFor(rule: PendingProtectionRule): Promise<string | undefined> {
    if (rule.itemRef) return rule.itemRef;
    if (!rule.sha) return undefined;
    const items = await service.listItems(SYSTEM);
    if (!items.ok) return undefined;
    const suffix = `/${rule.repository.toLowerCase()}/commit/${rule.sha.toLowerCase()}`;
    const built = items.value
      .filter((i) => i.links.some((l) => l.url.toLowerCase().endsWith(suffix)))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return built[0]?.id;
  }

  async function evaluate(rule: PendingProtectionRule): Promise<{ answer: RuleAnswer; rule: PendingProtectionRule } | { error: string; retry: boolean }> {
    const item = await itemFor(rule);
    const input = (dryRun: boolean): DecisionInput => ({
      github: { repository: rule.repository, environment: rule.environment },
      ...(item !== undefined ? { item } : {}),
      dryRun,
      target: { kind: 'github', repository: rule.repository, environment: rule.environment, runId: rule.runId, ...(rule.sha ? { sha: rule.sha } : {}) },
    });
    const first = await service.decide(SYSTEM, input(true));
    if (!first.ok) {
      // No infrastructure for this environment, or a bad reference: final, fail closed.
      if (first.error.code === 'NOT_FOUND' || first.error.code === 'VALIDATION') {
        return { answer: { state: 'rejected', comment: `signoff: ${first.error.message}` }, rule };
      }
      return { error: `${first.error.code}: ${first.error.message}`, retry: true };
    }
    let d = first.value.decision;
    let answer = answerFor(d);
    if (answer.state !== 'pending') {
      // Final: record the deployment attempt in the registry, like every enforcement point.
      const recorded = await service.decide(SYSTEM, input(false));
      if (recorded.ok) {
        d = recorded.value.decision;
        answer = answerFor(d);
      } else logger.warn({ err: recorded.error, rule: rule.id }, 'recording the protection rule decision failed');
    }
    return {
      answer,
      rule: {
        ...rule,
        ...(d.item ? { itemId: d.item.id } : {}),
        infrastructureId: d.infrastructureId,
        lastStatus: d.signoffStatus,
        lastCheckedAt: clock.now().toISOString(),
      },
    };
  }

  /** Evaluates and, when final, answers; keeps the rule stored while pending or when GitHub did not take the answer. */
  async function process(rule: PendingProtectionRule): Promise<Outcome> {
    const r = await evaluate(rule);
    if ('error' in r) {
      await pending.put({ ...rule, lastCheckedAt: clock.now().toISOString(), lastError: r.error.slice(0, 2000) });
      logger.warn({ rule: rule.id, error: r.error }, 'protection rule: no decision yet');
      return { state: 'pending', comment: r.error, answered: false };
    }
    if (r.answer.state === 'pending') {
      await pending.put(r.rule);
      return { state: 'pending', comment: r.answer.comment, answered: false };
    }
    try {
      await deps.send(r.rule, r.answer.state, r.answer.comment);
    } catch (error) {
      const failures = r.rule.answerFailures + 1;
      await pending.put({ ...r.rule, answerFailures: failures, lastError: String((error as Error).message).slice(0, 2000) });
      logger.warn({ rule: rule.id, err: error, failures }, 'protection rule: GitHub did not take the answer; will retry');
      return { state: r.answer.state, comment: r.answer.comment, answered: false };
    }
    await pending.remove(rule.id);
    logger.info({ rule: rule.id, repository: rule.repository, environment: rule.environment, runId: rule.runId, state: r.answer.state }, 'protection rule answered');
    return { state: r.answer.state, comment: r.answer.comment, answered: true };
  }

  return {
    /** A `deployment_protection_rule` webhook (already verified and parsed). */
    async requested(event: ProtectionRuleEvent, deliveryId: string | undefined): Promise<Outcome | { error: string }> {
      const cb = parseCallbackUrl(event.deployment_callback_url);
      if (!cb) return { error: 'deployment_callback_url is not a deployment protection rule URL' };
      const repository = event.repository.full_name;
      const sha = event.sha ?? event.deployment?.sha;
      const itemRef = itemRefFromDeployment(event.deployment);
      const rule: PendingProtectionRule = {
        id: ruleId(repository, event.environment, cb.runId),
        repository,
        environment: event.environment,
        runId: cb.runId,
        installationId: event.installation.id,
        ...(sha ? { sha } : {}),
        ...(itemRef ? { itemRef } : {}),
        ...(deliveryId ? { deliveryId: deliveryId.slice(0, 100) } : {}),
        receivedAt: clock.now().toISOString(),
        answerFailures: 0,
      };
      // Stored before anything else: a crash from here on still leaves it to be answered.
      return once(rule.id, async () => {
        await pending.put(rule);
        return process(rule);
      });
    },

    /** Re-checks every stored rule (timer, start-up); answers those whose sign-off became final. */
    checkPending(): Promise<void> {
      checking ??= (async () => {
        try {
          const now = clock.now().getTime();
          for (const listed of await pending.list()) {
            if (inFlight.has(listed.id)) continue;
            // Answered meanwhile (by a webhook redelivery or a concurrent check)? Then it is gone.
            const rule = await pending.get(listed.id);
            if (!rule) continue;
            if (rule.answerFailures > 0 && rule.lastCheckedAt) {
              const wait = Math.min(deps.retryBaseMs * 2 ** (rule.answerFailures - 1), 3_600_000);
              if (Date.parse(rule.lastCheckedAt) + wait > now) continue;
            }
            try {
              await once(rule.id, () => process(rule));
            } catch (error) {
              logger.error({ rule: rule.id, err: error }, 'protection rule check failed');
            }
          }
        } finally {
          checking = undefined;
        }
      })();
      return checking;
    },

    pending: () => pending.list(),
  };
}

export type ProtectionRuleEngine = ReturnType<typeof createProtectionRuleEngine>;
