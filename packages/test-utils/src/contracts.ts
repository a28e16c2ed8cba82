import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoTensorLeak } from './leak.js';

// Contract suites run over every registry entry (timm `tests/test_models.py`, smp's
// `BaseModelTester`): the packages describe their variants with these plain shapes, so this
// private package depends on neither backbones nor heads.

/** What the suites need from a built model (a `tf.LayersModel`). */
export interface ContractModel {
  predict(x: tf.Tensor): tf.Tensor | tf.Tensor[];
}

export interface BackboneContractEntry {
  /** Registry name, shown in the test title. */
  name: string;
  /** Builds the backbone (cheap variants: a small width) as a model on `[H, W, 3]` inputs. */
  create(): {
    featureInfo: readonly { name: string; channels: number; reduction: number }[];
    model: ContractModel;
    dispose(): void;
  };
}

function outputs(y: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(y) ? y : [y];
}

/** Index of the first differing value, or -1 (a plain loop: state dicts hold millions). */
function firstDifference(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/**
 * Every backbone: its `featureInfo` (channels and reductions) describes what the model returns
 * on an `H x W` input, feature names are distinct, and a forward pass leaks no tensor.
 */
export function describeBackboneContract(options: {
  entries: readonly BackboneContractEntry[];
  /** `[H, W]` of the probe input (default `[32, 64]`: divisible by every reduction up to 32). */
  inputSize?: readonly [number, number];
}): void {
  const [H, W] = options.inputSize ?? [32, 64];
  describe('backbone contract', () => {
    it.each(options.entries.map((e) => [e.name, e] as const))(
      '%s: featureInfo matches the outputs; no tensor leak',
      async (_name, entry) => {
        const b = entry.create();
        try {
          const x = tf.randomNormal([1, H, W, 3], 0, 1, 'float32', 1);
          const ys = outputs(b.model.predict(x));
          expect(ys.map((y) => y.shape)).toEqual(
            b.featureInfo.map((f) => [
              1,
              Math.ceil(H / f.reduction),
              Math.ceil(W / f.reduction),
              f.channels,
            ]),
          );
          expect(new Set(b.featureInfo.map((f) => f.name)).size).toBe(b.featureInfo.length);
          tf.dispose(ys);
          await expectNoTensorLeak(() => b.model.predict(x), { label: entry.name });
          x.dispose();
        } finally {
          b.dispose();
        }
      },
    );
  });
}

/** A state dict entry as the packages export it (PyTorch layout, typed array data). */
export interface ContractTensorEntry {
  shape: number[];
  data: ArrayLike<number | bigint>;
}

export interface SegmentorContractEntry {
  name: string;
  /** Builds the segmentor with seeded initial weights (different seeds, different weights). */
  create(seed: number): {
    model: ContractModel;
    numClasses: number;
    /** Reduction of each output (decode first, then the auxiliary heads), from the spec. */
    outputReductions: readonly number[];
    exportWeights(): Map<string, ContractTensorEntry>;
    /** Loads a state dict strictly (throws on missing or unexpected keys). */
    loadWeights(weights: Map<string, ContractTensorEntry>): void;
    dispose(): void;
  };
}

/**
 * Every segmentor: outputs `[1, H/r, W/r, numClasses]` per head, a state dict exported from
 * one model loads into a differently seeded one and makes it predict the same logits (and
 * export the same dict), and a forward pass leaks no tensor.
 */
export function describeSegmentorContract(options: {
  entries: readonly SegmentorContractEntry[];
  inputSize?: readonly [number, number];
}): void {
  const [H, W] = options.inputSize ?? [32, 48];
  describe('segmentor contract', () => {
    it.each(options.entries.map((e) => [e.name, e] as const))(
      '%s: output shapes, state-dict round trip, no tensor leak',
      async (_name, entry) => {
        const a = entry.create(1);
        const b = entry.create(2);
        try {
          const x = tf.randomNormal([1, H, W, 3], 0, 1, 'float32', 2);
          const ya = outputs(a.model.predict(x));
          expect(ya.map((y) => y.shape)).toEqual(
            a.outputReductions.map((r) => [1, Math.ceil(H / r), Math.ceil(W / r), a.numClasses]),
          );
          const yb = outputs(b.model.predict(x));
          const differ = ya.some((y, i) =>
            tf.tidy(() => tf.any(tf.notEqual(y, yb[i]!)).dataSync()[0]),
          );
          expect(differ, 'two seeds give two models').toBe(true);
          const dict = a.exportWeights();
          b.loadWeights(dict);
          const yc = outputs(b.model.predict(x));
          for (let i = 0; i < ya.length; i++) {
            expect(firstDifference(yc[i]!.dataSync(), ya[i]!.dataSync()), `output ${i}`).toBe(-1);
          }
          const again = b.exportWeights();
          expect([...again.keys()]).toEqual([...dict.keys()]);
          for (const [k, e] of dict) {
            expect(again.get(k)!.shape, k).toEqual(e.shape);
            expect(firstDifference(again.get(k)!.data, e.data), k).toBe(-1);
          }
          tf.dispose([...ya, ...yb, ...yc]);
          await expectNoTensorLeak(() => a.model.predict(x), { label: entry.name });
          x.dispose();
        } finally {
          a.dispose();
          b.dispose();
        }
      },
    );
  });
}
