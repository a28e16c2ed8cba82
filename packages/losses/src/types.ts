import type * as tf from '@tensorflow/tfjs-core';

/** Per-class weights: a plain array, a typed array or a rank-1 tensor of length C. */
export type ClassWeightsInput = readonly number[] | Float32Array | tf.Tensor1D;

/**
 * How a per-pixel loss map is reduced, named for what it computes:
 * - `mmseg`: mean over all N·H·W pixels, ignored ones counting as 0 (mmseg `CrossEntropyLoss`);
 * - `non-ignored`: sum over non-ignored pixels / their count (mmseg `avg_non_ignore=True`);
 * - `weight-sum`: sum / Σ w_y over non-ignored pixels (PyTorch `F.cross_entropy(weight=w)` mean);
 * - `sum`: plain sum; `none`: the per-pixel map `[N,H,W]`.
 */
export type PixelReduction = 'mmseg' | 'non-ignored' | 'weight-sum' | 'sum' | 'none';

/** A loss on one model output: logits `[N,H,W,C]`, labels `[N,H,W]` int32, returns a scalar. */
export type LossFn = (logits: tf.Tensor4D, labels: tf.Tensor3D) => tf.Scalar;
