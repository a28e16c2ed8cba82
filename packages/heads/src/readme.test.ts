// Runs the README example. The block between the markers must equal README.md's ```ts block
// without its import lines (checked by the second test), so the README cannot rot.
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { readSafetensors, writeSafetensors } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  countSegmentorParams,
  createSegmentor,
  exportSegmentorWeights,
  inferSegmentation,
  loadSegmentorWeights,
  modelPredictor,
} from './index.js';

const SOURCE = readFileSync(new URL('./readme.test.ts', import.meta.url), 'utf8');
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Code without imports, comments and whitespace, so formatting differences do not matter. */
function normalise(code: string): string {
  const lines = code.split('\n');
  const out: string[] = [];
  let inImport = false;
  for (const l of lines) {
    if (l.trim().startsWith('import '))
      inImport = !l.includes(' from ') && !l.trim().startsWith("import '");
    else if (inImport) {
      if (l.includes(' from ')) inImport = false;
    } else out.push(l.replace(/\s\/\/ .*$/, '').replace(/^\s*\/\/.*$/, ''));
  }
  return out
    .join('')
    .replace(/\s+/g, '')
    .replace(/,([\]}])/g, '$1');
}

describe('README example', () => {
  it('runs: flip-TTA probabilities and a strict weight round trip', async () => {
    // README-START
    await tf.setBackend('cpu');
    const total = countSegmentorParams({ model: 'deeplabv3plus_r50-d8' }).total; // 43,589,878
    // the small CPU preset: ResNet-18 v1c at 1/4 width, output stride 16
    const seg = createSegmentor({
      model: 'deeplabv3plus_r18-d16-thin',
      withAuxiliary: false,
      seed: 0,
    });
    const images = tf.randomNormal([1, 96, 96, 3]) as tf.Tensor4D; // normalised NHWC
    const probs = inferSegmentation({
      predict: modelPredictor(seg.model),
      images,
      flip: true, // flip test-time augmentation, left/right classes swapped back
      flipPairs: [
        [4, 5],
        [6, 7],
        [8, 9],
      ],
    });
    const labels = tf.argMax(probs, -1); // [1, 96, 96] class ids
    // PyTorch state dict with mmseg names (decode_head.aspp_modules.1.depthwise_conv.conv.weight ...)
    const bytes = writeSafetensors(exportSegmentorWeights(seg));
    const report = loadSegmentorWeights(seg, readSafetensors(bytes).tensors); // strict
    // README-END
    expect(total).toBe(43_589_878);
    expect(labels.shape).toEqual([1, 96, 96]);
    const sums = tf.sum(probs, -1);
    expect(Math.abs(sums.dataSync()[123]! - 1)).toBeLessThan(1e-5);
    expect(report.missing).toEqual([]);
    expect(report.loaded).toContain('decode_head.aspp_modules.1.depthwise_conv.conv.weight');
    tf.dispose([images, probs, labels, sums]);
    seg.dispose();
  });

  it('is the code shown in README.md', () => {
    const block = SOURCE.split('// README-START')[1]!.split('// README-END')[0]!;
    const shown = README.split('```ts')[1]!.split('```')[0]!;
    expect(normalise(shown)).toBe(normalise(block));
  });
});
