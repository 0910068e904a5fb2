import { readFileSync } from 'node:fs';
import { Octokit } from '@octokit/rest';
import { throttling } from '@octokit/plugin-throttling';
import { retry } from '@octokit/plugin-retry';

// The plugins add options, not methods: the client is typed as the plain REST client.
const GitHub: typeof Octokit = Octokit.plugin(throttling, retry);
type GitHubClient = Octokit;
interface LimitedRequest {
  method: string;
  url: string;
}

export interface RunContext {
  repository?: { owner: string; repo: string; full: string };
  sha?: string;
  runId?: string;
  serverUrl: string;
  apiUrl: string;
  eventName?: string;
  /** The pull request number when the run was triggered by one. */
  pullRequest?: number;
}

/** What the runner tells a step about its run, from the environment and the event file. */
export function readRunContext(env: NodeJS.ProcessEnv): RunContext {
  const full = env.GITHUB_REPOSITORY;
  const [owner, repo] = full?.split('/') ?? [];
  let pullRequest: number | undefined;
  if (env.GITHUB_EVENT_PATH) {
    try {
      const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as {
        pull_request?: { number?: unknown };
        number?: unknown;
      };
      const n = event.pull_request?.number;
      if (typeof n === 'number') pullRequest = n;
    } catch {
      // No readable event: no pull request to comment on.
    }
  }
  return {
    ...(full && owner && repo ? { repository: { owner, repo, full } } : {}),
    ...(env.GITHUB_SHA ? { sha: env.GITHUB_SHA } : {}),
    ...(env.GITHUB_RUN_ID ? { runId: env.GITHUB_RUN_ID } : {}),
    serverUrl: env.GITHUB_SERVER_URL ?? 'https://github.com',
    apiUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
    ...(env.GITHUB_EVENT_NAME ? { eventName: env.GITHUB_EVENT_NAME } : {}),
    ...(pullRequest !== undefined ? { pullRequest } : {}),
  };
}

export function createGitHub(token: string, apiUrl: string, log: (msg: string) => void): GitHubClient {
  return new GitHub({
    auth: token,
    baseUrl: apiUrl,
    userAgent: 'signoff-github-action',
    throttle: {
      onRateLimit: (retryAfter: number, options: LimitedRequest, _octokit: unknown, retryCount: number) => {
        log(`GitHub rate limit on ${options.method} ${options.url}; retrying after ${retryAfter}s`);
        return retryCount < 2;
      },
      onSecondaryRateLimit: (retryAfter: number, options: LimitedRequest, _octokit: unknown, retryCount: number) => {
        log(`GitHub secondary rate limit on ${options.method} ${options.url}; retrying after ${retryAfter}s`);
        return retryCount < 1;
      },
    },
    retry: { retries: 2 },
    request: { retries: 2, retryAfter: 1 },
  });
}

export const commentMarker = (infrastructure: string): string => `<!-- signoff:${infrastructure} -->`;

export type CommitState = 'success' | 'failure' | 'pending' | 'error';

/** Commit status `signoff/<infrastructure>` on the run's commit. */
export async function setCommitStatus(
  gh: GitHubClient,
  ctx: RunContext,
  infrastructure: string,
  state: CommitState,
  description: string,
  targetUrl: string | undefined,
): Promise<void> {
  if (!ctx.repository || !ctx.sha) return;
  await gh.rest.repos.createCommitStatus({
    owner: ctx.repository.owner,
    repo: ctx.repository.repo,
    sha: ctx.sha,
    state,
    context: `signoff/${infrastructure}`,
    description: description.length > 140 ? `${description.slice(0, 139)}…` : description,
    ...(targetUrl && /^https?:\/\//.test(targetUrl) ? { target_url: targetUrl } : {}),
  });
}

/** One comment per pull request and infrastructure, found by its hidden marker and edited in place. */
export async function upsertPullRequestComment(
  gh: GitHubClient,
  ctx: RunContext,
  infrastructure: string,
  body: string,
): Promise<'created' | 'updated' | 'skipped'> {
  if (!ctx.repository || ctx.pullRequest === undefined) return 'skipped';
  const marker = commentMarker(infrastructure);
  const full = `${marker}\n${body}`;
  const { owner, repo } = ctx.repository;
  for await (const page of gh.paginate.iterator(gh.rest.issues.listComments, { owner, repo, issue_number: ctx.pullRequest, per_page: 100 })) {
    const mine = page.data.find((c) => c.body?.includes(marker));
    if (mine) {
      await gh.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: full });
      return 'updated';
    }
  }
  await gh.rest.issues.createComment({ owner, repo, issue_number: ctx.pullRequest, body: full });
  return 'created';
}
