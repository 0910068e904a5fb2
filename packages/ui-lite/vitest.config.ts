import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['source'] },
  // The store's nested-transaction guard is on by default only where it is cheap (Node >= 24);
  // the tests check our code with it on every runtime (core's store/engine.ts).
  test: { env: { SIGNOFF_STORE_GUARD: '1' }, name: 'ui-lite', include: ['src/**/*.test.ts'], testTimeout: 30_000 },
});
