import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_NAMESPACES, createGovernanceService, createMemoryStore, loadDemoWorld, type GovernanceService } from '@signoff/core';
import { embeddedSource, type EmbeddedSource } from './decision-source/embedded.js';
import { staticNamespaces } from './namespaces/static-map.js';
import type { NamespaceResolver } from './namespaces/types.js';
import { makeSelfSignedTls } from './server/self-signed.js';

export interface DemoSetup {
  /** The embedded service (tests read the deployment registry through it). */
  service: GovernanceService;
  /** `flush()` records the admissions that wait (tests read the registry after it). */
  source: EmbeddedSource;
  namespaces: NamespaceResolver;
  tls: { certFile: string; keyFile: string; caFile: string };
  close(): Promise<void>;
}

/**
 * `--demo`: the demo world of DESIGN.md in a memory store behind an embedded service, the demo
 * namespace map, and a throwaway CA + serving certificate written to `dir`.
 */
export async function demoSetup(options: {
  dir: string;
  publicUrl?: string;
  password?: string;
  names?: string[];
  /** scrypt cost of the demo passwords (tests lower it). */
  passwordParams?: { N: number; r: number; p: number };
}): Promise<DemoSetup> {
  const clock = { now: () => new Date() };
  const store = createMemoryStore();
  const service = createGovernanceService({
    store,
    clock,
    publicUrl: options.publicUrl ?? 'http://localhost:8080',
    ...(options.passwordParams ? { passwordParams: options.passwordParams } : {}),
  });
  await loadDemoWorld(service, { clock, ...(options.password ? { password: options.password } : {}) });
  mkdirSync(options.dir, { recursive: true });
  const tls = await makeSelfSignedTls(options.names ?? ['localhost', '127.0.0.1', 'signoff-webhook', 'signoff-webhook.signoff.svc']);
  const files = { certFile: join(options.dir, 'tls.crt'), keyFile: join(options.dir, 'tls.key'), caFile: join(options.dir, 'ca.crt') };
  writeFileSync(files.keyFile, tls.key, { mode: 0o600 });
  writeFileSync(files.certFile, tls.cert);
  writeFileSync(files.caFile, tls.ca);
  const source = embeddedSource({ service });
  return {
    service,
    source,
    namespaces: staticNamespaces(DEMO_NAMESPACES),
    tls: files,
    close: async () => {
      await source.flush();
      await store.close();
    },
  };
}
