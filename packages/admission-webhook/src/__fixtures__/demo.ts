import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecisionInput } from '@signoff/core';
import { demoSetup, type DemoSetup } from '../demo.js';

/** The demo world of DESIGN.md, cheap to build (low scrypt cost for the demo passwords). */
export const demoWorld = (): Promise<DemoSetup> =>
  demoSetup({ dir: mkdtempSync(join(tmpdir(), 'signoff-webhook-demo-')), password: 'demo-password-test', passwordParams: { N: 1024, r: 8, p: 1 } });

export const WEB_V1 = `registry.example.com/shop/web@sha256:${'1'.repeat(64)}`;
/** The image of the demo's approved `shop/db-bundle@14`. */
export const DB_IMAGE = 'registry.example.com/shop/postgres@sha256:01bf57f388427ded1975b9eeb2e056a10890a7e7b3569adead050561737f6a98';

/** A recorded (not dry-run) decision request for `shop/db-bundle@14` as the gate sends it, with AdmissionReview `uid`. */
export const dbBundleInput = (uid: string, over: Partial<DecisionInput> = {}): DecisionInput => ({
  infrastructure: 'production',
  item: 'shop/db-bundle@14',
  artifacts: [DB_IMAGE],
  dryRun: false,
  target: { kind: 'kubernetes', namespace: 'ml-prod', name: 'db', resource: 'statefulsets', operation: 'CREATE', uid, requester: 'alice' },
  ...over,
});
