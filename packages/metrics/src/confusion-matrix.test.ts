import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expectNoTensorLeak } from '@facepar/test-utils';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeMetrics } from './compute-metrics.js';
import {
  ConfusionMatrix,
  createConfusionMatrix,
  resolveConfusionMatrixOptions,
} from './confusion-matrix.js';
import type { LabelArray } from './functional.js';

interface GoldenCase {
  name: string;
  numClasses: number;
  ignoreIndex: number;
  dtype: 'uint8' | 'uint16' | 'int32';
  beta: number;
  images: { pred: number[]; gt: number[] }[];
  areas: Record<'intersect' | 'union' | 'predArea' | 'labelArea', number[]>;
  perClass: Record<'iou' | 'acc' | 'dice' | 'precision' | 'fscore', (number | null)[]>;
  summary: Record<'aAcc' | 'mIoU' | 'mAcc' | 'mDice' | 'mPrecision' | 'mFscore', number | null>;
}

const golden = JSON.parse(
  fs.readFileSync(new URL('./fixtures/mmseg-golden.json', import.meta.url), 'utf8'),
) as {
  cases: GoldenCase[];
};

const ARRAYS = { uint8: Uint8Array, uint16: Uint16Array, int32: Int32Array } as const;

function expectClose(
  actual: ArrayLike<number> | number,
  expected: (number | null)[] | number | null,
): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = Array.isArray(expected) ? expected : [expected];
  expect(a.length).toBe(e.length);
  a.forEach((v, i) => {
    const want = e[i];
    if (want === null) expect(v, `index ${i}`).toBeNaN();
    else expect(v, `index ${i}`).toBeCloseTo(want, 12);
  });
}

describe('ConfusionMatrix against mmseg IoUMetric (golden, torch.histc)', () => {
  for (const c of golden.cases) {
    it(c.name, () => {
      const cm = createConfusionMatrix({ numClasses: c.numClasses, ignoreIndex: c.ignoreIndex });
      const Arr = ARRAYS[c.dtype];
      for (const img of c.images) cm.update({ pred: Arr.from(img.pred), gt: Arr.from(img.gt) });
      const a = cm.areas();
      expect(Array.from(a.intersect)).toEqual(c.areas.intersect);
      expect(Array.from(a.union)).toEqual(c.areas.union);
      expect(Array.from(a.predArea)).toEqual(c.areas.predArea);
      expect(Array.from(a.labelArea)).toEqual(c.areas.labelArea);
      const m = computeMetrics(cm, { beta: c.beta });
      for (const k of ['iou', 'acc', 'dice', 'precision', 'fscore'] as const)
        expectClose(m.perClass[k], c.perClass[k]);
      for (const k of ['aAcc', 'mIoU', 'mAcc', 'mDice', 'mPrecision', 'mFscore'] as const)
        expectClose(m[k], c.summary[k]);
    });
  }

  it('the same golden data through Int32Array gives the same matrix as the Uint8 fast path', () => {
    const c = golden.cases[0];
    const a = new ConfusionMatrix({ numClasses: 19 });
    const b = new ConfusionMatrix({ numClasses: 19 });
    for (const img of c.images) {
      a.update({ pred: Uint8Array.from(img.pred), gt: Uint8Array.from(img.gt) });
      b.update({ pred: Int32Array.from(img.pred), gt: Int32Array.from(img.gt) });
    }
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(a.dropped().ignored).toBeGreaterThan(0);
    expect(a.dropped().predOutOfRange).toBeGreaterThan(0);
  });
});

describe('ConfusionMatrix hand-computed cases', () => {
  // gt:   0 0 1 1 1 2 2 0 255 255 ; pred: 0 1 1 1 3 0 0 3 4 2  (5 classes)
  // class 2: in GT only; class 3: in prediction only; class 4: nowhere (predicted only on an ignored pixel)
  const gt = Uint8Array.from([0, 0, 1, 1, 1, 2, 2, 0, 255, 255]);
  const pred = Uint8Array.from([0, 1, 1, 1, 3, 0, 0, 3, 4, 2]);

  it('counts cells, areas and ignored pixels', () => {
    const cm = new ConfusionMatrix({ numClasses: 5 }).update({ pred, gt });
    expect(cm.get(0, 0)).toBe(1);
    expect(cm.get(0, 1)).toBe(1);
    expect(cm.get(0, 3)).toBe(1);
    expect(cm.get(1, 1)).toBe(2);
    expect(cm.get(1, 3)).toBe(1);
    expect(cm.get(2, 0)).toBe(2);
    expect(cm.totalPixels).toBe(10);
    expect(cm.dropped()).toEqual({
      ignored: 2,
      predOutOfRange: 0,
      gtOutOfRange: 0,
      bothOutOfRange: 0,
    });
    const m = computeMetrics(cm);
    // IoU: c0 1/5, c1 2/4, c2 0/2, c3 0/2, c4 NaN (zero union)
    expect(Array.from(m.perClass.iou.slice(0, 4))).toEqual([0.2, 0.5, 0, 0]);
    expect(m.perClass.iou[4]).toBeNaN();
    expect(m.mIoU).toBeCloseTo((0.2 + 0.5) / 4, 15);
    // Acc (recall): c3 has no GT -> NaN, c2 0/2
    expect(m.perClass.acc[3]).toBeNaN();
    expect(m.perClass.acc[2]).toBe(0);
    // precision: c2 never predicted -> NaN; c3 0/2
    expect(m.perClass.precision[2]).toBeNaN();
    expect(m.perClass.precision[3]).toBe(0);
    expect(m.aAcc).toBe(3 / 8);
  });

  it('out-of-range labels are dropped like histc and counted', () => {
    // (gt, pred): (0,7) pred OOR, (9,1) gt OOR, (9,9) both, (1,1)
    const cm = new ConfusionMatrix({ numClasses: 3 }).update({
      gt: Uint8Array.from([0, 9, 9, 1]),
      pred: Uint8Array.from([7, 1, 9, 1]),
    });
    expect(cm.dropped()).toEqual({
      ignored: 0,
      predOutOfRange: 1,
      gtOutOfRange: 1,
      bothOutOfRange: 1,
    });
    const a = cm.areas();
    expect(Array.from(a.labelArea)).toEqual([1, 1, 0]); // gt 0 still counts although its pred is OOR
    expect(Array.from(a.predArea)).toEqual([0, 2, 0]); // pred 1 on the gt-OOR pixel counts
    expect(Array.from(a.intersect)).toEqual([0, 1, 0]);
  });

  it('strict mode throws naming the value and changes nothing', () => {
    const cm = new ConfusionMatrix({ numClasses: 3, strict: true });
    expect(() =>
      cm.update({ gt: Uint8Array.from([0, 1, 2]), pred: Uint8Array.from([0, 5, 2]) }),
    ).toThrow(/pred label 5 at pixel 1 is outside 0\.\.2/);
    expect(cm.totalPixels).toBe(0);
    // an out-of-range prediction on an ignored pixel is not an error (mmseg masks it first)
    cm.update({ gt: Uint8Array.from([255]), pred: Uint8Array.from([77]) });
    expect(cm.dropped().ignored).toBe(1);
  });

  it('empty input gives zero counts and NaN metrics', () => {
    const cm = new ConfusionMatrix({ numClasses: 2 }).update({
      pred: new Uint8Array(0),
      gt: new Uint8Array(0),
    });
    expect(cm.totalPixels).toBe(0);
    const m = computeMetrics(cm);
    expect(m.mIoU).toBeNaN();
    expect(m.aAcc).toBeNaN();
  });

  it('rejects mismatched lengths and wrong types with clear errors', () => {
    const cm = new ConfusionMatrix({ numClasses: 2 });
    expect(() => cm.update({ pred: new Uint8Array(3), gt: new Uint8Array(4) })).toThrow(
      'pred and gt differ in length: pred has 3 pixels, gt has 4',
    );
    expect(() =>
      cm.update({ pred: new Float32Array(3) as unknown as Uint8Array, gt: new Uint8Array(3) }),
    ).toThrow(/got Float32Array and Uint8Array/);
  });

  it('validates options naming the bad value', () => {
    expect(() => resolveConfusionMatrixOptions({ numClasses: 0 })).toThrow(
      'numClasses must be an integer in 1..65535, got 0',
    );
    expect(() => resolveConfusionMatrixOptions({ numClasses: 3, ignoreIndex: 1.5 })).toThrow(
      'ignoreIndex must be an integer or null, got 1.5',
    );
    expect(resolveConfusionMatrixOptions({ numClasses: 3 })).toEqual({
      numClasses: 3,
      ignoreIndex: 255,
      strict: false,
    });
  });

  it('ignoreIndex null counts 255 as out of range instead of ignoring it', () => {
    const cm = new ConfusionMatrix({ numClasses: 2, ignoreIndex: null });
    cm.update({ gt: Uint8Array.from([255, 0]), pred: Uint8Array.from([0, 0]) });
    expect(cm.dropped()).toEqual({
      ignored: 0,
      predOutOfRange: 0,
      gtOutOfRange: 1,
      bothOutOfRange: 0,
    });
  });

  it('fast path handles unaligned views, heads and tails identically to the generic path', () => {
    const buf = new Uint8Array(203);
    const buf2 = new Uint8Array(203);
    for (let i = 0; i < 203; i++) {
      buf[i] = (i * 7) % 5 === 0 ? 255 : (i * 13) % 7; // 6 is out of range for 6 classes
      buf2[i] = Math.floor(i / 9) % 7; // runs of 9; 6 is out of range for 6 classes
    }
    for (const [o1, o2, len] of [
      [1, 1, 150],
      [3, 3, 200],
      [1, 2, 150],
      [0, 0, 7],
      [2, 2, 199],
    ]) {
      const pred = buf2.subarray(o1, o1 + len);
      const gt = buf.subarray(o2, o2 + len);
      const fast = new ConfusionMatrix({ numClasses: 6 }).update({ pred, gt });
      const slow = new ConfusionMatrix({ numClasses: 6 }).update({
        pred: Int32Array.from(pred),
        gt: Int32Array.from(gt),
      });
      expect(fast.toJSON(), `offsets ${o1},${o2} length ${len}`).toEqual(slow.toJSON());
      expect(fast.totalPixels).toBe(len);
    }
  });

  it('adaptive Uint8 loop: noisy and piecewise-constant stretches both match the generic path', () => {
    // 40 000 px: noise, then runs of 37 px, then noise again, so both loops and the switches
    // between them run; labels 0..20 with 255 so out-of-range and ignored pixels occur.
    const n = 40_000;
    const gt = new Uint8Array(n + 1);
    const pred = new Uint8Array(n + 1);
    let s = 12345;
    const rnd = () => {
      s = (s * 1103515245 + 12345) >>> 0;
      return s >>> 8;
    };
    for (let i = 0; i < n + 1; i++) {
      const runs = i > 10_000 && i < 30_000;
      const r = runs ? Math.floor(i / 37) * 7919 : rnd();
      gt[i] = r % 23 === 22 ? 255 : r % 21;
      pred[i] = runs ? (r >>> 3) % 21 : rnd() % 21;
    }
    for (const off of [0, 1]) {
      const p = pred.subarray(off, off + n);
      const g = gt.subarray(off, off + n);
      const fast = new ConfusionMatrix({ numClasses: 19 }).update({ pred: p, gt: g });
      const slow = new ConfusionMatrix({ numClasses: 19 }).update({
        pred: Int32Array.from(p),
        gt: Int32Array.from(g),
      });
      expect(fast.toJSON()).toEqual(slow.toJSON());
      expect(fast.totalPixels).toBe(n);
      expect(fast.dropped().ignored).toBeGreaterThan(100);
    }
  });

  it('toJSON / fromJSON round-trips and rejects malformed input', () => {
    const cm = new ConfusionMatrix({ numClasses: 5 }).update({ pred, gt });
    const json = JSON.parse(JSON.stringify(cm));
    const back = ConfusionMatrix.fromJSON(json);
    expect(back.toJSON()).toEqual(cm.toJSON());
    expect(json.matrix[2]).toEqual([2, 0, 0, 0, 0]);
    expect(() => ConfusionMatrix.fromJSON({ format: 'x' })).toThrow(/not a confusion matrix/);
    expect(() => ConfusionMatrix.fromJSON({ ...json, matrix: json.matrix.slice(1) })).toThrow(
      'matrix must have 5 rows, got 4',
    );
    const bad = structuredClone(json);
    bad.matrix[0][1] = -1;
    expect(() => ConfusionMatrix.fromJSON(bad)).toThrow(
      'matrix[0][1] must be a non-negative safe integer, got -1',
    );
  });

  it('merge refuses a different numClasses or ignoreIndex; reset zeroes', () => {
    const a = new ConfusionMatrix({ numClasses: 5 }).update({ pred, gt });
    expect(() => a.merge(new ConfusionMatrix({ numClasses: 4 }))).toThrow(
      /cannot merge a matrix with numClasses 4/,
    );
    expect(() => a.merge(new ConfusionMatrix({ numClasses: 5, ignoreIndex: 0 }))).toThrow(
      /ignoreIndex 0/,
    );
    a.reset();
    expect(a.totalPixels).toBe(0);
    expect(a.toJSON().ignored).toBe(0);
  });

  it('counts stay exact past 2^32 per cell (Float64 folding)', () => {
    const cm = new ConfusionMatrix({ numClasses: 2 });
    const big = ConfusionMatrix.fromJSON({
      ...cm.toJSON(),
      matrix: [
        [2 ** 52, 0],
        [0, 0],
      ],
    });
    big.update({ pred: new Uint8Array(3), gt: new Uint8Array(3) });
    expect(big.get(0, 0)).toBe(2 ** 52 + 3);
  });
});

// --- property tests -------------------------------------------------------------------
const C = 6;
const pixel = fc.tuple(
  fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 9, 255),
  fc.constantFrom(0, 1, 2, 3, 4, 5, 7, 255),
);
// up to 300 px, so the word-at-a-time Uint8 loop (16 px and more) is exercised too
const image = fc.array(pixel, { maxLength: 300 });

function toArrays(
  px: [number, number][],
  kind: 'u8' | 'i32',
): { gt: LabelArray; pred: LabelArray } {
  const A = kind === 'u8' ? Uint8Array : Int32Array;
  return { gt: A.from(px.map((p) => p[0])), pred: A.from(px.map((p) => p[1])) };
}
function cmOf(images: [number, number][][], kind: 'u8' | 'i32' = 'u8'): ConfusionMatrix {
  const cm = new ConfusionMatrix({ numClasses: C });
  for (const px of images) cm.update(toArrays(px, kind));
  return cm;
}

describe('ConfusionMatrix properties (fast-check)', () => {
  it('merge is associative and equals one pass over the concatenation', () => {
    fc.assert(
      fc.property(image, image, image, (a, b, c) => {
        const left = cmOf([a])
          .merge(cmOf([b]))
          .merge(cmOf([c]));
        const right = cmOf([a]).merge(cmOf([b]).merge(cmOf([c])));
        const once = cmOf([[...a, ...b, ...c]]);
        expect(left.toJSON()).toEqual(once.toJSON());
        expect(right.toJSON()).toEqual(once.toJSON());
      }),
      { numRuns: 100 },
    );
  });

  it('permuting pixels changes nothing; Uint8 and Int32 paths agree', () => {
    fc.assert(
      fc.property(
        image.chain((px) =>
          fc.tuple(
            fc.constant(px),
            fc.shuffledSubarray(px, { minLength: px.length, maxLength: px.length }),
          ),
        ),
        ([px, shuffled]) => {
          const a = cmOf([px]);
          expect(cmOf([shuffled]).toJSON()).toEqual(a.toJSON());
          expect(cmOf([shuffled], 'i32').toJSON()).toEqual(a.toJSON());
          expect(a.totalPixels).toBe(px.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('ConfusionMatrix.updateFromTensors', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('takes int labels or NHWC logits (argmax) and matches the typed-array path', async () => {
    const gt = tf.tensor2d([0, 1, 2, 255], [2, 2], 'int32');
    // logits [2,2,3]: argmax 0, 2, 2, 1
    const logits = tf.tensor3d([5, 1, 0, 0, 1, 9, 0, 0, 3, 0, 4, 1], [2, 2, 3]);
    const cm = await new ConfusionMatrix({ numClasses: 3 }).updateFromTensors({ pred: logits, gt });
    const ref = new ConfusionMatrix({ numClasses: 3 }).update({
      gt: Uint8Array.from([0, 1, 2, 255]),
      pred: Uint8Array.from([0, 2, 2, 1]),
    });
    expect(cm.toJSON()).toEqual(ref.toJSON());
    const labels = tf.tensor2d([0, 2, 2, 1], [2, 2], 'int32');
    const cm2 = await new ConfusionMatrix({ numClasses: 3 }).updateFromTensors({
      pred: labels,
      gt,
    });
    expect(cm2.toJSON()).toEqual(ref.toJSON());
    await expectNoTensorLeak(
      () =>
        new ConfusionMatrix({ numClasses: 3 })
          .updateFromTensors({ pred: logits, gt })
          .then(() => undefined),
      {
        label: 'updateFromTensors',
      },
    );
    // labels with a trailing axis of size 1 on either side
    const gt4 = tf.reshape(gt, [2, 2, 1]);
    const labels4 = tf.reshape(labels, [2, 2, 1]);
    const cm3 = await new ConfusionMatrix({ numClasses: 3 }).updateFromTensors({
      pred: labels,
      gt: gt4,
    });
    expect(cm3.toJSON()).toEqual(ref.toJSON());
    const cm4 = await new ConfusionMatrix({ numClasses: 3 }).updateFromTensors({
      pred: labels4,
      gt,
    });
    expect(cm4.toJSON()).toEqual(ref.toJSON());
    tf.dispose([gt4, labels4]);
    const wrong = tf.zeros([3, 2]);
    await expect(
      new ConfusionMatrix({ numClasses: 3 }).updateFromTensors({ pred: wrong, gt }),
    ).rejects.toThrow('pred shape [3,2] must equal gt shape [2,2] or add one class axis');
    tf.dispose([gt, logits, labels, wrong]);
  });
});

describe('no tfjs on the typed-array path', () => {
  it('no library source file imports tfjs statically (only updateFromTensors loads it)', () => {
    const dir = new URL('./', import.meta.url);
    const files = fs.readdirSync(dir, { recursive: true }) as string[];
    const sources = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources.length).toBeGreaterThan(5);
    const offenders = sources.filter((f) =>
      /^\s*import\s[^;]*from\s+['"]@tensorflow\//m.test(fs.readFileSync(new URL(f, dir), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
