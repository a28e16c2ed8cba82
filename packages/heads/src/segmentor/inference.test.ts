import '@tensorflow/tfjs-backend-cpu';
import '@facepar/core';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  flipPermutation,
  inferSegmentation,
  type Predictor,
  slideInference,
  slideWindows,
  wholeInference,
} from './inference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

/** A fixed 1×1 conv from 3 channels to 10 classes plus a position term: not flip-equivariant. */
const W = tf.randomNormal([1, 1, 3, 10], 0, 1, 'float32', 5) as tf.Tensor4D;
const pointwise: Predictor = (x) => tf.tidy(() => tf.conv2d(x, W, 1, 'valid'));
const positional: Predictor = (x) =>
  tf.tidy(() => {
    const w = x.shape[2];
    const ramp = tf.reshape(tf.linspace(0, 2, w), [1, 1, w, 1]);
    // stride-2 logits, as a real head returns them (resized back by the inference)
    const y = tf.add(
      tf.conv2d(x, W, 1, 'valid'),
      tf.mul(ramp, tf.reshape(tf.range(0, 10), [1, 1, 1, 10])),
    );
    return tf.avgPool(y as tf.Tensor4D, 2, 2, 'same') as tf.Tensor4D;
  }) as tf.Tensor4D;

describe('slideWindows (mmseg slide_inference arithmetic)', () => {
  it('tiles with grids = max(H - crop + stride - 1, 0) // stride + 1 and shifts the last window back', () => {
    const w = slideWindows({ height: 11, width: 7, crop: [4, 4], stride: [3, 3] });
    // H: grids = (11-4+2)//3+1 = 4, y1 = 0,3,6,7; W: grids = (7-4+2)//3+1 = 2, x1 = 0,3
    expect(w.map((r) => [r.y1, r.y2])).toEqual([
      [0, 4],
      [0, 4],
      [3, 7],
      [3, 7],
      [6, 10],
      [6, 10],
      [7, 11],
      [7, 11],
    ]);
    expect(w.map((r) => [r.x1, r.x2])).toEqual(
      Array(4)
        .fill([
          [0, 4],
          [3, 7],
        ])
        .flat(),
    );
  });

  it('uses one clipped window when the image is smaller than the crop', () => {
    expect(slideWindows({ height: 3, width: 5, crop: [4, 8], stride: [2, 2] })).toEqual([
      { y1: 0, y2: 3, x1: 0, x2: 5 },
    ]);
  });

  it('covers every pixel for many sizes, windows never exceed the crop', () => {
    for (const [H, Wd, c, s] of [
      [512, 683, 512, 341],
      [100, 37, 24, 16],
      [33, 33, 33, 1],
    ]) {
      const cover = new Uint8Array(H! * Wd!);
      for (const r of slideWindows({ height: H!, width: Wd!, crop: [c!, c!], stride: [s!, s!] })) {
        expect(r.y2 - r.y1).toBe(Math.min(c!, H!));
        expect(r.x2 - r.x1).toBe(Math.min(c!, Wd!));
        for (let y = r.y1; y < r.y2; y++) for (let x = r.x1; x < r.x2; x++) cover[y * Wd! + x] = 1;
      }
      expect(cover.every((v) => v === 1)).toBe(true);
    }
  });

  it('refuses a stride larger than the crop (pixels no window covers), per axis', () => {
    // with stride 6 > crop 4 on a 14-pixel axis, pixels 4..5 and 10..11 would be in no window
    for (const stride of [
      [6, 2],
      [2, 5],
    ] as [number, number][]) {
      expect(() => slideWindows({ height: 14, width: 14, crop: [4, 4], stride })).toThrow(
        /stride \[\d, \d\] is larger than crop \[4, 4\], so some pixels would be in no window/,
      );
    }
    expect(slideWindows({ height: 14, width: 14, crop: [4, 4], stride: [4, 4] })).toHaveLength(16);
  });
});

describe('slideInference', () => {
  it('equals whole inference for a pointwise predictor (overlaps averaged)', async () => {
    const x = tf.randomNormal([2, 13, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const whole = wholeInference({ predict: pointwise, images: x });
    const slide = slideInference({ predict: pointwise, images: x, crop: [6, 4], stride: [4, 3] });
    expect(slide.shape).toEqual([2, 13, 9, 10]);
    expect(await maxAbsDiff(whole, slide)).toBeLessThan(1e-5);
    await expectNoTensorLeak(() =>
      slideInference({ predict: positional, images: x, crop: [6, 4], stride: [4, 3] }),
    );
    tf.dispose([x, whole, slide]);
  });
});

describe('flip test-time augmentation', () => {
  const pairs = [
    [4, 5],
    [6, 7],
    [8, 9],
  ] as const;

  it('builds the swap permutation and rejects bad pairs', () => {
    expect(flipPermutation({ numClasses: 10, flipPairs: pairs })).toEqual([
      0, 1, 2, 3, 5, 4, 7, 6, 9, 8,
    ]);
    expect(() => flipPermutation({ numClasses: 5, flipPairs: [[4, 5]] })).toThrow(
      /\[4,5\] must be two distinct class ids in \[0, 5\)/,
    );
    expect(() =>
      flipPermutation({
        numClasses: 9,
        flipPairs: [
          [1, 2],
          [2, 3],
        ],
      }),
    ).toThrow(/class 2 appears in two pairs/);
  });

  it('makes any predictor flip-equivariant with left/right classes swapped', async () => {
    const x = tf.randomNormal([1, 10, 12, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const perm = flipPermutation({ numClasses: 10, flipPairs: pairs });
    const opts = { predict: positional, flip: true, flipPairs: pairs };
    const a = inferSegmentation({ ...opts, images: x });
    const fx = tf.reverse(x, 2) as tf.Tensor4D;
    const b = inferSegmentation({ ...opts, images: fx });
    const swappedBack = tf.gather(tf.reverse(b, 2), perm, 3);
    expect(await maxAbsDiff(a, swappedBack)).toBeLessThan(1e-6);
    // without TTA the predictor is far from equivariant, so the check above has teeth
    const a0 = inferSegmentation({ predict: positional, images: x });
    const b0 = inferSegmentation({ predict: positional, images: fx });
    const back0 = tf.gather(tf.reverse(b0, 2), perm, 3);
    expect(await maxAbsDiff(a0, back0)).toBeGreaterThan(0.1);
    // probabilities sum to one
    const s = tf.sum(a, -1);
    expect(await maxAbsDiff(s, tf.onesLike(s))).toBeLessThan(1e-5);
    tf.dispose([x, fx, a, b, swappedBack, a0, b0, back0, s]);
  });

  it('leaves an already equivariant prediction unchanged and does not leak', async () => {
    const x = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    // pointwise predictor with no pairs: flip back = identity, so TTA = plain softmax
    const plain = inferSegmentation({ predict: pointwise, images: x });
    const tta = inferSegmentation({ predict: pointwise, images: x, flip: true });
    expect(await maxAbsDiff(plain, tta)).toBeLessThan(1e-6);
    await expectNoTensorLeak(() =>
      inferSegmentation({
        predict: positional,
        images: x,
        flip: true,
        flipPairs: pairs,
        mode: 'slide',
        crop: [4, 4],
        stride: [3, 3],
      }),
    );
    tf.dispose([x, plain, tta]);
  });

  it('validates the mode', () => {
    const x = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    expect(() =>
      inferSegmentation({ predict: pointwise, images: x, mode: 'tiles' as 'whole' }),
    ).toThrow(/mode must be one of whole, slide; got tiles/);
    expect(() => inferSegmentation({ predict: pointwise, images: x, mode: 'slide' })).toThrow(
      /needs crop and stride/,
    );
    x.dispose();
  });
});
