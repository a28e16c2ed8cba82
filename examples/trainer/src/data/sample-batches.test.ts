import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { type Sample, SampleBatches, cropRescaled, keepRatioScale } from './sample-batches.js';

function sample(id: string, w: number, h: number, fill: (x: number, y: number) => number): Sample {
  const image = new Uint8Array(w * h * 3);
  const labels = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      labels[y * w + x] = fill(x, y);
      image.fill(fill(x, y) * 10, (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  }
  return { id, image, labels, width: w, height: h };
}

const base = {
  batchSize: 2,
  cropSize: [8, 8] as [number, number],
  resizeShort: 16,
  resizeLong: 64,
  ratioRange: [0.75, 1.5] as [number, number],
  catMaxRatio: 0.75,
  flipProb: 0.5,
  flipPairs: [[4, 5]] as const,
  mean: [0, 0, 0] as const,
  std: [1, 1, 1] as const,
  ignoreIndex: 255,
  seed: 3,
};

describe('sample batches', () => {
  it('keepRatioScale follows mmseg RandomResize keep_ratio', () => {
    expect(keepRatioScale({ width: 512, height: 512, short: 512, long: 2048 })).toBe(1);
    expect(keepRatioScale({ width: 1000, height: 500, short: 512, long: 800 })).toBe(0.8);
  });

  it('crop at scale 1 without flip is an exact copy; flip mirrors; outside is padded', () => {
    const s = sample('a', 4, 4, (x, y) => y * 4 + x);
    const same = cropRescaled({
      sample: s,
      scale: 1,
      y0: 0,
      x0: 0,
      cropSize: [4, 4],
      flip: false,
      ignoreIndex: 255,
    });
    expect([...same.labels]).toEqual([...s.labels]);
    expect(same.image[3 * 5]).toBe(50);
    const flipped = cropRescaled({
      sample: s,
      scale: 1,
      y0: 1,
      x0: 1,
      cropSize: [4, 4],
      flip: true,
      ignoreIndex: 255,
    });
    expect([...flipped.labels.subarray(0, 4)]).toEqual([255, 7, 6, 5]);
    expect([...flipped.labels.subarray(12)]).toEqual([255, 255, 255, 255]);
  });

  it('swaps left/right classes on flip and resumes the exact stream', async () => {
    const samples = [0, 1, 2].map((k) => sample(`s${k}`, 16, 16, (x) => (x < 8 ? 4 : k)));
    const a = new SampleBatches({ ...base, samples, flipProb: 1, catMaxRatio: 1 });
    const b1 = await a.next();
    const lab = await b1.labels.data();
    // left half was class 4; after the flip it is on the right and renamed 5
    expect(lab.includes(4)).toBe(false);
    expect(lab.includes(5)).toBe(true);
    tf.dispose([b1.images, b1.labels]);

    const x = new SampleBatches({ ...base, samples });
    for (let i = 0; i < 3; i++) tf.dispose(Object.values(await x.next()));
    const saved = JSON.parse(JSON.stringify(x.getState()));
    const want = await x.next();
    const y = new SampleBatches({ ...base, samples, seed: 3 });
    y.setState(saved);
    const got = await y.next();
    expect(await got.images.data()).toEqual(await want.images.data());
    expect(await got.labels.data()).toEqual(await want.labels.data());
    tf.dispose([want.images, want.labels, got.images, got.labels]);
    expect(() => y.setState({})).toThrow(/expected \{ epoch, cursor, rng \}/);
  });
});
