import { createSegmentor, type Segmentor } from '@facepar/heads';
import { REPORT_CLASS_WEIGHTS, weightedCrossEntropy } from '@facepar/losses';
import { initBackend, listBackends } from '@facepar/core';
import { requireWebGpuUnderCi, withoutSyncReads } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { checkSpec } from './gpu-check.js';
import { missingKernels, recordKernels, TRAIN_STEP_KERNELS } from './kernels.js';
import { syntheticFaceBatch } from './synthetic-batch.js';
import type { Batch, TrainStep } from '@facepar/train';
import { createReportTrainStep } from './train-step.js';

// The report's deeplabv3plus_r50-d8 at 1/16 width (CI time on llvmpipe), dropout off so both
// backends draw nothing random. 296 px: the output-stride-8 features are 37 px, so every tap of
// the dilation-36 ASPP branch reads real pixels (smaller inputs crop the dilated convs to fewer
// taps, another code path).
const WIDTH = 1 / 16;
const SIZE = 296;
const spec = checkSpec({ model: 'deeplabv3plus_r50-d8', width: WIDTH, dropout: 0 });

/** Synthetic faces, with the bottom eighth of every label map set to 255 (ignored). */
async function batchWithIgnored(): Promise<Batch> {
  const b = syntheticFaceBatch({
    size: SIZE,
    batchSize: 2,
    seed: 3,
    mean: spec.mean,
    std: spec.std,
  });
  const labels = Int32Array.from(await b.labels.data());
  for (let n = 0; n < 2; n++) {
    labels.fill(255, (n * SIZE + Math.floor((SIZE * 7) / 8)) * SIZE, (n + 1) * SIZE * SIZE);
  }
  b.labels.dispose();
  return { images: b.images, labels: tf.tensor3d(labels, [2, SIZE, SIZE], 'int32') };
}

/**
 * The step's loss with every pixel sum in float64: wasm's float32 Sum of the 2·296² per-pixel
 * losses is off by 4e-4 relative (webgpu's by 4e-8), so the reference is summed here.
 */
async function exactLoss(seg: Segmentor, batch: Batch): Promise<number> {
  const outputs = seg.model.apply(batch.images, { training: true }) as tf.Tensor4D[];
  const weights = [1, ...seg.spec.auxiliaryHeads.map((a) => a.lossWeight)];
  let total = 0;
  for (const [i, logits] of outputs.entries()) {
    const map = weightedCrossEntropy(logits, batch.labels, {
      classWeights: [...REPORT_CLASS_WEIGHTS],
      reduction: 'none',
      resizeLogitsTo: 'labels',
    });
    let sum = 0;
    for (const v of await map.data()) sum += v;
    total += ((weights[i] as number) * sum) / map.size;
    map.dispose();
  }
  tf.dispose(outputs);
  return total;
}

/** The loss and every gradient read back (no update). */
async function lossAndGradsRead(step: TrainStep, batch: Batch) {
  const { loss: value, grads, ...parts } = step.lossAndGrads(batch);
  const loss = (await value.data())[0] as number;
  const names = Object.keys(grads);
  const values = await Promise.all(names.map((n) => (grads[n] as tf.Tensor).data()));
  tf.dispose([value, grads, parts]);
  return { loss, grads: new Map(names.map((n, i) => [n, values[i] as Float32Array])) };
}

function relativeL2(got: Float32Array, want: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    const d = (got[i] as number) - (want[i] as number);
    num += d * d;
    den += (want[i] as number) ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** The same weights on wasm then webgpu: they move from wasm to webgpu at first use. */
async function onBothBackends(
  normEval: boolean,
  run: (step: TrainStep, batch: Batch, exact: number) => Promise<void>,
) {
  await initBackend({ backend: 'wasm' });
  const seg = createSegmentor({ model: spec, numClasses: 19, seed: 0, normEval });
  const step = createReportTrainStep({ segmentor: seg });
  const batch = await batchWithIgnored();
  try {
    await run(step, batch, await exactLoss(seg, batch));
  } finally {
    tf.dispose([batch.images, batch.labels]);
    step.dispose();
    seg.dispose();
  }
}

const { available, adapter } = await requireWebGpuUnderCi({ listBackends });

describe.runIf(available)(`the report's training step on webgpu (${adapter})`, () => {
  it("training mode: facepar train's step (one read, SGD) on webgpu: the loss within 1e-4, no synchronous read, every kernel on webgpu", async () => {
    await onBothBackends(false, async (step, batch, exact) => {
      await initBackend({ backend: 'webgpu' });
      let got: Awaited<ReturnType<TrainStep['step']>> | undefined;
      const kernels = await withoutSyncReads(() =>
        recordKernels(async () => {
          got = await step.step({ batch });
        }),
      );
      const { loss, decode, aux, pixelAcc } = got as NonNullable<typeof got>;
      expect(Math.abs(loss - exact) / exact).toBeLessThanOrEqual(1e-4);
      expect(Math.abs(decode + aux - loss) / loss).toBeLessThanOrEqual(1e-6);
      expect(pixelAcc).toBeGreaterThanOrEqual(0);
      expect(pixelAcc).toBeLessThanOrEqual(1);
      expect(missingKernels({ names: kernels.keys(), backend: 'webgpu' })).toEqual([]);
      expect([...kernels.keys()]).toEqual(TRAIN_STEP_KERNELS.map((k) => k.kernel));
    });
  }, 600_000);

  // With batch statistics (training-mode BN) the gradients of this network at initialisation
  // are ill-conditioned in float32: PyTorch's own float32 and float64 gradients differ by up to
  // 17 % relative L2 (median 2 %) at 1/16 width and 4 % at full width, so no float32 backend can
  // agree to 1e-3 there. With running statistics (mmseg norm_eval) BN is affine and the
  // gradients are well conditioned (PyTorch float32 vs float64: 4e-6): every backward kernel
  // but the batch-statistics one is compared here; that one is checked on its own in core.
  it('norm_eval: the loss within 1e-4 and every parameter gradient within 1e-3 (relative L2) of wasm', async () => {
    await onBothBackends(true, async (step, batch, exact) => {
      const ref = await lossAndGradsRead(step, batch);
      await initBackend({ backend: 'webgpu' });
      const gpu = await withoutSyncReads(() => lossAndGradsRead(step, batch));
      expect(Math.abs(gpu.loss - exact) / exact).toBeLessThanOrEqual(1e-4);
      expect([...gpu.grads.keys()]).toEqual([...ref.grads.keys()]);
      expect(ref.grads.size).toBe(step.variables.length);
      const errors = [...ref.grads].map(([name, want]) => ({
        name,
        err: relativeL2(gpu.grads.get(name) as Float32Array, want),
      }));
      const worst = errors.sort((a, b) => b.err - a.err).slice(0, 3);
      expect(worst[0]?.err, JSON.stringify(worst)).toBeLessThanOrEqual(1e-3);
    });
  }, 600_000);
});
