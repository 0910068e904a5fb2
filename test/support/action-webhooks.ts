/**
 * `deployment_protection_rule` deliveries as GitHub sends them. @octokit/webhooks-examples 7
 * has no example of this event, so the payload is assembled from its `deployment` example
 * (deployment, repository, sender) plus the fields of the event, and checked against the
 * event's schema in GitHub's OpenAPI description before it is sent.
 */
import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';
import { validateWebhook } from './action-github-api.js';

const require = createRequire(import.meta.url);
type Json = Record<string, unknown>;

const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as { name: string; examples: Json[] }[];
const deploymentExample = (() => {
  const e = examples.find((x) => x.name === 'deployment')?.examples.find((x) => x.action === 'created');
  if (!e) throw new Error('@octokit/webhooks-examples has no deployment.created example');
  return e;
})();

export interface ProtectionRuleDelivery {
  repository: string;
  environment: string;
  runId: number;
  sha: string;
  installationId: number;
  /** The deployment's payload (e.g. `{ signoff: { item } }`); empty like a workflow-created deployment by default. */
  deploymentPayload?: Json;
  apiUrl?: string;
}

export function protectionRulePayload(d: ProtectionRuleDelivery): Json {
  const [owner = '', name = ''] = d.repository.split('/');
  const repo = deploymentExample.repository as Json;
  const deployment = deploymentExample.deployment as Json;
  const apiUrl = d.apiUrl ?? 'https://api.github.com';
  const payload = {
    action: 'requested',
    environment: d.environment,
    event: 'push',
    sha: d.sha,
    ref: 'refs/heads/main',
    deployment_callback_url: `${apiUrl}/repos/${d.repository}/actions/runs/${d.runId}/deployment_protection_rule`,
    deployment: {
      ...deployment,
      id: d.runId * 10,
      sha: d.sha,
      ref: 'main',
      environment: d.environment,
      original_environment: d.environment,
      payload: d.deploymentPayload ?? {},
      url: `${apiUrl}/repos/${d.repository}/deployments/${d.runId * 10}`,
      statuses_url: `${apiUrl}/repos/${d.repository}/deployments/${d.runId * 10}/statuses`,
      repository_url: `${apiUrl}/repos/${d.repository}`,
    },
    repository: { ...repo, name, full_name: d.repository, owner: { ...(repo.owner as Json), login: owner } },
    installation: { id: d.installationId, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==' },
    sender: deploymentExample.sender,
  };
  const problems = validateWebhook('deployment-protection-rule-requested', payload);
  if (problems.length) throw new Error(`the test's deployment_protection_rule payload breaks GitHub's schema: ${problems.join('; ')}`);
  return payload;
}

/** POSTs a delivery with GitHub's headers, signed with `secret` (or a given signature). */
export async function deliver(url: string, secret: string, payload: unknown, options: { event?: string; signature?: string } = {}): Promise<Response> {
  const body = JSON.stringify(payload);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/test',
      'x-github-event': options.event ?? 'deployment_protection_rule',
      'x-github-delivery': crypto.randomUUID(),
      'x-hub-signature-256': options.signature ?? (await sign(secret, body)),
    },
    body,
  });
}
