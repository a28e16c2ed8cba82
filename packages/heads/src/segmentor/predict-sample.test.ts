import '@tensorflow/tfjs-backend-cpu';
import '@facepar/core';
import { normalizeImage, rescaleSize, resizeImageBilinear } from '@facepar/image';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferSegmentation, modelPredictor } from './inference.js';
import { predictSample } from './predict-sample.js';
import { createSegmentor, type Segmentor } from './segmentor.js';

const PAIRS = [
  [4, 5],
  [6, 7],
  [8, 9],
] as const;
let seg: Segmentor;

function photo(width: number, height: number, seed: number) {
  let s = seed;
  const image = Uint8Array.from({ length: width * height * 3 }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 24;
  });
  return { image, width, height };
}

/** The photo mirrored left-right. */
function mirror(p: { image: Uint8Array; width: number; height: number }) {
  const out = new Uint8Array(p.image.length);
  for (let y = 0; y < p.height; y++)
    for (let x = 0; x < p.width; x++)
      for (let c = 0; c < 3; c++)
        out[(y * p.width + (p.width - 1 - x)) * 3 + c] = p.image[(y * p.width + x) * 3 + c]!;
  return { ...p, image: out };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  seg = createSegmentor({ model: 'deeplabv3plus_r18-d16-thin', withAuxiliary: false, seed: 3 });
});
afterAll(() => seg.dispose());

describe('predictSample', () => {
  it('at the photo size equals argmax of inferSegmentation on the normalised photo', async () => {
    const p = photo(36, 40, 1);
    const got = await predictSample({ segmentor: seg, image: p });
    const x = tf.tensor4d(
      normalizeImage({ image: p.image, mean: seg.spec.mean, std: seg.spec.std }),
      [1, 40, 36, 3],
    );
    const want = tf.tidy(() =>
      tf.argMax(inferSegmentation({ predict: modelPredictor(seg.model), images: x }), -1),
    );
    expect(Array.from(got)).toEqual(Array.from(want.dataSync()));
    expect(new Set(got).size).toBeGreaterThan(1); // not a constant map
    tf.dispose([x, want]);
  });

  it("follows mmseg's test order: resize bytes to the scale, infer, resize probabilities back", async () => {
    const p = photo(50, 34, 2);
    const scale: [number, number] = [64, 24];
    const got = await predictSample({ segmentor: seg, image: p, test: { mode: 'whole', scale } });
    expect(got.length).toBe(50 * 34);
    const size = rescaleSize({ width: 50, height: 34, scale });
    expect(size).toEqual({ width: 35, height: 24 });
    const small = resizeImageBilinear({
      image: p.image,
      width: 50,
      height: 34,
      outWidth: 35,
      outHeight: 24,
    });
    const x = tf.tensor4d(
      normalizeImage({ image: small, mean: seg.spec.mean, std: seg.spec.std }),
      [1, 24, 35, 3],
    );
    const want = tf.tidy(() => {
      const probs = inferSegmentation({ predict: modelPredictor(seg.model), images: x });
      return tf.argMax(tf.image.resizeBilinear(probs, [34, 50], false, true), -1);
    });
    expect(Array.from(got)).toEqual(Array.from(want.dataSync()));
    // without the test resize (the old `facepar predict`) the mask differs
    const asGiven = await predictSample({ segmentor: seg, image: p, test: { mode: 'whole' } });
    expect(Array.from(asGiven)).not.toEqual(Array.from(got));
    tf.dispose([x, want]);
  });

  it('flip TTA is mirror-symmetric: a mirrored photo gives the mirrored, L/R-swapped mask', async () => {
    const p = photo(32, 32, 7);
    const a = await predictSample({ segmentor: seg, image: p, flip: true, flipPairs: PAIRS });
    const b = await predictSample({
      segmentor: seg,
      image: mirror(p),
      flip: true,
      flipPairs: PAIRS,
    });
    const swap = Array.from({ length: 19 }, (_, i) => i);
    for (const [l, r] of PAIRS) [swap[l], swap[r]] = [r, l];
    const mirrored = new Uint8Array(a.length);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) mirrored[y * 32 + (31 - x)] = swap[a[y * 32 + x]!]!;
    expect(Array.from(b)).toEqual(Array.from(mirrored));
    // without flip the model itself is not symmetric
    const plain = await predictSample({ segmentor: seg, image: p });
    expect(Array.from(plain)).not.toEqual(Array.from(a));
  });

  it('slides windows when the test mode says so, and leaks no tensor', async () => {
    const p = photo(48, 40, 4);
    const slide = (crop: number, stride: number) =>
      predictSample({
        segmentor: seg,
        image: p,
        test: { mode: 'slide', crop: [crop, crop], stride: [stride, stride] },
      });
    const whole = Array.from(await predictSample({ segmentor: seg, image: p }));
    // one window covering the photo is whole-image inference; overlapping windows are not
    expect(Array.from(await slide(64, 64))).toEqual(whole);
    expect(Array.from(await slide(32, 16))).not.toEqual(whole);
    await expectNoTensorLeak(() => predictSample({ segmentor: seg, image: p, flip: true }));
    await expect(
      predictSample({ segmentor: seg, image: { image: new Uint8Array(5), width: 2, height: 2 } }),
    ).rejects.toThrow(/5 bytes is not 2x2x3 RGB/);
  });
});
