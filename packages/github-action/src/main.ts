import * as core from '@actions/core';
import {
  SignoffClient,
  itemDigestKeys,
  type Decision,
  type DecisionInputBody,
  type DecisionOutput,
  type GovernanceStatus,
  type Infrastructure,
  type Item,
  type Result,
  type SignoffError,
} from '@signoff/core';
import { parseInputs, type Inputs } from './inputs.js';
import { envNumber, sleep, withRetry } from './retry.js';
import { verdictFor, type Verdict } from './verdict.js';
import { commentBody, writeGateSummary, writeRegisterSummary, type GateSummary } from './summary.js';
import { createGitHub, readRunContext, setCommitStatus, upsertPullRequestComment, type CommitState, type RunContext } from './github.js';

type OutputName = 'decision' | 'signoff-status' | 'item-id' | 'review-url' | 'deployment-id';

interface Env {
  env: NodeJS.ProcessEnv;
  ctx: RunContext;
  client: SignoffClient;
  inputs: Inputs;
  retry: { attempts: number; baseMs: number };
}

/** The Action's entry point: reads inputs, applies the infrastructure's policy, reports. */
export async function run(): Promise<void> {
  // Mask first: nothing may print the key before this line.
  const key = core.getInput('api-key');
  if (key) core.setSecret(key);
  core.debug(`signoff action on node ${process.version}`);
  try {
    const parsed = parseInputs((name) => core.getInput(name));
    if (!parsed.ok) {
      core.setFailed(parsed.message);
      return;
    }
    const inputs = parsed.value;
    const env = process.env;
    const e: Env = {
      env,
      ctx: readRunContext(env),
      inputs,
      client: new SignoffClient({
        baseUrl: inputs['server-url'],
        apiKey: inputs['api-key'],
        timeoutMs: envNumber(env, 'SIGNOFF_TIMEOUT_MS', 10_000),
        headers: { 'user-agent': 'signoff-github-action' },
      }),
      retry: { attempts: Math.max(1, envNumber(env, 'SIGNOFF_RETRY_ATTEMPTS', 4)), baseMs: envNumber(env, 'SIGNOFF_RETRY_BASE_MS', 1000) },
    };
    if (inputs.mode === 'register') await register(e);
    else await gate(e);
  } catch (error) {
    core.setFailed(`signoff action failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The job summary is a report, not the verdict: a runner without one must not fail the step. */
async function writeSummary(): Promise<void> {
  try {
    await core.summary.write();
  } catch (error) {
    core.summary.emptyBuffer();
    core.info(`No job summary written: ${(error as Error).message}`);
  }
}

const out = (name: OutputName, value: string | undefined): void => core.setOutput(name, value ?? '');

function retrying<T>(e: Env, what: string, fn: () => Promise<Result<T>>): Promise<Result<T>> {
  return withRetry(fn, {
    ...e.retry,
    onRetry: (attempt, ms, message) => core.info(`${what}: ${message}; retry ${attempt}/${e.retry.attempts - 1} in ${ms} ms`),
  });
}

function describeError(error: SignoffError): string {
  const fields = error.issues?.length ? ` (${error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')})` : '';
  return `${error.code}: ${error.message}${fields}`;
}

// ------------------------------------------------------------------------------------ gate

function decisionBody(e: Env, dryRun: boolean): Result<DecisionInputBody> {
  const { inputs, ctx } = e;
  let where: Pick<DecisionInputBody, 'infrastructure' | 'github'>;
  if (inputs.infrastructure !== undefined) where = { infrastructure: inputs.infrastructure };
  else if (ctx.repository && inputs.environment !== undefined) where = { github: { repository: ctx.repository.full, environment: inputs.environment } };
  else return { ok: false, error: { code: 'VALIDATION', message: 'Input "environment" needs GITHUB_REPOSITORY to say which repository deploys' } };
  const body: DecisionInputBody = {
    ...where,
    ...(inputs.item !== undefined ? { item: inputs.item } : {}),
    ...(inputs.digests.length ? { artifacts: inputs.digests } : {}),
    ...(inputs['confirm-unapproved'] !== undefined ? { confirmation: { reason: inputs['confirm-unapproved'] } } : {}),
    dryRun,
    ...(ctx.repository
      ? {
          target: {
            kind: 'github' as const,
            repository: ctx.repository.full,
            ...(inputs.environment !== undefined ? { environment: inputs.environment } : inputs.infrastructure !== undefined ? { environment: inputs.infrastructure } : {}),
            ...(ctx.runId ? { runId: ctx.runId } : {}),
            ...(ctx.sha ? { sha: ctx.sha } : {}),
          },
        }
      : {}),
  };
  return { ok: true, value: body };
}

/** The infrastructure this step deploys to, when the server can say (for the policy when decisions fail). */
async function findInfrastructure(e: Env): Promise<Infrastructure | undefined> {
  const { inputs, ctx } = e;
  if (inputs.infrastructure !== undefined) {
    const r = await e.client.call<Infrastructure>('getInfrastructure', { params: { id: inputs.infrastructure } });
    return r.ok ? r.value : undefined;
  }
  const all = await e.client.listInfrastructures();
  if (!all.ok || !ctx.repository) return undefined;
  const full = ctx.repository.full.toLowerCase();
  const owner = ctx.repository.owner.toLowerCase();
  const env = inputs.environment;
  return (
    all.value.find((i) => i.githubEnvironments.some((g) => g.repository.toLowerCase() === full && g.environment === env)) ??
    all.value.find((i) => i.githubEnvironments.some((g) => g.repository.toLowerCase() === `${owner}/*` && g.environment === env))
  );
}

const fmt = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${s % 60 ? `${s % 60}s` : ''}` : `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ''}`;
};

/** Why waiting ended the step early: the sign-off became final without an approval, or checking failed. */
interface WaitStop {
  status: 'Rejected' | 'Abandoned' | undefined;
  message: string;
  /** The last decision seen while waiting (a dry run). */
  decision: Decision;
}

/** Polls (dry-run decisions) until approved, rejected, abandoned or the timeout; returns why the step must fail at once. */
async function waitForApproval(e: Env, first: DecisionOutput, gh: GitHubReporter): Promise<WaitStop | undefined> {
  const timeout = e.inputs['wait-for-approval'];
  if (timeout === undefined) return undefined;
  let d = first.decision;
  if (d.approved || !d.item) return undefined;
  const ref = d.item.ref;
  const started = Date.now();
  const deadline = started + timeout;
  let delay = envNumber(e.env, 'SIGNOFF_POLL_BASE_MS', 10_000);
  const maxDelay = Math.max(delay, envNumber(e.env, 'SIGNOFF_POLL_MAX_MS', 60_000));
  await gh.status('pending', `Waiting for the sign-off of ${ref} (${d.signoffStatus})`, d.reviewUrl);
  core.info(`Waiting up to ${fmt(timeout)} for ${ref} to be approved${d.reviewUrl ? `: ${d.reviewUrl}` : ''}`);
  for (;;) {
    if (d.signoffStatus === 'Rejected' || d.signoffStatus === 'Abandoned') {
      return { status: d.signoffStatus, decision: d, message: `${ref} was ${d.signoffStatus.toLowerCase()} while waiting for its approval${d.reviewUrl ? `: ${d.reviewUrl}` : ''}` };
    }
    if (d.approved) {
      core.info(`${ref} is approved after ${fmt(Date.now() - started)}`);
      return undefined;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      core.info(`Stopped waiting for ${ref} after ${fmt(timeout)}: still ${d.signoffStatus}`);
      return undefined;
    }
    const wait = Math.min(delay, left);
    core.info(`${ref}: ${d.signoffStatus}; waited ${fmt(Date.now() - started)}, ${fmt(left)} left, next check in ${fmt(wait)}`);
    await sleep(wait);
    delay = Math.min(maxDelay, Math.round(delay * 1.5));
    const body = decisionBody(e, true);
    if (!body.ok) return { status: undefined, decision: d, message: describeError(body.error) };
    const r = await e.client.decide(body.value);
    if (r.ok) d = r.value.decision;
    else if (r.error.code === 'UNAVAILABLE') core.info(`check failed (${r.error.message}); will check again`);
    else return { status: undefined, decision: d, message: `checking the sign-off failed: ${describeError(r.error)}` };
  }
}

interface GitHubReporter {
  status(state: CommitState, description: string, url: string | undefined): Promise<void>;
  comment(body: string): Promise<void>;
}

function gitHubReporter(e: Env, infrastructure: () => string): GitHubReporter {
  const token = e.inputs['github-token'];
  const gh = token ? createGitHub(token, e.ctx.apiUrl, (m) => core.info(m)) : undefined;
  const wantStatus = e.inputs['commit-status'] && gh !== undefined && e.ctx.repository !== undefined && e.ctx.sha !== undefined;
  const wantComment = e.inputs['pr-comment'] && gh !== undefined && e.ctx.pullRequest !== undefined;
  return {
    async status(state, description, url) {
      if (!wantStatus || !gh) return;
      try {
        await setCommitStatus(gh, e.ctx, infrastructure(), state, description, url);
      } catch (error) {
        core.warning(`Could not set the commit status signoff/${infrastructure()}: ${(error as Error).message}`);
      }
    },
    async comment(body) {
      if (!wantComment || !gh) return;
      try {
        const r = await upsertPullRequestComment(gh, e.ctx, infrastructure(), body);
        core.info(`Pull request comment ${r}`);
      } catch (error) {
        core.warning(`Could not comment on pull request #${e.ctx.pullRequest}: ${(error as Error).message}`);
      }
    },
  };
}

async function gate(e: Env): Promise<void> {
  const { inputs } = e;
  let infraId = inputs.infrastructure ?? inputs.environment ?? 'unknown';
  const gh = gitHubReporter(e, () => infraId);
  const dryRun = inputs['dry-run'];

  const firstBody = decisionBody(e, dryRun || inputs['wait-for-approval'] !== undefined);
  if (!firstBody.ok) return core.setFailed(describeError(firstBody.error));
  // The reviews and the item record are for the report: when the step names its item, they are
  // fetched alongside the decision instead of after it (one round trip instead of two).
  const early = inputs.item !== undefined && inputs['wait-for-approval'] === undefined ? statusOf(e, inputs.item).catch((): Awaited<ReturnType<typeof statusOf>> => ({})) : undefined;
  let result = await retrying(e, 'signoff decision', () => e.client.decide(firstBody.value));

  if (result.ok && inputs['wait-for-approval'] !== undefined) {
    infraId = result.value.decision.infrastructureId;
    const stop = await waitForApproval(e, result.value, gh);
    if (stop) {
      // Final without an approval while waiting: the step fails at once, whatever the policy.
      const d: Decision = { ...stop.decision, outcome: 'deny' };
      const { gov, item } = d.item ? await statusOf(e, d.item.id) : {};
      out('decision', 'deny');
      out('signoff-status', stop.status ?? d.signoffStatus);
      out('item-id', d.item?.id);
      out('review-url', d.reviewUrl);
      const details = verdictFor({ decision: d }, gov).details;
      await report(e, gh, { decision: d, ...(item ? { item } : {}), ...(gov ? { status: gov } : {}), infrastructure: { id: d.infrastructureId, policy: d.policy }, digests: inputs.digests, headline: stop.message, details, dryRun }, 'failure', stop.message);
      return core.setFailed([stop.message, ...details.filter((l) => !stop.message.includes(l))].join('\n'));
    }
    const finalBody = decisionBody(e, dryRun);
    if (!finalBody.ok) return core.setFailed(describeError(finalBody.error));
    result = await retrying(e, 'signoff decision', () => e.client.decide(finalBody.value));
  }

  if (!result.ok) return unavailable(e, result.error, gh, (id) => (infraId = id));

  const output = result.value;
  const d = output.decision;
  infraId = d.infrastructureId;
  const fetched = early ? await early : undefined;
  const { gov, item } = d.item === undefined ? {} : fetched?.item?.id === d.item.id && fetched.gov ? fetched : await statusOf(e, d.item.id);
  const verdict = verdictFor(output, gov);

  out('decision', d.outcome);
  out('signoff-status', d.signoffStatus);
  out('item-id', d.item?.id);
  out('review-url', d.reviewUrl);
  out('deployment-id', output.deploymentId);

  announce(verdict);
  const cpu = process.cpuUsage();
  core.debug(`decided ${Math.round(performance.now())} ms after the process started (${Math.round((cpu.user + cpu.system) / 1000)} ms CPU)`);
  if (dryRun) core.info('Dry run: nothing was recorded.');
  else if (output.deploymentId) core.info(`Recorded as deployment ${output.deploymentId}`);

  const summary: GateSummary = {
    decision: d,
    ...(item ? { item } : {}),
    ...(gov ? { status: gov } : {}),
    infrastructure: { id: d.infrastructureId, policy: d.policy },
    digests: inputs.digests,
    headline: verdict.headline,
    details: verdict.details,
    ...(output.deploymentId ? { deploymentId: output.deploymentId } : {}),
    dryRun,
  };
  await report(e, gh, summary, d.outcome === 'deny' ? 'failure' : 'success', `${d.outcome}: ${d.item?.ref ?? 'artifacts'} · ${d.signoffStatus} (policy ${d.policy})`);
  if (verdict.fail) core.setFailed([verdict.headline, ...verdict.details].join('\n'));
}

/** The item's reviews and record, for the summary (best effort: the decision does not depend on them). */
async function statusOf(e: Env, idOrRef: string): Promise<{ gov?: GovernanceStatus; item?: Item }> {
  const [status, item] = await Promise.all([e.client.governanceStatus(idOrRef), e.client.getItem(idOrRef)]);
  return { ...(status.ok ? { gov: status.value } : {}), ...(item.ok ? { item: item.value } : {}) };
}

/** Job summary, commit status and pull request comment for a decision. */
async function report(e: Env, gh: GitHubReporter, summary: GateSummary, state: CommitState, statusText: string): Promise<void> {
  writeGateSummary(core.summary, summary);
  await writeSummary();
  await gh.status(state, statusText, summary.decision?.reviewUrl);
  await gh.comment(commentBody(summary, runUrl(e.ctx)));
}

function announce(v: Verdict): void {
  const text = [v.headline, ...v.details].join('\n');
  switch (v.level) {
    case 'error':
      core.info(text);
      break;
    case 'warning':
      core.warning(text, { title: 'signoff: unapproved deploy' });
      break;
    case 'notice':
      core.notice(text, { title: 'signoff' });
      break;
    case 'info':
      core.info(text);
      break;
  }
}

const runUrl = (ctx: RunContext): string | undefined =>
  ctx.repository && ctx.runId ? `${ctx.serverUrl}/${ctx.repository.full}/actions/runs/${ctx.runId}` : undefined;

/** The server did not answer: the infrastructure's policy decides, and an unknown policy fails closed. */
async function unavailable(e: Env, error: SignoffError, gh: GitHubReporter, setInfra: (id: string) => void): Promise<void> {
  if (error.code !== 'UNAVAILABLE') {
    out('decision', 'deny');
    return core.setFailed(`signoff could not decide: ${describeError(error)}`);
  }
  const infra = await findInfrastructure(e);
  const what = `signoff server did not answer after ${e.retry.attempts} attempts (${error.message})`;
  out('signoff-status', 'Unknown');
  if (infra) setInfra(infra.id);
  const summary: GateSummary = {
    ...(infra ? { infrastructure: { id: infra.id, policy: infra.policy } } : {}),
    digests: e.inputs.digests,
    headline: '',
    details: [],
    dryRun: e.inputs['dry-run'],
  };
  if (!infra) {
    const msg = `${what}. The infrastructure's policy is unknown, so the deploy is refused (fail closed).`;
    out('decision', 'deny');
    writeGateSummary(core.summary, { ...summary, headline: msg });
    await writeSummary();
    await gh.status('error', 'signoff server unreachable: refused (fail closed)', undefined);
    return core.setFailed(msg);
  }
  if (infra.policy === 'prevent') {
    const msg = `${what}. Infrastructure ${infra.id} has policy prevent, so the deploy is refused.`;
    out('decision', 'deny');
    writeGateSummary(core.summary, { ...summary, headline: msg });
    await writeSummary();
    await gh.status('error', `signoff server unavailable: refused (policy prevent)`, undefined);
    return core.setFailed(msg);
  }
  const msg = `${what}. Infrastructure ${infra.id} has policy ${infra.policy}, so the deploy goes ahead unverified and unrecorded.`;
  out('decision', 'warn');
  core.warning(msg, { title: 'signoff: server unavailable' });
  writeGateSummary(core.summary, { ...summary, headline: msg });
  await writeSummary();
  await gh.status('success', `signoff server unavailable: allowed unverified (policy ${infra.policy})`, undefined);
}

// ------------------------------------------------------------------------------------ register

const IMAGE = /^[^\s@]+@sha256:[a-f0-9]{64}$/;
const CHECKSUM = /^sha256:[a-f0-9]{64}$/;
const URI = /^[a-z][a-z0-9+.-]*:\/\/\S+$/;

function artifactsFrom(digests: string[]): Result<{ images: string[]; storage: { uri: string }[]; checksum?: string }> {
  const images: string[] = [];
  const storage: { uri: string }[] = [];
  let checksum: string | undefined;
  for (const d of digests) {
    if (IMAGE.test(d)) images.push(d);
    else if (CHECKSUM.test(d)) {
      if (checksum !== undefined) return { ok: false, error: { code: 'VALIDATION', message: 'Input "digests" has more than one bundle checksum' } };
      checksum = d;
    } else if (URI.test(d)) storage.push({ uri: d });
    else
      return {
        ok: false,
        error: { code: 'VALIDATION', message: `Input "digests": "${d}" is neither an image pinned by digest (<image>@sha256:<64 hex>), a storage URI nor a sha256: checksum` },
      };
  }
  return { ok: true, value: { images, storage, ...(checksum ? { checksum } : {}) } };
}

/**
 * The commit the build came from, as a link on the item: the protection rule finds the item a
 * deployment's SHA belongs to by this link.
 */
export function commitLink(ctx: RunContext): { title: string; url: string } | undefined {
  if (!ctx.repository || !ctx.sha) return undefined;
  return { title: `Built from ${ctx.repository.full}@${ctx.sha.slice(0, 12)}`, url: `${ctx.serverUrl}/${ctx.repository.full}/commit/${ctx.sha}` };
}

const signoffStatusOf = (item: Item): string => Object.values(item.signoffs)[0]?.status ?? 'Not started';

async function register(e: Env): Promise<void> {
  const { inputs } = e;
  const ref = inputs.item ?? '';
  const [projectKey = '', rest = ''] = ref.split('/');
  const at = rest.indexOf('@');
  const name = rest.slice(0, at);
  const version = rest.slice(at + 1);
  const artifacts = artifactsFrom(inputs.digests);
  if (!artifacts.ok) return core.setFailed(describeError(artifacts.error));
  const project = await retrying(e, 'signoff project lookup', () => e.client.getProject(projectKey));
  if (!project.ok) return core.setFailed(`signoff could not find project ${projectKey}: ${describeError(project.error)}`);
  const created = await retrying(e, 'signoff register', () =>
    e.client.registerItem({
      kind: inputs.kind === 'model-version' ? 'modelVersion' : 'bundle',
      projectId: project.value.id,
      ...(inputs.model !== undefined ? { modelId: inputs.model } : {}),
      name,
      version,
      ...(inputs.description !== undefined ? { description: inputs.description } : {}),
      artifacts: artifacts.value,
      importance: inputs.importance,
      ...(commitLink(e.ctx) ? { links: [commitLink(e.ctx) as { title: string; url: string }] } : {}),
      ...(inputs['request-feedback'].length ? { requestFeedback: { notify: inputs['request-feedback'].map((id) => ({ kind: 'group' as const, id })) } } : {}),
    }),
  );
  let item: Item;
  let already = false;
  if (created.ok) item = created.value;
  else if (created.error.code === 'CONFLICT') {
    // A retried or re-run build: the same version with the same digests is the same registration.
    const existing = await e.client.getItem(ref);
    // Compared as the server keys them (storage URIs normalised, images by digest).
    const wanted = itemDigestKeys(artifacts.value).sort();
    if (!existing.ok || JSON.stringify([...existing.value.digests].sort()) !== JSON.stringify(wanted)) {
      return core.setFailed(`signoff: ${ref} is already registered with other digests; register a new version (${describeError(created.error)})`);
    }
    item = existing.value;
    already = true;
  } else return core.setFailed(`signoff could not register ${ref}: ${describeError(created.error)}`);

  const reviewUrl = `${e.client.baseUrl}/items/${item.id}`;
  const status = signoffStatusOf(item);
  out('item-id', item.id);
  out('signoff-status', status);
  out('review-url', reviewUrl);
  core.info(`${already ? 'Already registered' : 'Registered'} ${ref} as ${item.id} (${status}); review: ${reviewUrl}`);
  writeRegisterSummary(core.summary, item, ref, reviewUrl, status, already);
  await writeSummary();
}
