import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

interface Ns {
  apiVersion: 'v1';
  kind: 'Namespace';
  metadata: { name: string; uid: string; resourceVersion: string; labels: Record<string, string> };
}
interface Change {
  rv: number;
  before?: Ns;
  after?: Ns;
}

/**
 * A local HTTP server speaking the Kubernetes list/watch protocol for /api/v1/namespaces:
 * lists carry a resourceVersion, `?watch=true&resourceVersion=N` streams the changes after N
 * as JSON lines (ADDED/MODIFIED/DELETED, with label-selector semantics: leaving the selection
 * is a DELETED), a resourceVersion older than the kept history gets a 410 Gone ERROR event.
 */
export async function startKubeApi(listenPort = 0) {
  let rv = 100;
  const objects = new Map<string, Ns>();
  const history: Change[] = [];
  let oldestKept = rv;
  const watches = new Set<{ res: ServerResponse; selector?: string; since: number }>();
  const requests: { kind: 'list' | 'watch'; resourceVersion?: string; labelSelector?: string }[] = [];

  const matches = (o: Ns | undefined, selector?: string): o is Ns => !!o && (!selector || selector.split(',').every((k) => k in o.metadata.labels));
  const eventFor = (c: Change, selector?: string) => {
    const was = matches(c.before, selector);
    const is = matches(c.after, selector);
    if (is) return { type: was ? 'MODIFIED' : 'ADDED', object: c.after };
    if (was) return { type: 'DELETED', object: { ...c.before, metadata: { ...c.before!.metadata, resourceVersion: String(c.rv) } } };
    return undefined;
  };
  const push = (c: Change) => {
    history.push(c);
    for (const w of watches) {
      if (w.res.writableEnded) continue;
      const e = eventFor(c, w.selector);
      if (e) w.res.write(`${JSON.stringify(e)}\n`);
    }
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v1/namespaces' || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","code":404}');
      return;
    }
    const selector = url.searchParams.get('labelSelector') ?? undefined;
    const since = url.searchParams.get('resourceVersion') ?? undefined;
    if (url.searchParams.get('watch') !== 'true') {
      requests.push({ kind: 'list', ...(selector ? { labelSelector: selector } : {}) });
      const items = [...objects.values()].filter((o) => matches(o, selector));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'NamespaceList', metadata: { resourceVersion: String(rv) }, items }));
      return;
    }
    requests.push({ kind: 'watch', ...(since !== undefined ? { resourceVersion: since } : {}), ...(selector ? { labelSelector: selector } : {}) });
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const from = Number(since ?? rv);
    if (from < oldestKept) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: 'too old resource version' } })}\n`);
      return;
    }
    for (const c of history) {
      if (c.rv <= from) continue;
      const e = eventFor(c, selector);
      if (e) res.write(`${JSON.stringify(e)}\n`);
    }
    const w = { res, ...(selector ? { selector } : {}), since: from };
    watches.add(w);
    res.on('close', () => watches.delete(w));
  });
  await new Promise<void>((r) => server.listen(listenPort, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'local', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'tester', token: 'test-token' }],
    contexts: [{ name: 'local', cluster: 'local', user: 'tester' }],
    currentContext: 'local',
  });

  return {
    port,
    kubeConfig,
    requests,
    watchCount: () => watches.size,
    /** Create or replace a namespace with these labels. */
    put(name: string, labels: Record<string, string>) {
      rv++;
      const before = objects.get(name);
      const after: Ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: before?.metadata.uid ?? `uid-${name}`, resourceVersion: String(rv), labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
      objects.set(name, after);
      push({ rv, ...(before ? { before } : {}), after });
    },
    remove(name: string) {
      const before = objects.get(name);
      if (!before) return;
      rv++;
      objects.delete(name);
      push({ rv, before });
    },
    /** Cut every open watch stream as a dropped connection does. */
    breakWatches() {
      for (const w of watches) w.res.socket?.destroy();
    },
    /** End every open watch cleanly, as the API server does at its timeout. */
    endWatches() {
      for (const w of watches) w.res.end();
      watches.clear();
    },
    /** Forget the history up to now: older resourceVersions get 410 Gone. */
    compact() {
      history.length = 0;
      oldestKept = rv;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const w of watches) w.res.socket?.destroy();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
