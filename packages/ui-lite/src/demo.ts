import { randomBytes } from 'node:crypto';
import { loadDemoWorld, type Clock, type GovernanceServiceInternals } from '@signoff/core';
import type { ServerConfig } from './config.js';

export interface LoadedDemo {
  users: { username: string; password: string }[];
  apiKey?: string;
}

/**
 * Loads the demo world of DESIGN.md through the service. SIGNOFF_DEMO_PASSWORD fixes every
 * demo user's password and SIGNOFF_DEMO_API_KEY the demo key's secret; otherwise both are
 * random and printed once.
 */
export async function loadDemo(deps: { service: GovernanceServiceInternals; clock: Clock; config: ServerConfig }): Promise<LoadedDemo> {
  const world = await loadDemoWorld(deps.service, {
    clock: deps.clock,
    ...(deps.config.demoPassword ? { password: deps.config.demoPassword } : {}),
    apiKeySecret: deps.config.demoApiKey ?? `sk_demo${randomBytes(4).toString('hex')}_${randomBytes(24).toString('base64url')}`,
  });
  return {
    users: Object.entries(world.passwords).map(([username, password]) => ({ username, password })),
    ...(world.apiKey ? { apiKey: world.apiKey.token } : {}),
  };
}
