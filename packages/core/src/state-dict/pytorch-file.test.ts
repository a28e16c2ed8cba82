// End to end: a state dict saved from a tiny mmcv-style PyTorch model (backbone.stem.0 ConvModule,
// DepthwiseSeparableConvModule with dilation 2, conv_seg with bias; num_batches_tracked as I64)
// loads strictly into the same model built with the facepar builders and reproduces PyTorch's
// eval output; exporting gives back the file's float tensors bit for bit.
import '../register.js';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensorsFile } from '../io/files.js';
import { convModule } from '../modules/conv-module.js';
import { depthwiseSeparableConvModule } from '../modules/depthwise-separable-conv-module.js';
import { exportStateDict, loadStateDict } from './state-dict.js';

const fixtures = new URL('./fixtures/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('tiny-mmcv-expected.json', fixtures), 'utf8')) as {
  keys: string[];
  x: { shape: number[]; data: number[] };
  y: { shape: number[]; data: number[] };
};

function build(): tfl.LayersModel {
  const input = tfl.input({ shape: [null, null, 3] });
  let x = convModule({ name: 'backbone.stem.0', filters: 4, kernelSize: 3, stride: 2, padding: 1 })(
    input,
  );
  x = depthwiseSeparableConvModule({
    name: 'decode_head.sep',
    filters: 6,
    kernelSize: 3,
    padding: 2,
    dilation: 2,
  })(x);
  x = convModule({
    name: 'decode_head.conv_seg',
    filters: 3,
    kernelSize: 1,
    norm: null,
    act: null,
  })(x);
  return tfl.model({ inputs: input, outputs: x });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('PyTorch-saved state dict', () => {
  it('loads strictly, matches the PyTorch eval output, and exports the same tensors', async () => {
    const file = await readSafetensorsFile(new URL('tiny-mmcv.safetensors', fixtures).pathname);
    expect([...file.tensors.keys()]).toEqual(expected.keys);
    const model = build();
    const report = loadStateDict(model, file.tensors);
    expect(report.loaded.length).toBe(17); // 20 keys minus 3 num_batches_tracked
    const x = tf.tensor(expected.x.data, expected.x.shape);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual(expected.y.shape);
    const got = y.dataSync();
    let err = 0;
    for (let i = 0; i < got.length; i++)
      err = Math.max(err, Math.abs(got[i]! - expected.y.data[i]!));
    expect(err).toBeLessThan(1e-4);
    const exported = exportStateDict(model);
    expect([...exported.keys()]).toEqual(expected.keys);
    for (const [k, v] of file.tensors) {
      if (v.dtype !== 'F32') continue;
      const e = exported.get(k)!;
      expect(e.shape).toEqual(v.shape);
      expect(Buffer.from(e.data.buffer).equals(Buffer.from(v.data.buffer))).toBe(true);
    }
    tf.dispose([x, y]);
    model.dispose();
  });
});
