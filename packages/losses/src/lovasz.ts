import '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import type { ClassReduction } from './dice.js';
import {
  checkClassWeights,
  checkIgnoreIndex,
  checkLogitsAndLabels,
  checkReduction,
  classWeightTensor,
  lovaszGrad,
  oneHotTargets,
  safeDiv,
  validMask,
} from './functional.js';
import type { ClassWeightsInput } from './types.js';
import { withDefaults } from './defaults.js';

export interface LovaszSoftmaxLossOptions {
  /** Label value that contributes nothing (default 255). */
  ignoreIndex?: number;
  /** Per-class weights `w_c` (length C), or null for all ones. */
  classWeights?: ClassWeightsInput | null;
  /**
   * `mean` (default): Σ w_c·L_c / Σ w_c over the counted classes (then averaged over images
   * when `perImage`); `sum`: Σ w_c·L_c; `none`: `[C]` (or `[N,C]` when `perImage`).
   */
  reduction?: ClassReduction;
  /** `'present'` (default): only classes present in the labels count; `'all'`: every class. */
  classes?: 'present' | 'all';
  /** Compute the loss per image and average (Berman's `per_image=True`); default false. */
  perImage?: boolean;
}

export interface ResolvedLovaszSoftmaxLossOptions {
  ignoreIndex: number;
  classWeights: ClassWeightsInput | null;
  reduction: ClassReduction;
  classes: 'present' | 'all';
  perImage: boolean;
}

export const DEFAULT_LOVASZ_SOFTMAX_LOSS_OPTIONS: Readonly<ResolvedLovaszSoftmaxLossOptions> =
  Object.freeze({
    ignoreIndex: 255,
    classWeights: null,
    reduction: 'mean',
    classes: 'present',
    perImage: false,
  });

const WHERE = 'lovaszSoftmaxLoss';

export function resolveLovaszSoftmaxLossOptions(
  options: LovaszSoftmaxLossOptions = {},
): ResolvedLovaszSoftmaxLossOptions {
  const o = withDefaults(DEFAULT_LOVASZ_SOFTMAX_LOSS_OPTIONS, options);
  if (o.classes !== 'present' && o.classes !== 'all') {
    throw new Error(
      `${WHERE}: classes ${JSON.stringify(o.classes)} is not one of 'present', 'all'`,
    );
  }
  if (typeof o.perImage !== 'boolean') {
    throw new Error(`${WHERE}: perImage must be a boolean, got ${String(o.perImage)}`);
  }
  return {
    ignoreIndex: checkIgnoreIndex(o.ignoreIndex, WHERE),
    classWeights: checkClassWeights(o.classWeights, WHERE),
    reduction: checkReduction(o.reduction, ['mean', 'sum', 'none'] as const, WHERE),
    classes: o.classes,
    perImage: o.perImage,
  };
}

/**
 * Lovász hinge of each row: rows of `errors` `[K,P]` (|fg - p| per pixel), `fg` 0/1 and
 * `valid` 0/1 (ignored pixels last in the order). The sort is not differentiated: the
 * gradient wrt the errors is the Lovász gradient vector put back in pixel order, exactly as
 * autograd sees PyTorch's `dot(errors_sorted, lovasz_grad(fg_sorted))`. A custom gradient
 * also keeps the backward pass free of Gather/TopK gradients (none on wasm).
 */
function lovaszRows(errors: tf.Tensor2D, fg: tf.Tensor2D, valid: tf.Tensor2D): tf.Tensor1D {
  const f = tf.customGrad(((e: tf.Tensor, save: tf.GradSaveFunc) => {
    const key = tf.sub(e, tf.mul(tf.sub(1, valid), 2)); // errors are in [0,1]; ignored -> -2
    const [k, p] = e.shape as [number, number];
    // Flat indices of each row's descending order (flat 1-D gather/scatter: wasm 4.22's
    // gather with batchDims returns wrong rows).
    const rowStart = tf.expandDims(tf.mul(tf.range(0, k, 1, 'int32'), tf.scalar(p, 'int32')), 1);
    const order = tf.reshape(tf.add(tf.topk(key, p, true).indices, rowStart), [-1]);
    const fgSorted = tf.reshape(tf.gather(tf.reshape(fg, [-1]), order), [k, p]) as tf.Tensor2D;
    // Counted pixels sort first, so the sorted validity mask is "position < count".
    const positions = tf.range(0, p, 1, 'float32');
    const validSorted = tf.cast(
      tf.less(tf.expandDims(positions, 0), tf.sum(valid, 1, true)),
      'float32',
    ) as tf.Tensor2D;
    const grad = lovaszGrad(fgSorted, validSorted);
    // Scatter the gradient back to pixel order.
    const gradInPixelOrder = tf.reshape(
      tf.scatterND(tf.expandDims(order, 1), tf.reshape(grad, [-1]), [k * p]),
      [k, p],
    );
    save([gradInPixelOrder]);
    return {
      value: tf.sum(tf.mul(e, gradInPixelOrder), 1),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(tf.expandDims(dy, 1), saved[0]!),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(errors) as tf.Tensor1D;
}

/**
 * Lovász-softmax loss (Berman et al. 2018, `lovasz_softmax` with `classes='present'`,
 * `per_image=False` by default): a convex surrogate of 1 - IoU per class on softmax
 * probabilities, ignored pixels dropped. The caller owns the result.
 */
export function lovaszSoftmaxLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options?: LovaszSoftmaxLossOptions & { reduction?: Exclude<ClassReduction, 'none'> },
): tf.Scalar;
export function lovaszSoftmaxLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options: LovaszSoftmaxLossOptions & { reduction: 'none' },
): tf.Tensor;
export function lovaszSoftmaxLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options?: LovaszSoftmaxLossOptions,
): tf.Tensor;
export function lovaszSoftmaxLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options: LovaszSoftmaxLossOptions = {},
): tf.Tensor {
  const o = resolveLovaszSoftmaxLossOptions(options);
  const numClasses = checkLogitsAndLabels(logits, labels, WHERE);
  const [n, h, w] = logits.shape;
  return tf.tidy(() => {
    const weights = classWeightTensor(o.classWeights, numClasses, WHERE) ?? tf.ones([numClasses]);
    const valid = tf.expandDims(validMask(labels, o.ignoreIndex, numClasses), -1);
    const fg = oneHotTargets(labels, o.ignoreIndex, numClasses);
    const errors = tf.mul(tf.abs(tf.sub(fg, tf.softmax(logits, -1))), valid);
    // Rows = (image, class) pairs when perImage, else classes over the whole batch.
    const images = o.perImage ? n : 1;
    const toRows = (t: tf.Tensor) =>
      tf.reshape(tf.transpose(tf.reshape(t, [images, -1, t.shape[3]!]), [0, 2, 1]), [
        images * t.shape[3]!,
        -1,
      ]) as tf.Tensor2D;
    const validFull = tf.tile(valid, [1, 1, 1, numClasses]);
    const perRow = lovaszRows(toRows(errors), toRows(fg), toRows(validFull));
    const perImageClass = tf.reshape(perRow, [images, numClasses]);
    const counted =
      o.classes === 'all'
        ? tf.ones([images, numClasses])
        : tf.cast(
            tf.greater(tf.sum(tf.reshape(fg, [images, h * w * (n / images), numClasses]), 1), 0),
            'float32',
          );
    const rowWeights = tf.mul(counted, weights);
    const weighted = tf.mul(perImageClass, rowWeights);
    if (o.reduction === 'none') return o.perImage ? weighted : tf.reshape(weighted, [numClasses]);
    if (o.reduction === 'sum') return tf.sum(weighted);
    return tf.mean(safeDiv(tf.sum(weighted, 1), tf.sum(rowWeights, 1)));
  });
}
