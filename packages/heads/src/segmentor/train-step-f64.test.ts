import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import {
  activateWasm,
  exportStateDict,
  leanVariableGrads,
  readSafetensors,
  toFloat32,
} from '@facepar/core';
import { REPORT_CLASS_WEIGHTS, weightedCrossEntropy } from '@facepar/losses';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { countSketch, seededBatch, seededState } from './seeded-step.test-helper.js';
import { getSegmentorSpec, type SegmentorSpec, scaleSegmentorSpec } from './segmentor-registry.js';
import { createSegmentor } from './segmentor.js';
import { loadSegmentorWeights } from './weights.js';

// A deeplabv3plus_r50-d8 training step (the report's model: 19 classes, decode
// head + 0.4 · auxiliary FCN head, weighted CE with the report's class weights and mmseg's
// reduction, BatchNorm in training mode, dropout off, batch 2 at 64x64) against PyTorch in
// float64: scripts/gen_train_step_f64.py, whose seeded weights and batch are rebuilt here bit for
// bit. Every parameter's gradient must be within 1e-2 relative L2 of float64; the fixture also
// records PyTorch float32's own error on each, for the message.
interface Fixture {
  keys: string[];
  torchF32: Record<string, number>;
  sketch: number;
  loss: number;
  norms: Float32Array;
  sketches: Map<string, Float32Array>;
}

function readFixture(name: string): Fixture {
  const f = readSafetensors(
    new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url))),
  );
  const keys = JSON.parse(f.metadata.keys as string) as string[];
  return {
    keys,
    torchF32: JSON.parse(f.metadata.torch_f32_rel_err as string) as Record<string, number>,
    sketch: Number(f.metadata.sketch_size),
    loss: Number(f.metadata.loss),
    norms: toFloat32(f.tensors.get('norm')!),
    sketches: new Map(keys.map((k) => [k, toFloat32(f.tensors.get(`sketch.${k}`)!)])),
  };
}

const TOL = 1e-2;
const SIZE = 64;
const BATCH = 2;

const base = getSegmentorSpec('deeplabv3plus_r50-d8');
const noDropout: SegmentorSpec = {
  ...base,
  decodeHead: { ...base.decodeHead, dropoutRatio: 0 },
  auxiliaryHeads: base.auxiliaryHeads.map((a) => ({ ...a, dropoutRatio: 0 })),
};

async function gradientErrors(
  fx: Fixture,
  widthDivisor: number,
): Promise<{ loss: number; errors: Map<string, number> }> {
  const spec = widthDivisor === 1 ? noDropout : scaleSegmentorSpec(noDropout, 1 / widthDivisor);
  const seg = createSegmentor({ model: spec, inputShape: [SIZE, SIZE, 3] });
  try {
    loadSegmentorWeights(seg, seededState(seg.model, exportStateDict(seg.model)));
    const { nchw, labels: lab } = seededBatch(BATCH, SIZE, 19);
    const x = tf.tidy(() => tf.transpose(tf.tensor4d(nchw, [BATCH, 3, SIZE, SIZE]), [0, 2, 3, 1]));
    const labels = tf.tensor3d(lab, [BATCH, SIZE, SIZE], 'int32');
    const ce = (logits: tf.Tensor4D) =>
      weightedCrossEntropy(logits, labels, {
        classWeights: [...REPORT_CLASS_WEIGHTS],
        reduction: 'mmseg',
        resizeLogitsTo: 'labels',
      });
    const f = () =>
      tf.tidy(() => {
        const [dec, aux] = seg.model.apply(x, { training: true }) as tf.Tensor4D[];
        return tf.add(ce(dec!), tf.mul(ce(aux!), 0.4)) as tf.Scalar;
      });
    const { value, grads } = leanVariableGrads({ f });
    const loss = (await value.data())[0]!;
    const errors = new Map<string, number>();
    fx.keys.forEach((key, i) => {
      const layer = seg.model.getLayer(key.slice(0, key.lastIndexOf('.')));
      const cls = layer.getClassName();
      const idx =
        cls === 'BatchNorm2d' ? (key.endsWith('weight') ? 0 : 1) : key.endsWith('bias') ? 1 : 0;
      const g = grads[(layer.weights[idx]!.read() as tf.Variable).name]!;
      // tfjs HWIO / [kh,kw,C,1] -> PyTorch OIHW / [C,1,kh,kw], the generator's element order
      const torchOrder = tf.tidy(() =>
        g.rank === 4
          ? tf.transpose(g, cls === 'DepthwiseConv2d' ? [2, 3, 0, 1] : [3, 2, 0, 1])
          : g.clone(),
      );
      const ours = countSketch(key, torchOrder.dataSync(), fx.sketch);
      torchOrder.dispose();
      const ref = fx.sketches.get(key)!;
      let d2 = 0;
      for (let b = 0; b < ours.length; b++) d2 += (ours[b]! - ref[b]!) ** 2;
      errors.set(key, Math.sqrt(d2) / fx.norms[i]!);
    });
    tf.dispose([x, labels, value, grads]);
    return { loss, errors };
  } finally {
    seg.dispose();
  }
}

function worst(fx: Fixture, errors: Map<string, number>, n: number): string {
  return [...errors]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([k, e]) =>
        `${k} ${e.toExponential(2)} (PyTorch float32 ${fx.torchF32[k]!.toExponential(2)})`,
    )
    .join('\n');
}

// wasm at full width; cpu (which takes more than 13 CPU-minutes for one full-width step) at 1/8
// of every channel count, the same structure, from its own fixture.
const CASES = [
  { backend: 'wasm', fixture: 'train-step-f64-64.safetensors', widthDivisor: 1 },
  { backend: 'cpu', fixture: 'train-step-f64-64-w8.safetensors', widthDivisor: 8 },
] as const;

describe.each(CASES)(
  'r50-d8 training step vs PyTorch float64 on $backend (width 1/$widthDivisor)',
  ({ backend, fixture, widthDivisor }) => {
    const fx = readFixture(fixture);

    it('fixture: 214 parameters with sketches and norms; PyTorch float32 itself passes', () => {
      expect(fx.keys).toHaveLength(214);
      expect(fx.sketches.size).toBe(214);
      expect(fx.norms.length).toBe(214);
      expect(Math.max(...Object.values(fx.torchF32))).toBeLessThan(TOL);
    });

    it('loss to 1e-6, every parameter gradient within 1e-2 relative L2', async () => {
      if (backend === 'wasm') await activateWasm({ threads: 1 });
      else {
        await tf.setBackend('cpu');
        const cpu = tf.engine().registry.cpu as { firstUse?: boolean } | undefined;
        if (cpu !== undefined) cpu.firstUse = false;
      }
      const { loss, errors } = await gradientErrors(fx, widthDivisor);
      expect(Math.abs(loss - fx.loss) / fx.loss).toBeLessThan(1e-6);
      expect(errors.size).toBe(fx.keys.length);
      const bad = [...errors].filter(([, e]) => !(e < TOL));
      expect(bad, worst(fx, errors, 5)).toEqual([]);
    }, 300_000);
  },
);
