// An mmseg checkpoint saved by torch.save (scripts/gen_pth_checkpoint.py) gives the same model
// as the same weights written as safetensors: identical tensors, identical logits, and
// PyTorch's logits within 1e-4.
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { backboneStateDictFromCheckpoint } from '@facepar/backbones';
import {
  readPth,
  readSafetensors,
  readWeights,
  type TensorEntry,
  toFloat32,
  writeSafetensors,
} from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSegmentor } from './checkpoint.js';
import { resizeLogits } from './inference.js';
import { createSegmentor, type Segmentor } from './segmentor.js';
import { getSegmentorSpec, scaleSegmentorSpec } from './segmentor-registry.js';
import { loadSegmentorWeights } from './weights.js';

const bytes = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url)));
const pth = readPth(bytes('deeplab-w32.pth'), { source: 'iter_40000.pth' });
const golden = readSafetensors(bytes('deeplab-w32-golden.safetensors')).tensors;
const safetensorsWeights = new Map([...golden].filter(([k]) => !k.startsWith('golden.')));
const spec = scaleSegmentorSpec(getSegmentorSpec('deeplabv3plus_r50-d8'), 1 / 32);

function nhwc(e: TensorEntry): tf.Tensor4D {
  const [n, c, h, w] = e.shape as [number, number, number, number];
  return tf.tidy(() => tf.transpose(tf.tensor4d(toFloat32(e), [n, c, h, w]), [0, 2, 3, 1]));
}
const raw = (e: TensorEntry) => Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);

describe('an mmseg .pth checkpoint of deeplabv3plus_r50-d8 (width 1/32)', () => {
  const segs: Segmentor[] = [];
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => {
    for (const s of segs) s.dispose();
  });

  it('holds the state dict and meta mmseg writes, tensor for tensor the safetensors weights', () => {
    expect(pth).toMatchObject({ format: 'zip', stateDictKey: 'state_dict', nonTensorKeys: [] });
    expect(pth.extras.meta).toMatchObject({ mmseg_version: '0.30.0', iter: 40000 });
    expect((pth.extras.meta as { CLASSES: string[] }).CLASSES).toHaveLength(19);
    expect([...pth.tensors.keys()].sort()).toEqual([...safetensorsWeights.keys()].sort());
    for (const [k, v] of safetensorsWeights) {
      const got = pth.tensors.get(k)!;
      expect({ k, dtype: got.dtype, shape: got.shape }).toEqual({
        k,
        dtype: v.dtype,
        shape: v.shape,
      });
      expect(raw(got).equals(raw(v)), k).toBe(true);
    }
  });

  it('gives logits equal to those of the same weights from safetensors, and PyTorch within 1e-4', async () => {
    const logits: Float32Array[] = [];
    for (const tensors of [pth.tensors, safetensorsWeights]) {
      const seg = createSegmentor({ model: spec, numClasses: 19 });
      segs.push(seg);
      const report = loadSegmentorWeights(seg, tensors, { strict: true });
      expect(report).toMatchObject({
        format: 'mmseg',
        missing: [],
        unexpected: [],
        mismatched: [],
      });
      const x = nhwc(golden.get('golden.input')!);
      const outs = seg.model.predict(x) as tf.Tensor4D[];
      const up = resizeLogits({ logits: outs[0]!, size: [32, 32] });
      logits.push((await up.data()) as Float32Array);
      tf.dispose([x, up, ...outs]);
    }
    expect(Buffer.from(logits[0]!.buffer).equals(Buffer.from(logits[1]!.buffer))).toBe(true);
    const want = nhwc(golden.get('golden.seg_logits')!);
    const wantData = await want.data();
    want.dispose();
    let err = 0;
    let scale = 0;
    for (let i = 0; i < wantData.length; i++) {
      err = Math.max(err, Math.abs(logits[0]![i]! - wantData[i]!));
      scale = Math.max(scale, Math.abs(wantData[i]!));
    }
    expect(scale).toBeGreaterThan(0.3);
    expect(err).toBeLessThan(1e-4);
  });

  it('openSegmentor takes it as read (core readWeights) under the name <model>@x<factor>', async () => {
    const name = 'deeplabv3plus_r50-d8@x0.03125';
    expect(getSegmentorSpec(name)).toEqual(spec);
    const x = nhwc(golden.get('golden.input')!);
    const out: Float32Array[] = [];
    const files = [
      readWeights(bytes('deeplab-w32.pth'), { source: 'w32.pth' }),
      writeSafetensors(safetensorsWeights),
    ];
    for (const file of files) {
      const seg = openSegmentor(file, { model: name });
      segs.push(seg);
      const logits = seg.model.predict(x) as tf.Tensor4D;
      out.push((await logits.data()) as Float32Array);
      logits.dispose();
    }
    x.dispose();
    expect(out[0]!.length).toBeGreaterThan(0);
    expect(Buffer.from(out[0]!.buffer).equals(Buffer.from(out[1]!.buffer))).toBe(true);
    expect(() => getSegmentorSpec('deeplabv3plus_r50-d8@xwide')).toThrow(
      /unknown segmentor 'deeplabv3plus_r50-d8@xwide'; known: .*@x<width factor>/,
    );
  });

  it('initialises only a backbone from it (mmseg pretrained=), dropping the heads', () => {
    const r = backboneStateDictFromCheckpoint({ tensors: pth.tensors, backbone: spec.backbone });
    expect(r).toMatchObject({ format: 'mmseg', missing: [], unexpected: [], mismatched: [] });
    expect(r.dropped.every((k) => /^(decode_head|auxiliary_head)\./.test(k))).toBe(true);
    expect(r.dropped.length + r.tensors.size).toBe(pth.tensors.size);
  });
});
