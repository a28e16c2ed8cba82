/**
 * Pure tensor maths shared by several losses. Every function here returns tensors the caller
 * owns and is meant to run inside the caller's `tf.tidy`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ClassWeightsInput, PixelReduction } from './types.js';

export const PIXEL_REDUCTIONS: readonly PixelReduction[] = [
  'mmseg',
  'non-ignored',
  'weight-sum',
  'sum',
  'none',
];

/** Throws unless `reduction` is one of `allowed`, naming both. */
export function checkReduction<R extends string>(
  reduction: unknown,
  allowed: readonly R[],
  where: string,
): R {
  if (typeof reduction !== 'string' || !(allowed as readonly string[]).includes(reduction)) {
    throw new Error(
      `${where}: reduction ${JSON.stringify(reduction)} is not one of ${allowed.map((r) => `'${r}'`).join(', ')}`,
    );
  }
  return reduction as R;
}

/** Throws unless `ignoreIndex` is an integer. */
export function checkIgnoreIndex(ignoreIndex: unknown, where: string): number {
  if (typeof ignoreIndex !== 'number' || !Number.isInteger(ignoreIndex)) {
    throw new Error(`${where}: ignoreIndex must be an integer, got ${String(ignoreIndex)}`);
  }
  return ignoreIndex;
}

/** Validates class weights (finite, >= 0) and copies arrays so later mutation cannot leak in. */
export function checkClassWeights(
  classWeights: ClassWeightsInput | null | undefined,
  where: string,
): ClassWeightsInput | null {
  if (classWeights == null) return null;
  if (classWeights instanceof tf.Tensor) {
    if (classWeights.rank !== 1) {
      throw new Error(
        `${where}: classWeights tensor must be rank 1, got shape [${classWeights.shape}]`,
      );
    }
    return classWeights;
  }
  const copy = Array.from(classWeights);
  const bad = copy.findIndex((w) => !Number.isFinite(w) || w < 0);
  if (bad >= 0) {
    throw new Error(`${where}: classWeights[${bad}] = ${copy[bad]} is not a finite number >= 0`);
  }
  return copy;
}

/** Checks logits `[N,H,W,C]` against labels `[N,H,W]`; returns C. */
export function checkLogitsAndLabels(
  logits: tf.Tensor,
  labels: tf.Tensor,
  where: string,
  options: { allowResize?: boolean } = {},
): number {
  if (logits.rank !== 4) {
    throw new Error(`${where}: logits must be NHWC [N,H,W,C], got shape [${logits.shape}]`);
  }
  if (labels.rank !== 3) {
    throw new Error(`${where}: labels must be [N,H,W], got shape [${labels.shape}]`);
  }
  const [n, h, w] = logits.shape;
  const [ln, lh, lw] = labels.shape;
  if (n !== ln || (!options.allowResize && (h !== lh || w !== lw))) {
    throw new Error(
      `${where}: logits [${logits.shape}] do not match labels [${labels.shape}]` +
        (options.allowResize ? '' : " (set resizeLogitsTo: 'labels' to resize the logits)"),
    );
  }
  return logits.shape[3]!;
}

/** Class weights as a float32 `[C]` tensor (a new tensor the caller owns), or null. */
export function classWeightTensor(
  classWeights: ClassWeightsInput | null,
  numClasses: number,
  where: string,
): tf.Tensor1D | null {
  if (classWeights == null) return null;
  const length = classWeights instanceof tf.Tensor ? classWeights.shape[0] : classWeights.length;
  if (length !== numClasses) {
    throw new Error(
      `${where}: classWeights has ${length} entries, logits have ${numClasses} classes`,
    );
  }
  if (classWeights instanceof tf.Tensor) return tf.cast(classWeights, 'float32') as tf.Tensor1D;
  return tf.tensor1d(Array.from(classWeights), 'float32');
}

/**
 * 1 where a label counts (not `ignoreIndex` and inside `[0, C)`), else 0; float32 `[N,H,W]`.
 * Labels outside `[0, C)` are treated like ignored pixels (PyTorch would throw).
 */
export function validMask(labels: tf.Tensor, ignoreIndex: number, numClasses: number): tf.Tensor {
  const y = tf.cast(labels, 'int32');
  const inRange = tf.logicalAnd(tf.greaterEqual(y, 0), tf.less(y, numClasses));
  return tf.cast(tf.logicalAnd(inRange, tf.notEqual(y, ignoreIndex)), 'float32');
}

/** One-hot targets `[N,H,W,C]` (float32), all-zero rows on ignored pixels. */
export function oneHotTargets(
  labels: tf.Tensor,
  ignoreIndex: number,
  numClasses: number,
): tf.Tensor {
  const y = tf.cast(labels, 'int32');
  const valid = tf.cast(validMask(y, ignoreIndex, numClasses), 'int32');
  // -1 where a pixel does not count: tf.oneHot gives an all-zero row for it. Built without
  // broadcasting over C (broadcast binary ops are slow on the cpu backend).
  const one = tf.scalar(1, 'int32');
  return tf.oneHot(tf.sub(tf.mul(y, valid), tf.sub(one, valid)), numClasses);
}

/**
 * `Σ_c t[..., c] · w[c]` as one matMul (`[...]`); differentiable wrt `t`. Cheaper than a
 * broadcast multiply followed by a sum.
 */
export function classWeightedSum(t: tf.Tensor, weights: tf.Tensor1D): tf.Tensor {
  const c = weights.shape[0]!;
  const flat = tf.matMul(tf.reshape(t, [-1, c]), tf.reshape(weights, [c, 1]));
  return tf.reshape(flat, t.shape.slice(0, -1));
}

/** Weight of each pixel's target class, `w_y`, `[N,H,W]`; 0 on ignored pixels. */
export function targetWeights(oneHot: tf.Tensor, weights: tf.Tensor1D | null): tf.Tensor {
  if (weights == null) return tf.sum(oneHot, -1);
  return classWeightedSum(oneHot, weights);
}

/**
 * Reduces a per-pixel loss map `[N,H,W]` (already 0 on ignored pixels). Divisions by a zero
 * count (everything ignored) give 0, not NaN.
 */
export function reducePixelLoss(
  perPixel: tf.Tensor,
  reduction: PixelReduction,
  valid: tf.Tensor,
  targetWeight: tf.Tensor,
): tf.Tensor {
  switch (reduction) {
    case 'none':
      return perPixel;
    case 'sum':
      return tf.sum(perPixel);
    case 'mmseg':
      return tf.mean(perPixel);
    case 'non-ignored':
      return safeDiv(tf.sum(perPixel), tf.sum(valid));
    case 'weight-sum':
      return safeDiv(tf.sum(perPixel), tf.sum(targetWeight));
  }
}

/**
 * `num / den`, with a zero `den` replaced by 1 (then `num` is 0 too: nothing counted).
 * `den` must not depend on the variables being differentiated; unlike `tf.divNoNan`
 * (whose Equal/Select have no gradients) this differentiates wrt `num`.
 */
export function safeDiv(num: tf.Tensor, den: tf.Tensor): tf.Tensor {
  return tf.div(num, tf.add(den, tf.cast(tf.equal(den, 0), den.dtype)));
}

/**
 * Gradient of the Lovász extension of the Jaccard loss wrt sorted errors (Berman et al. 2018,
 * Alg. 1), batched over rows: `gtSorted` `[K,P]` holds 0/1 ground truth in descending-error
 * order; `validSorted` `[K,P]` is 1 for counted pixels (ignored ones sort last and are 0).
 */
export function lovaszGrad(gtSorted: tf.Tensor2D, validSorted: tf.Tensor2D): tf.Tensor2D {
  const gts = tf.sum(gtSorted, 1, true);
  const intersection = tf.sub(gts, tf.cumsum(gtSorted, 1));
  const union = tf.add(gts, tf.cumsum(tf.mul(tf.sub(1, gtSorted), validSorted), 1));
  const jaccard = tf.sub(1, safeDiv(intersection, union));
  const [k, p] = gtSorted.shape;
  const shifted = tf.concat([tf.zeros([k, 1]), tf.slice(jaccard, [0, 0], [k, p - 1])], 1);
  return tf.mul(tf.sub(jaccard, shifted), validSorted) as tf.Tensor2D;
}
