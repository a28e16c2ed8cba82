import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['facepar-source'] },
  ssr: { resolve: { conditions: ['facepar-source'] } },
  test: {
    name: '@facepar/backbones',
    environment: 'node',
    // the machine is shared and tfjs model builds are CPU-bound: generous per-test budget
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
