import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Workspace packages export their TypeScript sources under the "source"
    // condition, so unit tests never need a build of their dependencies.
    conditions: ['source'],
  },
  test: {
    projects: ['packages/*', 'test'],
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
