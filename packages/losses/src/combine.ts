import * as tf from '@tensorflow/tfjs-core';
import type { LossFn } from './types.js';

export interface LossTerm {
  /** A loss on one model output, e.g. `(x, y) => weightedCrossEntropy(x, y, { classWeights })`. */
  loss: LossFn;
  /** Multiplier (default 1), e.g. 0.4 for an mmseg auxiliary head. */
  weight?: number;
  /** Which model output the term reads when the combined loss gets an array (default 0). */
  input?: number;
}

/** `(logits | logits[], labels) => Σ weight·loss`; the caller owns the returned scalar. */
export type CombinedLoss = (
  logits: tf.Tensor4D | readonly tf.Tensor4D[],
  labels: tf.Tensor3D,
) => tf.Scalar;

/**
 * Weighted sum of losses, one line in a trainer:
 * `combineLosses([{ loss: ce }, { loss: ce, weight: 0.4, input: 1 }])([decode, aux], labels)`
 * (mmseg's decode + 0.4·auxiliary), or CE + Dice on one output.
 */
export function combineLosses(terms: readonly LossTerm[]): CombinedLoss {
  if (!Array.isArray(terms) || terms.length === 0) {
    throw new Error('combineLosses: terms must be a non-empty array of { loss, weight?, input? }');
  }
  const resolved = terms.map((t, i) => {
    if (typeof t?.loss !== 'function') {
      throw new Error(`combineLosses: terms[${i}].loss must be a function, got ${typeof t?.loss}`);
    }
    const weight = t.weight ?? 1;
    if (!Number.isFinite(weight)) {
      throw new Error(`combineLosses: terms[${i}].weight must be a finite number, got ${t.weight}`);
    }
    const input = t.input ?? 0;
    if (!Number.isInteger(input) || input < 0) {
      throw new Error(`combineLosses: terms[${i}].input must be an integer >= 0, got ${t.input}`);
    }
    return { loss: t.loss, weight, input };
  });
  return (logits, labels) => {
    const outputs: readonly tf.Tensor4D[] = Array.isArray(logits)
      ? logits
      : [logits as tf.Tensor4D];
    for (const [i, t] of resolved.entries()) {
      if (t.input >= outputs.length) {
        throw new Error(
          `combineLosses: terms[${i}].input is ${t.input} but ${outputs.length} output(s) were given`,
        );
      }
    }
    return tf.tidy(() =>
      tf.addN(resolved.map((t) => tf.mul(t.loss(outputs[t.input]!, labels), t.weight))),
    ) as tf.Scalar;
  };
}
