// Runs the README example. The block between the markers must equal README.md's first ```ts
// block without its import lines (checked by the second test), so the README cannot rot.
// Expected numbers: PyTorch 1.13, F.cross_entropy(x, y, weight=[1,2,3,3], ignore_index=255,
// reduction='none').mean() and its gradient.
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectAllClose, expectRelClose } from './golden.test-util.js';
import { classWeightsFromCounts, weightedCrossEntropy } from './index.js';

const SOURCE = readFileSync(new URL('./readme.test.ts', import.meta.url), 'utf8');
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

function normalise(code: string): string[] {
  return code
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('import ') && !l.startsWith('//'));
}

describe('README example', () => {
  it('runs: weighted CE (mmseg mean) and its gradient equal PyTorch', async () => {
    // README-START
    await tf.setBackend('cpu');
    // w_c = log2(total / count_c) = [1, 2, 3, 3]
    const classWeights = classWeightsFromCounts([500, 250, 125, 125], { scheme: 'log2-inverse' });
    const values = [2, 0, -1, 0, 0.5, 1, 0, -1, 0, 0, 0, 3, 1, 1, 1, 1];
    const logits = tf.tensor4d(values, [1, 2, 2, 4]); // NHWC: 2x2 pixels, 4 classes
    const labels = tf.tensor3d([0, 1, 3, 255], [1, 2, 2], 'int32'); // 255 = ignored
    const lossFn = (x: tf.Tensor) =>
      weightedCrossEntropy(x as tf.Tensor4D, labels, { classWeights, reduction: 'mmseg' });
    const { value, grad } = tf.valueAndGrad(lossFn)(logits);
    console.log(value.dataSync()[0]); // 0.54718 (mean of w_y·CE over all 4 pixels)
    console.log(grad.shape); // [1, 2, 2, 4]; zero on the ignored pixel
    // README-END
    expect(classWeights).toEqual([1, 2, 3, 3]);
    expectRelClose(value.dataSync()[0]!, 0.5471829626453775);
    expectAllClose(
      grad.dataSync(),
      [
        -0.060671699414206276, 0.025622799184484936, 0.009426101045236406, 0.025622799184484936,
        0.1437449903381177, -0.26300457687296097, 0.08718574382016464, 0.032073842714678696,
        0.032487873359648055, 0.032487873359648055, 0.032487873359648055, -0.0974636200789441, 0, 0,
        0, 0,
      ],
    );
    tf.dispose([logits, labels, value, grad]);
  });

  it('README.md shows exactly the code that ran', () => {
    const block = /```ts\n([\s\S]*?)```/.exec(README)?.[1];
    expect(block).toBeDefined();
    const ran = SOURCE.split('// README-START')[1]!.split('// README-END')[0]!;
    expect(normalise(block!)).toEqual(normalise(ran));
    const lines = block!.trim().split('\n').length;
    expect(lines).toBeGreaterThanOrEqual(10);
    expect(lines).toBeLessThanOrEqual(20);
  });
});
