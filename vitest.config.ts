import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/*'],
    // tfjs tests are CPU-heavy; two workers match the 2-core CI machine.
    maxWorkers: 2,
  },
});
