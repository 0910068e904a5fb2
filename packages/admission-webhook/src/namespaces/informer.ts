import { CoreV1Api, makeInformer, type KubeConfig, type V1Namespace } from '@kubernetes/client-node';
import { INFRASTRUCTURE_LABEL } from '../review/extract.js';
import type { NamespaceResolver } from './types.js';

export interface NamespaceInformerOptions {
  kubeConfig: KubeConfig;
  /** Delay before the informer restarts after a watch or list error. Default 1000 ms. */
  restartDelayMs?: number;
  onError?: (message: string) => void;
  onChange?: (namespace: string, infrastructure: string | undefined) => void;
}

/**
 * Namespace → infrastructure kept by a client-node informer (list, then watch from the
 * list's resourceVersion), so that a decision needs no API call. Only labelled namespaces
 * are listed and watched (label selector `signoff.dev/infrastructure`).
 */
export async function namespaceInformer(options: NamespaceInformerOptions): Promise<NamespaceResolver> {
  const api = options.kubeConfig.makeApiClient(CoreV1Api);
  const map = new Map<string, string>();
  let synced = false;
  let stopped = false;
  // Set by a successful list; client-node's start() also resolves when the list failed.
  let listed = false;
  let timer: NodeJS.Timeout | undefined;
  const informer = makeInformer<V1Namespace>(
    options.kubeConfig,
    '/api/v1/namespaces',
    async () => {
      const list = await api.listNamespace({ labelSelector: INFRASTRUCTURE_LABEL });
      listed = true;
      return list;
    },
    INFRASTRUCTURE_LABEL,
  );
  const apply = (ns: V1Namespace): void => {
    const name = ns.metadata?.name;
    if (!name) return;
    const infra = ns.metadata?.labels?.[INFRASTRUCTURE_LABEL];
    const before = map.get(name);
    if (infra) map.set(name, infra);
    else map.delete(name);
    if (before !== infra) options.onChange?.(name, infra);
  };
  informer.on('add', apply);
  informer.on('update', apply);
  informer.on('delete', (ns) => {
    const name = ns.metadata?.name;
    if (name && map.delete(name)) options.onChange?.(name, undefined);
  });
  const restart = (): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      informer.start().then(
        () => {
          if (listed) synced = true;
        },
        (e: unknown) => {
          options.onError?.(`namespace informer restart failed: ${(e as Error).message}`);
          restart();
        },
      );
    }, options.restartDelayMs ?? 1000);
    timer.unref();
  };
  // client-node does not restart after an error (only after a clean end of the watch).
  informer.on('error', (e: unknown) => {
    options.onError?.(`namespace list/watch failed: ${e instanceof Error ? e.message : String(e)}`);
    restart();
  });
  try {
    await informer.start();
    if (listed) synced = true;
  } catch (e) {
    options.onError?.(`namespace list failed: ${(e as Error).message}`);
    restart();
  }
  return {
    infrastructureOf: (ns) => map.get(ns),
    synced: () => synced,
    entries: () => [...map.entries()],
    async close() {
      stopped = true;
      clearTimeout(timer);
      await informer.stop();
    },
  };
}
