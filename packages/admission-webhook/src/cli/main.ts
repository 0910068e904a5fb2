import { readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { remoteSource } from '../decision-source/remote.js';
import type { DecisionSource } from '../decision-source/types.js';
import { parseNamespaceMap, staticNamespaces } from '../namespaces/static-map.js';
import type { NamespaceResolver } from '../namespaces/types.js';
import { startWebhook, type RunningWebhook } from '../webhook.js';
import type { CliOptions } from './options.js';

class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function readSecretFile(file: string, what: string): string {
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (!text) throw new ConfigError(`${what} ${file} is empty`);
    return text;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

async function namespacesFor(o: CliOptions, logger: Logger): Promise<NamespaceResolver> {
  if (o.namespaceMap !== undefined) {
    const text = o.namespaceMap.includes('=') ? o.namespaceMap : readSecretFile(o.namespaceMap, '--namespace-map file');
    const map = parseNamespaceMap(text);
    if (!map.ok) throw new ConfigError(`--namespace-map: ${map.error.message}`);
    return staticNamespaces(map.value);
  }
  // client-node is heavy to load: only when the informer is used.
  const [{ KubeConfig }, { namespaceInformer }] = await Promise.all([import('@kubernetes/client-node'), import('../namespaces/index.js')]);
  const kc = new KubeConfig();
  if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
  else if (o.inCluster || process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return namespaceInformer({
    kubeConfig: kc,
    onError: (m) => logger.warn(m),
    onChange: (ns, infra) => logger.info({ namespace: ns, infrastructure: infra ?? null }, 'namespace infrastructure'),
  });
}

/** Read the configuration, start the webhook, stop it on SIGTERM/SIGINT. */
export async function main(o: CliOptions): Promise<RunningWebhook> {
  const logger = pino({ name: 'signoff-webhook', level: o.logLevel });
  let source: DecisionSource;
  let namespaces: NamespaceResolver;
  let tls: { certFile: string; keyFile: string };
  let onClose: (() => Promise<void>) | undefined;
  // A static map is checked before anything slow starts.
  const staticMap = o.namespaceMap !== undefined ? await namespacesFor(o, logger) : undefined;
  if (o.demo) {
    const { demoSetup } = await import('../demo.js');
    const demo = await demoSetup({ dir: o.demoDir ?? join(tmpdir(), 'signoff-webhook-demo'), ...(process.env.SIGNOFF_DEMO_PASSWORD ? { password: process.env.SIGNOFF_DEMO_PASSWORD } : {}) });
    source = demo.source;
    namespaces = staticMap ?? demo.namespaces;
    tls = o.tlsCert && o.tlsKey ? { certFile: o.tlsCert, keyFile: o.tlsKey } : demo.tls;
    onClose = () => demo.close();
    logger.info({ caFile: demo.tls.caFile, namespaces: Object.fromEntries(namespaces.entries()) }, 'demo mode: embedded demo world; trust this CA');
    process.stdout.write(`signoff-webhook demo CA: ${demo.tls.caFile}\n`);
  } else {
    if (!o.serverUrl) throw new ConfigError('--server-url is required (or --demo)');
    if (!o.apiKeyFile) throw new ConfigError('--api-key-file is required with --server-url');
    if (!o.tlsCert || !o.tlsKey) throw new ConfigError('--tls-cert and --tls-key are required (or --demo)');
    for (const f of [o.tlsCert, o.tlsKey]) if (!existsSync(f)) throw new ConfigError(`TLS file ${f} does not exist`);
    const apiKey = readSecretFile(o.apiKeyFile, '--api-key-file');
    const ca = o.serverCaFile ? readSecretFile(o.serverCaFile, '--server-ca-file') : undefined;
    const remote = remoteSource({
      serverUrl: o.serverUrl,
      apiKey,
      cacheTtlMs: o.cacheTtlMs,
      ...(ca ? { ca } : {}),
      onBackgroundError: (what, message) => logger.warn({ what }, message),
    });
    if (!(await remote.refreshInfrastructures())) logger.warn({ serverUrl: o.serverUrl }, 'signoff server not reachable yet; infrastructures unknown (fail-closed until it answers)');
    source = remote;
    namespaces = staticMap ?? (await namespacesFor(o, logger));
    tls = { certFile: o.tlsCert, keyFile: o.tlsKey };
  }
  const hook = await startWebhook({
    port: o.port,
    host: o.host,
    tls,
    source,
    namespaces,
    adminGroups: o.adminGroup,
    failurePolicy: o.failurePolicy,
    logger,
    ...(onClose ? { onClose } : {}),
  });
  const stop = (signal: string): void => {
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    hook.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return hook;
}

export { ConfigError };
