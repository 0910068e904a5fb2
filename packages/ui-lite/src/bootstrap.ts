import { randomBytes } from 'node:crypto';
import { systemPrincipal, type Clock, type GovernanceServiceInternals, type Store } from '@signoff/core';
import type { Logger } from 'pino';
import type { ServerConfig } from './config.js';
import type { StartCredentials } from './main.js';
import { StartupError } from './store-open.js';
import { loadDemo } from './demo.js';

export interface BootstrapDeps {
  service: GovernanceServiceInternals;
  store: Store;
  clock: Clock;
  config: ServerConfig;
  logger: Logger;
  print: (text: string) => void;
}

/**
 * On an empty store (no users): with `--demo`, load the demo world and print its
 * credentials; then, if no administrator exists, create `admin` with SIGNOFF_ADMIN_PASSWORD
 * or a random password printed once. A store that already has users is left alone.
 */
export async function bootstrapStore(deps: BootstrapDeps): Promise<StartCredentials> {
  const { service, store, config, logger, print } = deps;
  const credentials: StartCredentials = {};
  if ((await store.count('users')) > 0) {
    if (config.demo) logger.info('demo: the store already holds data; the demo world is not loaded again');
    return credentials;
  }
  if (config.demo) {
    const demo = await loadDemo({ service, clock: deps.clock, config });
    credentials.demoUsers = demo.users;
    if (demo.apiKey) credentials.demoApiKey = demo.apiKey;
    const lines = [
      'signoff demo mode: demo users (demo mode only; passwords shown once):',
      ...demo.users.map((u) => `  ${u.username.padEnd(8)} ${u.password}`),
      ...(demo.apiKey ? [`demo API key (decisions:read, deployments:write): ${demo.apiKey}`] : []),
    ];
    print(`${lines.join('\n')}\n`);
    logger.info({ users: demo.users.map((u) => u.username) }, 'demo world loaded');
  }

  const admins = await store.list('users', (u) => u.roles.includes('admin'));
  if (admins.length === 0) {
    const password = config.adminPassword ?? randomBytes(15).toString('base64url');
    const created = await service.createUser(systemPrincipal, {
      username: 'admin',
      displayName: 'Administrator',
      password,
      roles: ['admin'],
    });
    if (!created.ok) throw new StartupError('BOOTSTRAP', `Could not create the first admin user: ${created.error.message}`);
    credentials.admin = { username: 'admin', password };
    if (config.adminPassword) {
      print('signoff: created the first administrator "admin" with the password from SIGNOFF_ADMIN_PASSWORD\n');
    } else {
      print(`signoff: created the first administrator "admin"; one-time password (shown once, change it): ${password}\n`);
    }
    logger.info({ username: 'admin', fromEnv: config.adminPassword !== undefined }, 'first administrator created');
  }
  return credentials;
}
