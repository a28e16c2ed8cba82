import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['facepar-source'] },
  ssr: { resolve: { conditions: ['facepar-source'] } },
  test: {
    name: '@facepar/heads',
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
