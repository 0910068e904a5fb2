import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeStoreConformance } from './conformance.js';
import { openLowdbStore } from './lowdb-store.js';

const dir = mkdtempSync(join(tmpdir(), 'signoff-lowdb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const files = new WeakMap<object, string>();

describeStoreConformance(
  'lowdb',
  async () => {
    const file = join(dir, `store-${++n}.json`);
    const store = await openLowdbStore(file);
    files.set(store, file);
    return store;
  },
  {
    reopen: async (store) => {
      await store.close();
      const file = files.get(store)!;
      const again = await openLowdbStore(file);
      files.set(again, file);
      return again;
    },
  },
);
