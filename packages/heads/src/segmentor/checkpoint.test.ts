import '@tensorflow/tfjs-backend-cpu';
import { readSafetensors, writeSafetensors } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  exportSegmentorCheckpoint,
  exportSegmentorCheckpointAsync,
  loadSegmentorCheckpoint,
  openSegmentor,
  readSegmentorCheckpointConfig,
} from './checkpoint.js';
import { createSegmentor } from './segmentor.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('facepar checkpoints (safetensors + JSON config in __metadata__)', () => {
  it('restores the architecture and weights; predictions are identical', async () => {
    const seg = createSegmentor({ model: 'deeplabv3plus_r18-d16-thin', numClasses: 7, seed: 5 });
    const bytes = exportSegmentorCheckpoint(seg);
    expect(Buffer.from(await exportSegmentorCheckpointAsync(seg)).equals(Buffer.from(bytes))).toBe(
      true,
    );
    const file = readSafetensors(bytes);
    expect(readSegmentorCheckpointConfig(file.metadata).spec).toMatchObject({
      name: 'deeplabv3plus_r18-d16-thin',
      numClasses: 7,
    });
    expect(file.tensors.has('decode_head.conv_seg.weight')).toBe(true);
    const back = loadSegmentorCheckpoint(bytes, { withAuxiliary: false });
    expect(back.model.outputs).toHaveLength(1);
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 3);
    const a = (seg.model.predict(x) as tf.Tensor[])[0]!;
    const b = back.model.predict(x) as tf.Tensor;
    expect(b.shape).toEqual([1, 8, 8, 7]);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    seg.dispose();
    back.dispose();
  });

  it('rejects plain state dicts, naming what to use instead', () => {
    const bytes = writeSafetensors({
      'x.weight': { dtype: 'F32', shape: [1], data: new Float32Array(1) },
    });
    expect(() => loadSegmentorCheckpoint(bytes)).toThrow(
      /not a facepar checkpoint.*loadSegmentorWeights/,
    );
  });

  it('refuses NaN weights and a bad config naming the file; allowNonFinite loads them', () => {
    const seg = createSegmentor({ model: 'deeplabv3plus_r18-d16-thin', numClasses: 3, seed: 2 });
    const file = readSafetensors(exportSegmentorCheckpoint(seg));
    seg.dispose();
    const w = file.tensors.get('decode_head.conv_seg.weight')!;
    (w.data as Float32Array)[5] = Number.NaN;
    const bytes = writeSafetensors(file.tensors, file.metadata);
    const source = '/runs/a/iter_40.safetensors';
    for (const open of [
      () => loadSegmentorCheckpoint(bytes, { source }),
      () => openSegmentor(bytes, { source }),
    ]) {
      expect(open).toThrow(
        /^\/runs\/a\/iter_40\.safetensors: weights: tensor "decode_head\.conv_seg\.weight" has 1 non-finite value .*first: NaN at index 5/,
      );
    }
    const loaded = openSegmentor(bytes, { source, allowNonFinite: true });
    loaded.dispose();
    const deep = writeSafetensors(new Map(), { facepar: `${'['.repeat(100_000)}` });
    expect(() => loadSegmentorCheckpoint(deep, { source })).toThrow(
      /^\/runs\/a\/iter_40\.safetensors: __metadata__\.facepar: JSON nested deeper than 64 levels/,
    );
    const old = writeSafetensors(new Map(), { facepar: '{"version": "facepar-segmentor/0"}' });
    expect(() => loadSegmentorCheckpoint(old, { source })).toThrow(
      /iter_40\.safetensors: facepar checkpoint version "facepar-segmentor\/0" is not supported/,
    );
  });
});
