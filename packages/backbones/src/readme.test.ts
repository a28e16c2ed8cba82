// Runs the README example. The block between the markers must equal README.md's ```ts block
// without its import lines (checked by the second test), so the README cannot rot.
import '@tensorflow/tfjs-backend-cpu';
import '@facepar/core';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { countResNetParams, createResNet, resolveResNetOptions } from './index.js';

const SOURCE = readFileSync(new URL('./readme.test.ts', import.meta.url), 'utf8');
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Code without imports, comments and whitespace, so formatting differences do not matter. */
function normalise(code: string): string {
  return code
    .split('\n')
    .filter((l) => !l.trim().startsWith('import '))
    .map((l) => l.replace(/\s\/\/ .*$/, '').replace(/^\s*\/\/.*$/, ''))
    .join('')
    .replace(/\s+/g, '');
}

describe('README example', () => {
  it('runs: features with the documented channels and reductions', async () => {
    // README-START
    await tf.setBackend('cpu');
    // mmseg ResNetV1c-50 at output stride 8 (strides 1,2,1,1; dilations 1,1,2,4), 1/4 width
    const resnet = createResNet({ arch: 'resnet50-v1c', outputStride: 8, widthMultiplier: 0.25 });
    const info = resnet.featureInfo; // [{ name: 'layer1', channels: 64, reduction: 4 }, ... 512, 8]
    const model = resnet.createModel({ inputShape: [64, 64, 3] }); // layers 'stem.0', 'layer1.0.conv1', ...
    const features = model.predict(tf.zeros([1, 64, 64, 3])) as tf.Tensor[];
    const shapes = features.map((f) => f.shape); // [1,16,16,64] [1,8,8,128] [1,8,8,256] [1,8,8,512]
    const full = countResNetParams(resolveResNetOptions({ arch: 'resnet50-v1c' })); // 23,527,264
    // compose: the functional apply builds the layers on your own input
    const input = tfl.input({ shape: [null, null, 3] });
    const [c5] = createResNet({ arch: 'resnet18-v1b', outIndices: [3] }).apply(input, {
      prefix: 'enc',
    });
    const logits = tfl.layers
      .dense({ units: 10 })
      .apply(tfl.layers.globalAveragePooling2d({}).apply(c5));
    const classifier = tfl.model({ inputs: input, outputs: logits as tfl.SymbolicTensor });
    // README-END
    expect(info.map((f) => [f.channels, f.reduction])).toEqual([
      [64, 4],
      [128, 8],
      [256, 8],
      [512, 8],
    ]);
    expect(shapes).toEqual([
      [1, 16, 16, 64],
      [1, 8, 8, 128],
      [1, 8, 8, 256],
      [1, 8, 8, 512],
    ]);
    expect(full).toBe(23_527_264);
    expect(classifier.getLayer('enc.layer4.1.conv2')).toBeDefined();
    expect(classifier.outputs[0]!.shape).toEqual([null, 10]);
    tf.dispose(features);
    for (const m of [model, classifier]) for (const w of m.weights) w.dispose();
  });

  it('is the code shown in README.md', () => {
    const block = SOURCE.split('// README-START')[1]!.split('// README-END')[0]!;
    const shown = README.split('```ts')[1]!.split('```')[0]!;
    expect(normalise(shown)).toBe(normalise(block));
  });
});
