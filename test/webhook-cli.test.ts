import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, WEBHOOK_BIN, postReview, startProcess, type Running } from './support/webhook-processes.js';

const FIXTURES = `${ROOT}packages/admission-webhook/src/__fixtures__/admission/`;
const fixture = (name: string): unknown => JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'signoff-webhook-cli-'));
let demo: Running | undefined;

afterAll(async () => {
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('signoff-webhook', () => {
  it('refuses to start without a decision source, naming the flag (exit 2)', () => {
    const r = spawnSync(process.execPath, [WEBHOOK_BIN, '--port', '0'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--server-url is required');
  });

  it('refuses a bad namespace map and a bad failure policy', () => {
    const map = spawnSync(process.execPath, [WEBHOOK_BIN, '--demo', '--demo-dir', dir, '--port', '0', '--namespace-map', 'ml-prod=Prod'], { encoding: 'utf8', timeout: 20_000 });
    expect(map.status).toBe(2);
    expect(JSON.parse(map.stderr.trim().split('\n').at(-1)!).msg).toContain('"Prod" is not an infrastructure id');
    const policy = spawnSync(process.execPath, [WEBHOOK_BIN, '--failure-policy', 'maybe'], { encoding: 'utf8', timeout: 20_000 });
    expect(policy.status).not.toBe(0);
    expect(policy.stderr).toMatch(/failure-policy/);
  });

  it('--demo (port from SIGNOFF_WEBHOOK_PORT) answers the fixtures as DESIGN.md says, with the CA it printed', async () => {
    demo = await startProcess(WEBHOOK_BIN, ['--demo', '--demo-dir', dir, '--host', '127.0.0.1'], { SIGNOFF_WEBHOOK_PORT: '0' });
    expect(demo.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(demo.output()).toContain(`signoff-webhook demo CA: ${join(dir, 'ca.crt')}`);
    const ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
    // DESIGN.md, "With that data, the fixtures must be answered so"
    const design: Record<string, boolean> = {
      'deployment-create': true,
      'deployment-update': false,
      'deployment-create-dryrun': true,
      'deployment-scale': true,
      'deployment-delete': true,
      'statefulset-create': true,
      'daemonset-create': false,
      'job-create': false,
      'cronjob-create': true,
      'pod-create': false,
      'inferenceservice-create': false,
      'deployment-create-unpinned-tags': false,
      'deployment-update-unpinned-tags': true,
    };
    for (const [name, allowed] of Object.entries(design)) {
      const r = await postReview(demo.url, ca, fixture(name));
      expect(r.json.response.uid, name).toBe((fixture(name) as { request: { uid: string } }).request.uid);
      expect(r.json.response.allowed, name).toBe(allowed);
    }
    const denied = await postReview(demo.url, ca, fixture('deployment-update'));
    expect(denied.json.response.allowed).toBe(false);
    expect(denied.json.response.status.message).toContain('shop/web-bundle@v2');
    // graceful shutdown
    const exited = new Promise<number | null>((r) => demo!.child.once('exit', (code) => r(code)));
    demo.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
