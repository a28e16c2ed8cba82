import { defineProject } from 'vitest/config';

/**
 * The vitest project of one workspace package: tests beside the code in `src/`, workspace
 * dependencies resolved to their sources through the `facepar-source` export condition (no
 * build needed), and a per-test budget generous enough for tfjs model builds on 2 busy cores
 * (vitest projects do not inherit the root config's timeouts).
 */
export function packageProject(name: string) {
  return defineProject({
    resolve: { conditions: ['facepar-source'] },
    ssr: { resolve: { conditions: ['facepar-source'] } },
    test: {
      name,
      environment: 'node',
      testTimeout: 60_000,
      hookTimeout: 60_000,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    },
  });
}
