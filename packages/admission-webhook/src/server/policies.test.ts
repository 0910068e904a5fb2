import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhook, type RunningWebhook } from '../webhook.js';
import { DB_IMAGE, demoWorld, WEB_V1 } from '../__fixtures__/demo.js';
import { derive, type Json } from '../__fixtures__/fixtures.js';
import { call, quietLogger, review, tlsFiles, type TlsFiles } from '../__fixtures__/https.js';

// The demo's infrastructures: production (prevent, unmatched denied), staging (warn), development (always).
const NAMESPACE = { prevent: 'ml-prod', warn: 'ml-staging', always: 'shop-dev' } as const;

/** A bare Pod in `ns` running `image`, annotated with `item` (or not). */
const pod = (ns: string, image: string, item?: string): Json =>
  derive('pod-create', (r) => {
    r.request.uid = `${ns}-${image}-${item ?? 'none'}`;
    r.request.namespace = ns;
    r.request.object.metadata.namespace = ns;
    if (item) r.request.object.metadata.annotations['signoff.dev/item'] = item;
    else delete r.request.object.metadata.annotations['signoff.dev/item'];
    r.request.object.spec.containers[0].image = image;
  });

const CASES = {
  approved: () => [DB_IMAGE, 'shop/db-bundle@14'],
  unapproved: () => [WEB_V1, 'shop/web-bundle@v1'],
  unmatched: () => [`registry.example.com/other/thing@sha256:${'a'.repeat(64)}`, undefined],
  unpinned: () => ['registry.example.com/shop/postgres:14', 'shop/db-bundle@14'],
} satisfies Record<string, () => readonly [string, string | undefined]>;

// policy × case → allowed, and whether the answer carries warnings
const EXPECTED: Record<keyof typeof NAMESPACE, Record<keyof typeof CASES, { allowed: boolean; warned: boolean }>> = {
  prevent: {
    approved: { allowed: true, warned: false },
    unapproved: { allowed: false, warned: false },
    unmatched: { allowed: false, warned: false },
    unpinned: { allowed: false, warned: false },
  },
  warn: {
    approved: { allowed: true, warned: false },
    unapproved: { allowed: true, warned: true },
    unmatched: { allowed: true, warned: true },
    unpinned: { allowed: true, warned: true },
  },
  always: {
    approved: { allowed: true, warned: false },
    unapproved: { allowed: true, warned: false },
    unmatched: { allowed: true, warned: false },
    unpinned: { allowed: true, warned: false },
  },
};

let tls: TlsFiles;
let hook: RunningWebhook;
let demo: Awaited<ReturnType<typeof demoWorld>>;

beforeAll(async () => {
  tls = await tlsFiles();
  demo = await demoWorld();
  hook = await startWebhook({ port: 0, host: '127.0.0.1', tls, source: demo.source, namespaces: demo.namespaces, logger: quietLogger(), onClose: () => demo.close() });
});
afterAll(async () => {
  await hook?.close();
  rmSync(tls.dir, { recursive: true, force: true });
});

it('/readyz is 200 once the namespace map is there and the decision source answers', async () => {
  const r = await call(`${hook.url}/readyz`, tls.ca);
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ status: 'ready', namespacesSynced: true, decisionSource: true });
});

describe('each policy × approved / unapproved / unmatched / unpinned over HTTPS', () => {
  const rows = Object.entries(EXPECTED).flatMap(([policy, cases]) =>
    Object.entries(cases).map(([c, want]) => [policy, c, want.allowed ? (want.warned ? 'admitted with a warning' : 'admitted') : 'denied', want] as const),
  );
  it.each(rows)('%s, %s → %s', async (policy, c, _label, want) => {
    const [image, item] = CASES[c as keyof typeof CASES]();
    const r = await review(hook.url, tls.ca, pod(NAMESPACE[policy as keyof typeof NAMESPACE], image, item));
    expect(r.status).toBe(200);
    const res = r.json.response;
    expect(res.allowed, JSON.stringify(res)).toBe(want.allowed);
    expect((res.warnings ?? []).length > 0, JSON.stringify(res)).toBe(want.warned);
    expect(res.auditAnnotations.policy).toBe(policy);
    if (!want.allowed) {
      expect(res.status.code).toBe(403);
      expect(res.status.message).toContain(`policy ${policy}`);
    }
    if (c === 'unpinned' && policy === 'prevent') expect(res.status.message).toMatch(/pin/i);
    for (const w of res.warnings ?? []) expect(w.length).toBeLessThanOrEqual(120);
  });

  it('under warn + requireConfirmation: denied without the confirmation annotation, admitted and audited with it', async () => {
    const set = await demo.service.updateInfrastructure({ kind: 'system', id: 'system' }, 'staging', { requireConfirmation: true });
    expect(set.ok).toBe(true);
    const plain = pod('ml-staging', WEB_V1, 'shop/web-bundle@v1');
    plain.request.uid = 'confirm-missing';
    const denied = await review(hook.url, tls.ca, plain);
    expect(denied.json.response.allowed).toBe(false);
    expect(denied.json.response.status.message).toContain('signoff.dev/confirm-unapproved');
    const confirmed = pod('ml-staging', WEB_V1, 'shop/web-bundle@v1');
    confirmed.request.uid = 'confirm-given';
    confirmed.request.object.metadata.annotations['signoff.dev/confirm-unapproved'] = 'INC-1234 rollback';
    const r = await review(hook.url, tls.ca, confirmed);
    expect(r.json.response.allowed).toBe(true);
    expect(r.json.response.auditAnnotations.confirmation).toBe('INC-1234 rollback');
    await demo.source.flush();
    const records = await demo.service.listDeployments({ kind: 'system', id: 'system' });
    expect(records.ok && records.value.find((d) => d.target.kind === 'kubernetes' && d.target.uid === 'confirm-given')?.confirmation).toEqual({ reason: 'INC-1234 rollback' });
  });
});
