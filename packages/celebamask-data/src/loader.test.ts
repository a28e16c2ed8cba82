import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describeWithSharedData, expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dataset, openDataset } from './dataset.js';
import { createLoader, epochOrder, evalIterator, type LoaderBatch } from './loader.js';
import { writeSyntheticDataset } from './synthetic-dataset.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-loader-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const transforms = {
  resize: { scale: [160, 40] as [number, number], ratioRange: [0.5, 2] as [number, number] },
  cropSize: 32,
};
let ds: Dataset;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await writeSyntheticDataset({ dir: tmp, count: 10, size: 40, seed: 1, splits: { train: 1 } });
  ds = await openDataset({ root: tmp });
});

async function take(loader: ReturnType<typeof createLoader>, n: number) {
  const out: { ids: string[]; images: Float32Array; labels: Int32Array; epoch: number }[] = [];
  for (let i = 0; i < n; i++) {
    const b = (await loader.next()) as LoaderBatch;
    out.push({
      ids: b.ids,
      images: b.images.dataSync() as Float32Array,
      labels: b.labels.dataSync() as Int32Array,
      epoch: b.epoch,
    });
    tf.dispose([b.images, b.labels]);
  }
  return out;
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

describe('epochOrder', () => {
  it('is a seeded permutation per epoch', () => {
    const a = epochOrder({ size: 20, seed: 3, epoch: 0 });
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
    expect(epochOrder({ size: 20, seed: 3, epoch: 0 })).toEqual(a);
    expect(epochOrder({ size: 20, seed: 3, epoch: 1 })).not.toEqual(a);
    expect(epochOrder({ size: 5, seed: 3, epoch: 1, shuffle: false })).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('createLoader', () => {
  it('yields NHWC float32 / int32 batches, full batches only, epochs bounded', async () => {
    const loader = createLoader({ dataset: ds, batchSize: 4, transforms, seed: 7, epochs: 2 });
    const first = (await loader.next())!;
    expect(first.images.shape).toEqual([4, 32, 32, 3]);
    expect(first.images.dtype).toBe('float32');
    expect(first.labels.shape).toEqual([4, 32, 32]);
    expect(first.labels.dtype).toBe('int32');
    const lab = first.labels.dataSync();
    expect(lab.every((v) => (v >= 0 && v <= 18) || v === 255)).toBe(true);
    tf.dispose([first.images, first.labels]);
    const rest = await take(loader, 3); // 10 samples / 4 = 2 batches per epoch, 2 epochs
    expect(rest.map((b) => b.epoch)).toEqual([0, 1, 1]);
    expect(await loader.next()).toBeNull();
    const epoch0 = [...first.ids, ...rest[0]!.ids];
    expect(new Set(epoch0).size).toBe(8);
    expect(epoch0).toEqual(
      epochOrder({ size: 10, seed: 7, epoch: 0 })
        .slice(0, 8)
        .map((i) => ds.entries[i]!.id),
    );
    await loader.close();
  });

  it('is deterministic per seed and resumes exactly from state()', async () => {
    const a = createLoader({ dataset: ds, batchSize: 3, transforms, seed: 5 });
    const batchesA = await take(a, 4);
    const b = createLoader({ dataset: ds, batchSize: 3, transforms, seed: 5 });
    const b1 = await take(b, 2);
    const saved = JSON.parse(JSON.stringify(b.state()));
    expect(saved).toEqual({ seed: 5, epoch: 0, position: 6 });
    await b.close();
    const c = createLoader({ dataset: ds, batchSize: 3, transforms, seed: 5, state: saved });
    const c2 = await take(c, 2);
    for (const [x, y] of [
      [batchesA[0]!, b1[0]!],
      [batchesA[2]!, c2[0]!],
      [batchesA[3]!, c2[1]!],
    ] as const) {
      expect(y.ids).toEqual(x.ids);
      expect(sameBytes(x.images, y.images)).toBe(true);
      expect(sameBytes(x.labels, y.labels)).toBe(true);
    }
    // 10 samples, batch 3: positions 9.. are a dropped tail, so batch 4 starts epoch 1
    expect(batchesA[3]!.epoch).toBe(1);
    const other = await take(createLoader({ dataset: ds, batchSize: 3, transforms, seed: 6 }), 1);
    expect(sameBytes(other[0]!.images, batchesA[0]!.images)).toBe(false);
    await Promise.all([a.close(), c.close()]);
    expect(() =>
      createLoader({
        dataset: ds,
        batchSize: 3,
        seed: 5,
        state: { seed: 4, epoch: 0, position: 0 },
      }),
    ).toThrow(/must have seed 5/);
  });

  it('on wasm, batches made over reused memory stay intact while later batches fill it', async () => {
    // wasm copies a tensor's values into its heap when the tensor is made, so the loader hands
    // it the reused batch memory directly; batches held across many later ones must not change
    const want = await take(createLoader({ dataset: ds, batchSize: 3, transforms, seed: 9 }), 6);
    await tf.setBackend('wasm');
    try {
      const loader = createLoader({ dataset: ds, batchSize: 3, transforms, seed: 9, prefetch: 1 });
      const held: LoaderBatch[] = [];
      for (let i = 0; i < 6; i++) held.push((await loader.next()) as LoaderBatch);
      for (let i = 0; i < 6; i++) {
        expect(held[i]!.ids).toEqual(want[i]!.ids);
        expect(sameBytes(held[i]!.images.dataSync() as Float32Array, want[i]!.images)).toBe(true);
        expect(sameBytes(held[i]!.labels.dataSync() as Int32Array, want[i]!.labels)).toBe(true);
      }
      tf.dispose(held.flatMap((b) => [b.images, b.labels]));
      await loader.close();
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('does not leak tensors beyond the batch it returns', async () => {
    const loader = createLoader({ dataset: ds, batchSize: 2, transforms, seed: 1 });
    await expectNoTensorLeak(async () => {
      const b = (await loader.next())!;
      return [b.images, b.labels];
    });
    await loader.close();
  });

  it('fails naming a bad file, or skips and counts it under skipInvalid', async () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-loader-bad-'));
    fs.cpSync(tmp, bad, { recursive: true });
    fs.writeFileSync(path.join(bad, 'train', 'images', 'synth-000003.jpg'), 'broken');
    const bds = await openDataset({ root: bad });
    const strict = createLoader({
      dataset: bds,
      batchSize: 10,
      transforms,
      shuffle: false,
      epochs: 1,
    });
    await expect(strict.next()).rejects.toThrow(/synth-000003\.jpg: cannot decode image/);
    await strict.close();
    const lenient = createLoader({
      dataset: bds,
      batchSize: 3,
      transforms,
      shuffle: false,
      epochs: 1,
      skipInvalid: true,
    });
    const got = await take(lenient, 3);
    expect(got.flatMap((b) => b.ids)).toEqual([
      'synth-000000',
      'synth-000001',
      'synth-000002',
      'synth-000004',
      'synth-000005',
      'synth-000006',
      'synth-000007',
      'synth-000008',
      'synth-000009',
    ]);
    expect(lenient.skipped().map((s) => path.basename(s.file))).toEqual(['synth-000003.jpg']);
    expect(await lenient.next()).toBeNull();
    await lenient.close();
    // all bad: an error after one epoch's worth of failures, not an endless loop
    for (const f of fs.readdirSync(path.join(bad, 'train', 'images'))) {
      fs.writeFileSync(path.join(bad, 'train', 'images', f), 'broken');
    }
    const hopeless = createLoader({ dataset: bds, batchSize: 2, transforms, skipInvalid: true });
    await expect(hopeless.next()).rejects.toThrow(
      /every sample of the dataset failed to load \(10 in a row\)/,
    );
    await hopeless.close();
    fs.rmSync(bad, { recursive: true, force: true });
  });

  it('rejects bad options naming the value', () => {
    expect(() => createLoader({ dataset: ds, batchSize: 11 })).toThrow(
      /batchSize 11 must be an integer in 1..10/,
    );
    expect(() => createLoader({ dataset: ds, batchSize: 2, workers: -1 })).toThrow(/workers -1/);
  });

  const distWorker = fileURLToPath(new URL('../dist/loader-worker.js', import.meta.url));
  it.skipIf(!fs.existsSync(distWorker))(
    'gives the same batches with 2 worker threads as on the main thread (needs the built dist/)',
    async () => {
      const main = createLoader({ dataset: ds, batchSize: 4, transforms, seed: 3 });
      const threaded = createLoader({ dataset: ds, batchSize: 4, transforms, seed: 3, workers: 2 });
      const [x, y] = [await take(main, 3), await take(threaded, 3)];
      for (let i = 0; i < 3; i++) {
        expect(y[i]!.ids).toEqual(x[i]!.ids);
        expect(sameBytes(x[i]!.images, y[i]!.images)).toBe(true);
        expect(sameBytes(x[i]!.labels, y[i]!.labels)).toBe(true);
      }
      await Promise.all([main.close(), threaded.close()]);
    },
    30_000,
  );
  it.skipIf(!fs.existsSync(distWorker))(
    'workers reuse their sample slots correctly across skipped files and epoch ends',
    async () => {
      const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-loader-ring-'));
      fs.cpSync(tmp, bad, { recursive: true });
      fs.writeFileSync(path.join(bad, 'train', 'images', 'synth-000006.jpg'), 'broken');
      const bds = await openDataset({ root: bad });
      // 9 good samples, batches of 4 (one dropped per epoch), prefetch 1: a ring of 4 slots
      // reused 6 times over 3 epochs
      const opts = { dataset: bds, batchSize: 4, transforms, seed: 5, prefetch: 1 };
      const main = createLoader({ ...opts, skipInvalid: true, epochs: 3 });
      const threaded = createLoader({ ...opts, skipInvalid: true, epochs: 3, workers: 2 });
      const [x, y] = [await take(main, 6), await take(threaded, 6)];
      expect(y.map((b) => b.ids)).toEqual(x.map((b) => b.ids));
      expect(new Set(x.flatMap((b) => b.epoch)).size).toBe(3);
      for (let i = 0; i < 6; i++) {
        expect(sameBytes(x[i]!.images, y[i]!.images)).toBe(true);
        expect(sameBytes(x[i]!.labels, y[i]!.labels)).toBe(true);
      }
      expect(await threaded.next()).toBeNull();
      expect(threaded.skipped().length).toBe(3);
      await Promise.all([main.close(), threaded.close()]);
      fs.rmSync(bad, { recursive: true, force: true });
    },
    60_000,
  );
});

describe('evalIterator', () => {
  it('yields every sample in dataset order, normalised, with int32 labels', async () => {
    const ids: string[] = [];
    for await (const item of evalIterator({ dataset: ds, size: { width: 20, height: 20 } })) {
      ids.push(item.id);
      expect(item.image.shape).toEqual([1, 20, 20, 3]);
      expect(item.labels!.shape).toEqual([1, 20, 20]);
      const s = await ds.read(ids.length - 1);
      // centre-aligned nearest 2x downscale: output (x, y) takes input (2x+1, 2y+1)
      expect(item.labels!.dataSync()[5 * 20 + 7]).toBe(s.labels![11 * 40 + 15]);
      tf.dispose([item.image, item.labels!]);
    }
    expect(ids).toEqual(ds.entries.map((e) => e.id));
  });
});

describeWithSharedData('createLoader on celebamask-mini', 'data', (dir) => {
  it('yields 512 training batches of real pairs with valid labels', async () => {
    const real = await openDataset({ root: dir });
    const loader = createLoader({ dataset: real, batchSize: 2, seed: 11, prefetch: 1 });
    const b = (await loader.next())!;
    expect(b.images.shape).toEqual([2, 512, 512, 3]);
    expect(b.labels.shape).toEqual([2, 512, 512]);
    const lab = b.labels.dataSync();
    const seen = new Set(lab);
    for (const v of seen) expect(v <= 18 || v === 255).toBe(true);
    // faces: skin and hair appear in real crops
    expect(seen.has(1) && seen.has(13)).toBe(true);
    const img = b.images.dataSync();
    let min = Infinity;
    let max = -Infinity;
    for (const v of img) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    // normalised with the ImageNet mean/std: 0 -> about -2.1, 255 -> about +2.6
    expect(min).toBeGreaterThanOrEqual(-2.12);
    expect(max).toBeLessThanOrEqual(2.65);
    expect(max - min).toBeGreaterThan(2);
    tf.dispose([b.images, b.labels]);
    await loader.close();
  }, 30_000);
});
