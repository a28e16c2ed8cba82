// Test helpers for this package only (excluded from the build by tsconfig).
import fs from 'node:fs';
import path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// Registers every tfjs-core gradient in Node plus facepar's fixes (half-pixel resize).
import '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

export const BACKENDS = ['cpu', 'wasm'] as const;

export async function useBackend(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`backend ${name} failed to initialise`);
}

interface CeCase {
  none: number[];
  sum: number;
  mmseg: number;
  'non-ignored': number;
  'weight-sum': number;
  validCount: number;
}

export interface Golden {
  numClasses: number;
  ignoreIndex: number;
  classWeights: number[];
  logitsShape: [number, number, number, number];
  logits: number[];
  labels: number[];
  ce: { weighted: CeCase; unweighted: CeCase; 'weightedSmoothing0.1': CeCase };
  ceGrad: { mmseg: number[]; 'weight-sum': number[] };
  resized: {
    logitsShape: [number, number, number, number];
    logits: number[];
    size: [number, number];
    mmseg: number;
    grad: number[];
  };
  dice: { mean: number; perClass: number[]; weightedMean: number; grad: number[] };
  lovasz: { mean: number; weightedMean: number; grad: number[] };
  focal: {
    gamma: number;
    none: number[];
    sum: number;
    mmseg: number;
    'non-ignored': number;
    gradMmseg: number[];
  };
}

let golden: Golden | null = null;

/** PyTorch reference values written by scripts/gen_golden.py. */
export function loadGolden(): Golden {
  golden ??= JSON.parse(
    fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'golden.json'), 'utf8'),
  ) as Golden;
  return golden;
}

/** The golden logits `[2,5,7,19]` and labels `[2,5,7]` as new tensors. */
export function goldenInputs(): { logits: tf.Tensor4D; labels: tf.Tensor3D } {
  const g = loadGolden();
  return {
    logits: tf.tensor4d(g.logits, g.logitsShape),
    labels: tf.tensor3d(g.labels, g.logitsShape.slice(0, 3) as [number, number, number], 'int32'),
  };
}

/** |a - b| <= rtol·|b| for a scalar. */
export function expectRelClose(actual: number, expected: number, rtol = 1e-5): void {
  const err = Math.abs(actual - expected);
  if (!(err <= rtol * Math.abs(expected))) {
    expect.fail(`${actual} vs ${expected}: relative error ${err / Math.abs(expected)} > ${rtol}`);
  }
}

/** Every |a_i - b_i| <= rtol·max|b| (the scale of the whole array). */
export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = 1e-5,
): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  if (!(worst <= rtol * scale)) {
    expect.fail(
      `max error ${worst} at ${at} (${actual[at]} vs ${expected[at]}) > ${rtol} × scale ${scale}`,
    );
  }
}

/**
 * Numerical check of an analytic gradient: for a few random directions v, compares
 * <∇f(x), v> with the central difference (f(x+hv) - f(x-hv)) / 2h.
 */
export function expectGradientMatchesNumeric(
  f: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  options: { directions?: number; h?: number; rtol?: number; seed?: number } = {},
): void {
  const { directions = 3, h = 1e-2, rtol = 2e-3, seed = 1 } = options;
  const grad = tf.tidy(() => tf.grad(f)(x));
  try {
    for (let d = 0; d < directions; d++) {
      const [analytic, numeric] = tf.tidy(() => {
        const v = tf.randomNormal(x.shape, 0, 1, 'float32', seed + d);
        const a = tf.sum(tf.mul(grad, v)).dataSync()[0]!;
        const fp = f(tf.add(x, tf.mul(v, h))).dataSync()[0]!;
        const fm = f(tf.sub(x, tf.mul(v, h))).dataSync()[0]!;
        return [a, (fp - fm) / (2 * h)];
      });
      const err = Math.abs(analytic - numeric);
      if (!(err <= rtol * Math.max(Math.abs(numeric), 1e-2))) {
        expect.fail(`direction ${d}: analytic ${analytic} vs numeric ${numeric}`);
      }
    }
  } finally {
    grad.dispose();
  }
}
