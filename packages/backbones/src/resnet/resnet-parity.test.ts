import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { loadStateDict, readSafetensors, type TensorEntry, toFloat32 } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createResNet } from './resnet.js';

// Written by packages/heads/scripts/gen_golden.py (PyTorch 1.13, mmseg ResNet semantics).
const file = readSafetensors(
  new Uint8Array(
    readFileSync(new URL('../fixtures/resnet18-v1d-w16.safetensors', import.meta.url)),
  ),
).tensors;

function nhwc(e: TensorEntry): tf.Tensor4D {
  const [n, c, h, w] = e.shape as [number, number, number, number];
  return tf.tidy(() => tf.transpose(tf.tensor4d(toFloat32(e), [n, c, h, w]), [0, 2, 3, 1]));
}

describe.each(['cpu', 'wasm'])('ResNet-18 v1d (avg-pool shortcut) vs PyTorch on %s', (backend) => {
  it('matches all four features on an odd 37x37 input', async () => {
    await tf.setBackend(backend);
    const net = createResNet({ arch: 'resnet18-v1d', widthMultiplier: 1 / 16, outputStride: 32 });
    const model = net.createModel();
    // mmseg backbone checkpoint names (`stem.*`, `layer*`); the golden tensors are not weights
    const report = loadStateDict(model, file, {
      rename: (k) => (k.startsWith('golden.') ? null : k),
    });
    expect(report.missing).toEqual([]);
    const x = nhwc(file.get('golden.input')!);
    const feats = model.predict(x) as tf.Tensor4D[];
    expect(feats.map((f) => f.shape)).toEqual([
      [1, 10, 10, 4],
      [1, 5, 5, 8],
      [1, 3, 3, 16],
      [1, 2, 2, 32],
    ]);
    for (let i = 0; i < 4; i++) {
      const want = nhwc(file.get(`golden.feat.${i}`)!);
      const err = tf.tidy(() => tf.max(tf.abs(tf.sub(feats[i]!, want))).dataSync()[0]!);
      const scale = tf.tidy(() => tf.max(tf.abs(want)).dataSync()[0]!);
      expect(scale).toBeGreaterThan(0.1);
      expect(err, `feat.${i}`).toBeLessThan(1e-4);
      want.dispose();
    }
    tf.dispose([x, ...feats]);
    for (const w of model.weights) w.dispose();
  });
});
