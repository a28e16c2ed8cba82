import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import {
  readSafetensors,
  registerWasmTrainingKernels,
  type TensorEntry,
  toFloat32,
} from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { resizeLogits } from './inference.js';
import { getSegmentorSpec, type SegmentorSpec, scaleSegmentorSpec } from './segmentor-registry.js';
import { createSegmentor, type Segmentor } from './segmentor.js';
import { loadSegmentorWeights } from './weights.js';

// PyTorch reference: scripts/gen_golden.py grad_golden (1/16-width fixture model, dropout off,
// loss = CE(seg) + 0.4·CE(aux), batch 2 at 65×65).
const read = (name: string) =>
  readSafetensors(new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url))))
    .tensors;
const weights = read('deeplab-w16.safetensors');
const golden = read('train-step-65.safetensors');

const base = scaleSegmentorSpec(getSegmentorSpec('deeplabv3plus_r50-d8'), 1 / 16);
const spec: SegmentorSpec = {
  ...base,
  decodeHead: { ...base.decodeHead, dropoutRatio: 0 },
  auxiliaryHeads: base.auxiliaryHeads.map((a) => ({ ...a, dropoutRatio: 0 })),
};

/** PyTorch tensor in tfjs layout: OIHW -> HWIO, depthwise [C,1,kh,kw] -> [kh,kw,C,1]. */
function tfLayout(e: TensorEntry, depthwise: boolean): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.tensor(toFloat32(e), e.shape);
    if (e.shape.length !== 4) return t;
    return tf.transpose(t, depthwise ? [2, 3, 0, 1] : [2, 3, 1, 0]);
  });
}

function crossEntropy(logits: tf.Tensor4D, labels: tf.Tensor3D, numClasses: number): tf.Scalar {
  return tf.tidy(() =>
    tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, numClasses), tf.logSoftmax(logits, -1)), -1))),
  );
}

function setup(normEval: boolean) {
  const seg = createSegmentor({ model: spec, numClasses: 8, normEval });
  loadSegmentorWeights(seg, weights);
  const x = tf.tidy(() =>
    tf.transpose(tf.tensor4d(toFloat32(golden.get('input')!), [2, 3, 65, 65]), [0, 2, 3, 1]),
  );
  const labels = tf.tensor3d(
    Int32Array.from(toFloat32(golden.get('labels')!)),
    [2, 65, 65],
    'int32',
  );
  const loss = () =>
    tf.tidy(() => {
      const [dec, aux] = seg.model.apply(x, { training: true }) as tf.Tensor4D[];
      const s = crossEntropy(resizeLogits({ logits: dec!, size: [65, 65] }), labels, 8);
      const a = crossEntropy(resizeLogits({ logits: aux!, size: [65, 65] }), labels, 8);
      return tf.add(s, tf.mul(a, 0.4)) as tf.Scalar;
    });
  return { seg, x, labels, loss };
}

const layerOf = (seg: Segmentor, key: string) =>
  seg.model.getLayer(key.slice(0, key.lastIndexOf('.')));

describe.each(['cpu', 'wasm'])('training path vs PyTorch autograd on %s', (backend) => {
  it('training-mode forward: loss and BN running statistics (momentum 0.1, unbiased var)', async () => {
    await tf.setBackend(backend);
    if (backend === 'wasm') registerWasmTrainingKernels();
    const { seg, x, labels, loss } = setup(false);
    const value = loss();
    expect(Math.abs(value.dataSync()[0]! - toFloat32(golden.get('train_loss')!)[0]!)).toBeLessThan(
      1e-4,
    );
    const stats = [...golden.keys()].filter((k) => k.startsWith('stat.'));
    expect(stats).toHaveLength(4);
    for (const key of stats) {
      const name = key.slice(5);
      const got = layerOf(seg, name).weights[name.endsWith('running_mean') ? 2 : 3]!.read();
      const ref = tf.tensor(toFloat32(golden.get(key)!));
      const err = tf.tidy(() => tf.max(tf.abs(tf.sub(got, ref))).dataSync()[0]!);
      expect(err, name).toBeLessThan(1e-4);
      ref.dispose();
    }
    tf.dispose([x, labels, value]);
    seg.dispose();
  });

  it('gradients of 22 parameters across backbone, ASPP (dilation 36), decoder and aux head', async () => {
    await tf.setBackend(backend);
    if (backend === 'wasm') registerWasmTrainingKernels();
    const { seg, x, labels, loss } = setup(true);
    const keys = [...golden.keys()].filter((k) => k.startsWith('grad.')).map((k) => k.slice(5));
    expect(keys).toHaveLength(22);
    const vars = keys.map((key) => {
      const l = layerOf(seg, key);
      const idx = key.endsWith('.bias') ? 1 : 0;
      return {
        key,
        variable: l.weights[idx]!.read() as tf.Variable,
        depthwise: l.getClassName() === 'DepthwiseConv2d',
      };
    });
    const { value, grads } = tf.variableGrads(
      loss,
      vars.map((v) => v.variable),
    );
    expect(Math.abs(value.dataSync()[0]! - toFloat32(golden.get('eval_loss')!)[0]!)).toBeLessThan(
      1e-4,
    );
    for (const { key, variable, depthwise } of vars) {
      const ref = tfLayout(golden.get(`grad.${key}`)!, depthwise);
      const [err, scale] = tf.tidy(() => [
        tf.max(tf.abs(tf.sub(grads[variable.name]!, ref))).dataSync()[0]!,
        tf.max(tf.abs(ref)).dataSync()[0]!,
      ]);
      expect(scale, key).toBeGreaterThan(1e-4);
      expect(err / scale, `${key} relative error`).toBeLessThan(1e-3);
      ref.dispose();
    }
    tf.dispose([x, labels, value, grads]);
    seg.dispose();
  });
});
