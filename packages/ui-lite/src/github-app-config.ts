import { readFile } from 'node:fs/promises';
import type { ServerConfig } from './config.js';
import type { GithubAppConfig } from './github-app/index.js';
import { StartupError } from './store-open.js';

/** The GitHub App settings when all of them are given; a partial set is a start-up error. */
export async function loadGithubAppConfig(config: ServerConfig): Promise<GithubAppConfig | undefined> {
  const { githubAppId, githubAppPrivateKeyFile, githubWebhookSecret } = config;
  const given = [githubAppId, githubAppPrivateKeyFile, githubWebhookSecret].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (!githubAppId || !githubAppPrivateKeyFile || !githubWebhookSecret) {
    throw new StartupError(
      'CONFIG',
      'The GitHub App needs SIGNOFF_GITHUB_APP_ID, SIGNOFF_GITHUB_APP_PRIVATE_KEY_FILE and SIGNOFF_GITHUB_WEBHOOK_SECRET together.',
    );
  }
  let privateKey: string;
  try {
    privateKey = await readFile(githubAppPrivateKeyFile, 'utf8');
  } catch (error) {
    throw new StartupError('CONFIG', `Cannot read the GitHub App private key ${githubAppPrivateKeyFile}: ${(error as Error).message}`);
  }
  return { appId: githubAppId, privateKey, webhookSecret: githubWebhookSecret };
}
