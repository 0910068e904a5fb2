import { randomBytes } from 'node:crypto';
import { createGovernanceService, Scope, systemPrincipal, type Store } from '@signoff/core';
import { resolveConfig } from './config.js';
import { openDataStore } from './store-open.js';

const systemClock = { now: () => new Date() };

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function withStore<T>(dataFlag: string | undefined, fn: (store: Store) => Promise<T>): Promise<T> {
  const config = resolveConfig({ data: dataFlag });
  if (!config.ok) throw new Error(config.error.message);
  const store = await openDataStore(config.value.data);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `signoff-server user add <username>`: returns the exit code. */
export async function runUserAdd(
  username: string,
  flags: { admin?: boolean; passwordStdin?: boolean; displayName?: string; email?: string; group?: string[]; role?: string[]; data?: string },
): Promise<number> {
  const generated = !flags.passwordStdin;
  const password = flags.passwordStdin ? await readStdin() : randomBytes(15).toString('base64url');
  const roles = [...new Set([...(flags.role ?? []), ...(flags.admin ? ['admin'] : [])])];
  return withStore(flags.data, async (store) => {
    const service = createGovernanceService({ store, clock: systemClock, publicUrl: 'http://localhost' });
    const result = await service.createUser(systemPrincipal, {
      username,
      displayName: flags.displayName ?? username,
      ...(flags.email ? { email: flags.email } : {}),
      password,
      roles,
      groups: flags.group ?? [],
    });
    if (!result.ok) {
      process.stderr.write(`signoff-server: cannot add user "${username}": ${result.error.message}\n`);
      for (const issue of result.error.issues ?? []) process.stderr.write(`  ${issue.path.join('.')}: ${issue.message}\n`);
      return 1;
    }
    process.stderr.write(`signoff-server: added user ${result.value.username} (${result.value.id})${roles.length ? ` with roles ${roles.join(', ')}` : ''}\n`);
    if (generated) process.stdout.write(`${password}\n`);
    return 0;
  });
}

/** `signoff-server apikey create <name> --scope …`: prints the secret once; returns the exit code. */
export async function runApiKeyCreate(name: string, flags: { scope: string[]; data?: string }): Promise<number> {
  const scopes = Scope.array().min(1).safeParse(flags.scope);
  if (!scopes.success) {
    process.stderr.write(`signoff-server: --scope must be among ${Scope.options.join(', ')}\n`);
    return 1;
  }
  return withStore(flags.data, async (store) => {
    const service = createGovernanceService({ store, clock: systemClock, publicUrl: 'http://localhost' });
    const result = await service.createApiKey(systemPrincipal, { name, scopes: scopes.data });
    if (!result.ok) {
      process.stderr.write(`signoff-server: cannot create API key "${name}": ${result.error.message}\n`);
      return 1;
    }
    process.stderr.write(
      `signoff-server: created API key ${result.value.key.name} (${result.value.key.id}) with scopes ${scopes.data.join(', ')}; the secret below is shown once\n`,
    );
    process.stdout.write(`${result.value.secret}\n`);
    return 0;
  });
}
