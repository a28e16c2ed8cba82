// Runs the README example. The block between the markers must equal README.md's first ```ts
// block without its import lines (checked by the second test), so the README cannot rot.
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import {
  convModule,
  createSgd,
  exportStateDict,
  loadStateDict,
  polyLr,
  readSafetensors,
  writeSafetensors,
} from './index.js';

const SOURCE = readFileSync(new URL('./readme.test.ts', import.meta.url), 'utf8');
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Code without imports and whitespace, so formatting differences do not matter. */
function normalise(code: string): string {
  return code
    .split('\n')
    .filter((l) => !l.trim().startsWith('import '))
    .join('')
    .replace(/\s+/g, '');
}

describe('README example', () => {
  it('runs: trains 3 SGD steps and round-trips the state dict', async () => {
    // README-START
    await tf.setBackend('cpu');
    const input = tfl.input({ shape: [null, null, 3] });
    const stem = convModule({ name: 'stem', filters: 8, kernelSize: 3, stride: 2, padding: 1 });
    const model = tfl.model({ inputs: input, outputs: stem(input) });
    const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 1);
    const sgd = createSgd({ lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
    const schedule = polyLr({ baseLr: 0.01, maxIters: 100 });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    for (let iter = 0; iter < 3; iter++) {
      sgd.lr = schedule(iter);
      const loss = () => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor));
      const { value, grads } = tf.variableGrads(loss as () => tf.Scalar, variables);
      sgd.apply({ grads, variables });
      tf.dispose([value, grads]);
    }
    // PyTorch keys (stem.conv.weight, stem.bn.running_var, ...) and layouts; bit-exact round trip
    const bytes = writeSafetensors(exportStateDict(model));
    const report = loadStateDict(model, readSafetensors(bytes).tensors); // { loaded, missing, ... }
    // README-END
    expect(report.loaded).toEqual([
      'stem.conv.weight',
      'stem.bn.weight',
      'stem.bn.bias',
      'stem.bn.running_mean',
      'stem.bn.running_var',
    ]);
    expect([report.missing, report.unexpected, report.mismatched]).toEqual([[], [], []]);
    // three training passes moved the running mean away from its zero init
    const mean = model.getLayer('stem.bn').getWeights()[2]!;
    expect(Array.from(mean.dataSync()).some((v) => v !== 0)).toBe(true);
    expect(sgd.getState().step).toBe(3);
    sgd.dispose();
    x.dispose();
    model.dispose();
  });

  it('README.md shows exactly the code that ran', () => {
    const block = /```ts\n([\s\S]*?)```/.exec(README)?.[1];
    expect(block).toBeDefined();
    const ran = SOURCE.split('// README-START\n')[1]!.split('    // README-END')[0]!;
    expect(normalise(block!)).toEqual(normalise(ran));
    const lines = block!.split('\n').filter((l) => l.trim() && !l.startsWith('import ')).length;
    expect(lines).toBeGreaterThanOrEqual(10);
    expect(lines).toBeLessThanOrEqual(20);
  });
});
