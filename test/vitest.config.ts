import { defineProject } from 'vitest/config';

export default defineProject({
  // The store's nested-transaction guard is on by default only where it is cheap (Node >= 24);
  // the tests check our code with it on every runtime (core's store/engine.ts).
  test: { env: { SIGNOFF_STORE_GUARD: '1' }, name: 'e2e', include: ['**/*.test.ts'], exclude: ['**/node_modules/**'], testTimeout: 120_000, hookTimeout: 120_000 },
});
