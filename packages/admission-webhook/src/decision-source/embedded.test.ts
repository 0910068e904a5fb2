import { describe, expect, it } from 'vitest';
import { createGovernanceService, createMemoryStore, loadDemoWorld, type DeploymentRecord, type GovernanceService } from '@signoff/core';
import { embeddedSource } from './embedded.js';
import { dbBundleInput as input, WEB_V1 } from '../__fixtures__/demo.js';

const SYSTEM = { kind: 'system', id: 'system' } as const;

async function world(): Promise<{ service: GovernanceService; batches: number[] }> {
  const clock = { now: () => new Date() };
  const store = createMemoryStore();
  const service = createGovernanceService({ store, clock, publicUrl: 'https://signoff.example.com', passwordParams: { N: 1024, r: 8, p: 1 } });
  await loadDemoWorld(service, { clock, password: 'embedded-test', passwordParams: { N: 1024, r: 8, p: 1 } });
  // the real service; only counts how many entries each recordDeployments call (one transaction) carries
  const batches: number[] = [];
  const recordDeployments = service.recordDeployments.bind(service);
  return {
    batches,
    service: {
      ...service,
      recordDeployments: (actor, entries) => {
        batches.push(entries.length);
        return recordDeployments(actor, entries);
      },
    },
  };
}


const records = async (service: GovernanceService): Promise<DeploymentRecord[]> => {
  const r = await service.listDeployments(SYSTEM);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const uids = async (service: GovernanceService): Promise<string[]> =>
  (await records(service)).flatMap((d) => (d.target.kind === 'kubernetes' && d.target.uid ? [d.target.uid] : []));

describe('embeddedSource records admissions in batches, after answering', () => {
  it('answers as the service decides, then records the same record decide writes, with the requester', async () => {
    const { service } = await world();
    const source = embeddedSource({ service, recordFlushMs: 60_000 });
    const direct = await service.decide(SYSTEM, input('direct'));
    const viaSource = await source.decide(input('batched'));
    if (!direct.ok || !viaSource.ok) throw new Error('decide failed');
    const { decidedAt: _d, ...expected } = direct.value.decision;
    const { decidedAt: _b, ...answered } = viaSource.value.decision;
    expect(answered).toEqual(expected);
    expect(answered.outcome).toBe('allow');
    // answered before anything was written
    expect(await uids(service)).toEqual(['direct']);
    await source.flush();
    const all = await records(service);
    const ref = all.find((d) => d.target.kind === 'kubernetes' && d.target.uid === 'direct')!;
    const rec = all.find((d) => d.target.kind === 'kubernetes' && d.target.uid === 'batched')!;
    const strip = ({ id: _i, at: _a, target, ...rest }: DeploymentRecord) => ({ ...rest, target: { ...target, uid: '' } });
    expect(strip(rec)).toEqual(strip(ref));
    expect(rec).toMatchObject({ itemRef: 'shop/db-bundle@14', outcome: 'allow', policy: 'prevent', actor: 'system', target: { namespace: 'ml-prod', name: 'db', requester: 'alice' } });
    expect(rec.at).toBe(viaSource.value.decision.decidedAt);
    const audit = await service.listAudit(SYSTEM, { subject: `deployments/${rec.id}` });
    expect(audit.ok && audit.value.map((e) => e.action)).toEqual(['deployment.record']);
  });

  it('records denials too, never dry runs, and many admissions in one transaction after a few ms', async () => {
    const { service, batches } = await world();
    const source = embeddedSource({ service, recordFlushMs: 20 });
    const answers = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => source.decide(input(`ok-${i}`))),
      source.decide(input('denied', { item: 'shop/web-bundle@v1', artifacts: [WEB_V1] })),
      source.decide(input('dry', { dryRun: true })),
    ]);
    expect(answers.map((a) => a.ok && a.value.decision.outcome)).toEqual([...Array<string>(10).fill('allow'), 'deny', 'allow']);
    expect(await uids(service)).toEqual([]);
    const end = Date.now() + 5000;
    while ((await uids(service)).length < 11 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect((await uids(service)).sort()).toEqual(['denied', ...Array.from({ length: 10 }, (_, i) => `ok-${i}`)].sort());
    expect(batches).toEqual([11]);
    await source.flush();
    expect(await uids(service)).not.toContain('dry');
  });

  it('writes a full batch at once, and close() records what still waits', async () => {
    const { service, batches } = await world();
    const source = embeddedSource({ service, recordBatchSize: 4, recordFlushMs: 60_000 });
    for (let i = 0; i < 6; i++) await source.decide(input(`n-${i}`));
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toEqual([4]);
    expect(await uids(service)).toHaveLength(4);
    await source.close();
    expect(batches).toEqual([4, 2]);
    expect((await uids(service)).sort()).toEqual(['n-0', 'n-1', 'n-2', 'n-3', 'n-4', 'n-5']);
  });

  it('a refused entry does not lose the others of its batch, and is reported', async () => {
    const { service } = await world();
    // the real service, except that the entry of uid "bad" reaches it as a dry run, which core refuses to record
    const refusing: GovernanceService = {
      ...service,
      recordDeployments: (actor, entries) =>
        service.recordDeployments(
          actor,
          entries.map((e) => (e.input.target?.kind === 'kubernetes' && e.input.target.uid === 'bad' ? { ...e, input: { ...e.input, dryRun: true } } : e)),
        ),
    };
    const errors: [string, number][] = [];
    const source = embeddedSource({ service: refusing, recordFlushMs: 60_000, onRecordError: (m, n) => errors.push([m, n]) });
    for (const uid of ['good-1', 'bad', 'good-2']) {
      const r = await source.decide(input(uid));
      expect(r.ok && r.value.decision.outcome).toBe('allow');
    }
    await source.flush();
    expect((await uids(service)).sort()).toEqual(['good-1', 'good-2']);
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toMatch(/^VALIDATION: .*dry run/);
    expect(errors[0]![1]).toBe(1);
  });

  it('an API key without deployments:write is refused as before, and nothing is queued', async () => {
    const { service, batches } = await world();
    const source = embeddedSource({ service, principal: { kind: 'apiKey', id: 'key_r', name: 'reader', scopes: ['decisions:read'] } });
    const r = await source.decide(input('no-write'));
    expect(!r.ok && r.error.code).toBe('FORBIDDEN');
    const dry = await source.decide(input('dry', { dryRun: true }));
    expect(dry.ok && dry.value.decision.outcome).toBe('allow');
    await source.close();
    expect(batches).toEqual([]);
    expect(await uids(service)).toEqual([]);
  });
});
