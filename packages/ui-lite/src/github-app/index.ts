import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { Clock, GovernanceService } from '@signoff/core';

export interface GithubAppConfig {
  appId: string;
  privateKey: string;
  webhookSecret: string;
}

export interface GithubAppDeps {
  service: GovernanceService;
  clock: Clock;
  logger: Logger;
  config: GithubAppConfig;
}

/** Placeholder until the GitHub App protection rule lands: serves nothing. */
export function createGithubAppRouter(_deps: GithubAppDeps): Router {
  return express.Router();
}
