import { afterEach, beforeEach, expect, it } from 'vitest';
// Through the package's entry (it loads client-node lazily), as the CLI does.
import { namespaceInformer } from './index.js';
import type { NamespaceResolver } from './types.js';
import { startKubeApi } from '../__fixtures__/kube-api.js';

const LABEL = 'signoff.dev/infrastructure';
let api: Awaited<ReturnType<typeof startKubeApi>>;
let cache: NamespaceResolver | undefined;

const until = async (what: string, cond: () => boolean, ms = 8000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

beforeEach(async () => {
  api = await startKubeApi();
});
afterEach(async () => {
  await cache?.close();
  cache = undefined;
  await api.close();
});

it('lists labelled namespaces, then follows the watch: add, relabel, unlabel, delete', async () => {
  api.put('ml-prod', { [LABEL]: 'production' });
  api.put('shop-dev', { [LABEL]: 'development' });
  api.put('kube-system', {});
  cache = await namespaceInformer({ kubeConfig: api.kubeConfig, restartDelayMs: 50 });
  expect(cache.synced()).toBe(true);
  expect(new Map(cache.entries())).toEqual(new Map([['ml-prod', 'production'], ['shop-dev', 'development']]));
  expect(api.requests[0]).toEqual({ kind: 'list', labelSelector: LABEL });
  await until('the watch', () => api.watchCount() === 1);
  expect(api.requests[1]).toMatchObject({ kind: 'watch', resourceVersion: '103', labelSelector: LABEL });

  api.put('ml-staging', { [LABEL]: 'staging' });
  await until('ADDED', () => cache!.infrastructureOf('ml-staging') === 'staging');
  api.put('shop-dev', { [LABEL]: 'staging' });
  await until('MODIFIED', () => cache!.infrastructureOf('shop-dev') === 'staging');
  api.put('ml-staging', {});
  await until('unlabelled', () => cache!.infrastructureOf('ml-staging') === undefined);
  api.remove('ml-prod');
  await until('DELETED', () => cache!.infrastructureOf('ml-prod') === undefined);
  expect(cache.infrastructureOf('kube-system')).toBeUndefined();
});

it('resumes a broken watch from the last resourceVersion without relisting, missing nothing', async () => {
  api.put('ml-prod', { [LABEL]: 'production' });
  cache = await namespaceInformer({ kubeConfig: api.kubeConfig, restartDelayMs: 50 });
  await until('the watch', () => api.watchCount() === 1);
  api.put('ml-staging', { [LABEL]: 'staging' }); // rv 102, seen on the first watch
  await until('ADDED', () => cache!.infrastructureOf('ml-staging') === 'staging');

  api.breakWatches();
  await until('the watch to drop', () => api.watchCount() === 0);
  // changes while nobody watches
  api.put('shop-prod', { [LABEL]: 'production' });
  api.put('ml-staging', {});
  await until('a new watch', () => api.watchCount() === 1);
  await until('the missed changes', () => cache!.infrastructureOf('shop-prod') === 'production' && cache!.infrastructureOf('ml-staging') === undefined);
  const watches = api.requests.filter((r) => r.kind === 'watch');
  expect(watches.length).toBeGreaterThanOrEqual(2);
  expect(watches[0]!.resourceVersion).toBe('101');
  expect(watches.at(-1)!.resourceVersion).toBe('102');
  expect(api.requests.filter((r) => r.kind === 'list')).toHaveLength(1);

  // a clean end of the stream (the API server's watch timeout) resumes too
  api.endWatches();
  api.put('late', { [LABEL]: 'development' });
  await until('after a clean end', () => cache!.infrastructureOf('late') === 'development');
});

it('relists when the resourceVersion is too old (410 Gone)', async () => {
  api.put('ml-prod', { [LABEL]: 'production' });
  cache = await namespaceInformer({ kubeConfig: api.kubeConfig, restartDelayMs: 50 });
  await until('the watch', () => api.watchCount() === 1);
  api.breakWatches();
  api.put('gone-during-gap', { [LABEL]: 'staging' });
  api.compact();
  await until('a relist', () => api.requests.filter((r) => r.kind === 'list').length >= 2);
  await until('the relisted state', () => cache!.infrastructureOf('gone-during-gap') === 'staging');
});

it('is not synced while the API server cannot be listed, and syncs once it can', async () => {
  const port = api.port;
  await api.close();
  const errors: string[] = [];
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  cache = await namespaceInformer({ kubeConfig: kc, restartDelayMs: 50, onError: (m) => errors.push(m) });
  expect(cache.synced()).toBe(false);
  expect(errors.length).toBeGreaterThan(0);
  api = await startKubeApi(port);
  api.put('ml-prod', { [LABEL]: 'production' });
  await until('synced after the API server came back', () => cache!.synced() && cache!.infrastructureOf('ml-prod') === 'production');
});
