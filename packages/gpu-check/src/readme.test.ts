import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import * as gpuCheck from './index.js';
import { TRAIN_STEP_KERNELS } from './kernels.js';

const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('runs the example: three steps on one batch lower the loss', async () => {
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const heads = await import('@facepar/heads');
    const scope: Record<string, unknown> = { ...gpuCheck, ...heads, tf };
    const lines: string[] = [];
    const body = block
      .split('\n')
      .filter((l) => !l.startsWith('import '))
      .join('\n');
    const fakeConsole = { log: (...a: unknown[]) => lines.push(a.join(' ')) };
    const names = ['createReportTrainStep', 'syntheticFaceBatch', 'createSegmentor', 'tf'];
    const run = new Function(...names, 'console', `return (async () => {${body}})();`);
    await run(...names.map((n) => scope[n]), fakeConsole);
    expect(lines).toEqual(['true']);
  }, 120_000);

  it('lists exactly the training step kernels of TRAIN_STEP_KERNELS', () => {
    const table = readme.split('<!-- kernels:start -->')[1]?.split('<!-- kernels:end -->')[0];
    const rows = (table ?? '')
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) =>
        l
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(rows).toEqual(TRAIN_STEP_KERNELS.map((k) => [`\`${k.kernel}\``, k.impl, k.use]));
  });
});
