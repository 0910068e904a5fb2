import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoSetup, type DemoSetup } from '../demo.js';

/** The demo world of DESIGN.md, cheap to build (low scrypt cost for the demo passwords). */
export const demoWorld = (): Promise<DemoSetup> =>
  demoSetup({ dir: mkdtempSync(join(tmpdir(), 'signoff-webhook-demo-')), password: 'demo-password-test', passwordParams: { N: 1024, r: 8, p: 1 } });

export const WEB_V1 = `registry.example.com/shop/web@sha256:${'1'.repeat(64)}`;
