import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { float32ToF16 } from '../io/half.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { TensorEntry } from '../io/tensor-entry.js';
import { Conv2d } from '../layers/conv2d.js';
import { DepthwiseConv2d } from '../layers/depthwise-conv2d.js';
import { convModule } from '../modules/conv-module.js';
import { depthwiseSeparableConvModule } from '../modules/depthwise-separable-conv-module.js';
import {
  exportStateDict,
  exportStateDictAsync,
  flattenLayers,
  loadStateDict,
} from './state-dict.js';

interface Arr {
  shape: number[];
  data: number[];
}
const golden = JSON.parse(
  readFileSync(new URL('../layers/fixtures/layers-golden.json', import.meta.url), 'utf8'),
) as {
  conv: {
    x: Arr;
    kernel: Arr;
    weightOIHW: Arr;
    bias: Arr | null;
    y: Arr;
    padding: number;
    stride: number;
    dilation: number;
  }[];
  depthwise: {
    x: Arr;
    kernel: Arr;
    weightTorch: Arr;
    y: Arr;
    padding: number;
    stride: number;
    dilation: number;
    depthMultiplier: number;
  }[];
  batchnorm: { init: Record<string, Arr>; x3: Arr };
};

const f32 = (a: Arr): TensorEntry => ({
  dtype: 'F32',
  shape: a.shape,
  data: new Float32Array(a.data),
});

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function tinyModel(seed: number): tfl.LayersModel {
  const input = tfl.input({ shape: [null, null, 3] });
  let x = convModule({ name: 'backbone.stem.0', filters: 4, kernelSize: 3, padding: 1, seed })(
    input,
  );
  x = depthwiseSeparableConvModule({
    name: 'decode_head.sep',
    filters: 5,
    kernelSize: 3,
    padding: 1,
    seed: seed + 10,
  })(x);
  x = convModule({
    name: 'decode_head.conv_seg',
    filters: 2,
    kernelSize: 1,
    norm: null,
    act: null,
    seed,
  })(x);
  return tfl.model({ inputs: input, outputs: x });
}

function randomizeBn(model: tfl.LayersModel): void {
  // give BN non-default stats so the round trip checks every slot
  for (const l of flattenLayers(model)) {
    for (const w of l.weights) {
      if (
        w.originalName.startsWith('moving') ||
        w.originalName === 'gamma' ||
        w.originalName === 'beta'
      ) {
        const t = tf.randomUniform(w.shape as number[], 0.5, 2, 'float32', w.id);
        w.write(t);
        t.dispose();
      }
    }
  }
}

describe('state dicts', () => {
  it('loads a PyTorch OIHW conv weight and reproduces F.conv2d', () => {
    const c = golden.conv[1]!;
    const layer = new Conv2d({
      name: 'head.conv',
      filters: c.weightOIHW.shape[0]!,
      kernelSize: 3,
      stride: c.stride,
      padding: c.padding,
    });
    const input = tfl.input({ shape: c.x.shape.slice(1) });
    const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
    const report = loadStateDict(
      model,
      new Map([
        ['head.conv.weight', f32(c.weightOIHW)],
        ['head.conv.bias', f32(c.bias!)],
      ]),
    );
    expect(report).toEqual({
      loaded: ['head.conv.weight', 'head.conv.bias'],
      missing: [],
      unexpected: [],
      mismatched: [],
    });
    expect(Array.from(layer.kernel!.read().dataSync())).toEqual(
      Array.from(new Float32Array(c.kernel.data)),
    );
    const x = tf.tensor(c.x.data, c.x.shape);
    const y = model.predict(x) as tf.Tensor;
    const got = y.dataSync();
    for (let i = 0; i < got.length; i++)
      expect(Math.abs(got[i]! - c.y.data[i]!)).toBeLessThan(1e-4);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('loads a PyTorch depthwise weight [C*m,1,kh,kw] into [kh,kw,C,m]', () => {
    const c = golden.depthwise[1]!;
    const layer = new DepthwiseConv2d({
      name: 'dw',
      kernelSize: 3,
      stride: c.stride,
      padding: c.padding,
      depthMultiplier: c.depthMultiplier,
    });
    const input = tfl.input({ shape: c.x.shape.slice(1) });
    const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
    loadStateDict(model, new Map([['dw.weight', f32(c.weightTorch)]]));
    expect(Array.from(layer.kernel!.read().dataSync())).toEqual(
      Array.from(new Float32Array(c.kernel.data)),
    );
    model.dispose();
  });

  it('export -> safetensors -> load -> export is bit-exact and keys follow the rule', async () => {
    const a = tinyModel(1);
    randomizeBn(a);
    const exported = exportStateDict(a);
    expect(await exportStateDictAsync(a)).toEqual(exported);
    expect([...exported.keys()]).toEqual([
      'backbone.stem.0.conv.weight',
      'backbone.stem.0.bn.weight',
      'backbone.stem.0.bn.bias',
      'backbone.stem.0.bn.running_mean',
      'backbone.stem.0.bn.running_var',
      'backbone.stem.0.bn.num_batches_tracked',
      'decode_head.sep.depthwise_conv.conv.weight',
      'decode_head.sep.depthwise_conv.bn.weight',
      'decode_head.sep.depthwise_conv.bn.bias',
      'decode_head.sep.depthwise_conv.bn.running_mean',
      'decode_head.sep.depthwise_conv.bn.running_var',
      'decode_head.sep.depthwise_conv.bn.num_batches_tracked',
      'decode_head.sep.pointwise_conv.conv.weight',
      'decode_head.sep.pointwise_conv.bn.weight',
      'decode_head.sep.pointwise_conv.bn.bias',
      'decode_head.sep.pointwise_conv.bn.running_mean',
      'decode_head.sep.pointwise_conv.bn.running_var',
      'decode_head.sep.pointwise_conv.bn.num_batches_tracked',
      'decode_head.conv_seg.conv.weight',
      'decode_head.conv_seg.conv.bias',
    ]);
    expect(exported.get('backbone.stem.0.conv.weight')!.shape).toEqual([4, 3, 3, 3]);
    expect(exported.get('decode_head.sep.depthwise_conv.conv.weight')!.shape).toEqual([4, 1, 3, 3]);
    const bytes = writeSafetensors(exported);
    const b = tinyModel(99);
    const report = loadStateDict(b, readSafetensors(bytes).tensors);
    expect(report.loaded.length).toBe(17);
    expect(Buffer.from(writeSafetensors(exportStateDict(b))).equals(Buffer.from(bytes))).toBe(true);
    const x = tf.randomNormal([1, 4, 4, 3], 0, 1, 'float32', 3);
    const ya = a.predict(x) as tf.Tensor;
    const yb = b.predict(x) as tf.Tensor;
    expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
    tf.dispose([x, ya, yb]);
    a.dispose();
    b.dispose();
  });

  it('walks nested models (a backbone model used as a layer)', () => {
    const inner = tinyModel(3);
    const input = tfl.input({ shape: [null, null, 3] });
    const outer = tfl.model({
      inputs: input,
      outputs: new Conv2d({ name: 'aux.conv', filters: 1, kernelSize: 1 }).apply(
        inner.apply(input) as tfl.SymbolicTensor,
      ) as tfl.SymbolicTensor,
    });
    const keys = [...exportStateDict(outer, { numBatchesTracked: false }).keys()];
    expect(keys.length).toBe(19);
    expect(keys.slice(-2)).toEqual(['aux.conv.weight', 'aux.conv.bias']);
    const report = loadStateDict(outer, exportStateDict(inner), { strict: false });
    expect([report.loaded.length, report.missing, report.unexpected]).toEqual([
      17,
      ['aux.conv.weight', 'aux.conv.bias'],
      [],
    ]);
    outer.dispose();
  });

  it('strict mode lists missing, unexpected and mismatched keys and changes nothing', () => {
    const model = tinyModel(1);
    const before = exportStateDict(model);
    const sd = exportStateDict(tinyModel(2));
    sd.delete('backbone.stem.0.bn.running_var');
    sd.set('decode_head.aux.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    sd.set('decode_head.conv_seg.conv.weight', {
      dtype: 'F32',
      shape: [2, 5, 3, 3],
      data: new Float32Array(90),
    });
    let message = '';
    try {
      loadStateDict(model, sd);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('missing keys (1): backbone.stem.0.bn.running_var');
    expect(message).toContain('unexpected keys (1): decode_head.aux.weight');
    expect(message).toContain(
      'mismatched (1): decode_head.conv_seg.conv.weight (shape [2, 5, 3, 3] in file, model needs [2, 5, 1, 1])',
    );
    const after = exportStateDict(model);
    for (const [k, v] of before)
      expect(Array.from(after.get(k)!.data as Float32Array)).toEqual(
        Array.from(v.data as Float32Array),
      );

    const report = loadStateDict(model, sd, { strict: false });
    expect(report.missing).toEqual(['backbone.stem.0.bn.running_var']);
    expect(report.unexpected).toEqual(['decode_head.aux.weight']);
    expect(report.mismatched.map((m) => [m.key, m.expected, m.got])).toEqual([
      ['decode_head.conv_seg.conv.weight', [2, 5, 1, 1], [2, 5, 3, 3]],
    ]);
    expect(report.loaded.length).toBe(15);
    model.dispose();
  });

  it('rename maps or drops keys; F16 weights are converted; num_batches_tracked is ignored', () => {
    const model = tinyModel(1);
    const src = exportStateDict(tinyModel(5));
    const file = new Map<string, TensorEntry>();
    for (const [k, v] of src) {
      const half =
        v.dtype === 'F32'
          ? ({
              dtype: 'F16',
              shape: v.shape,
              data: float32ToF16(v.data as Float32Array),
            } as TensorEntry)
          : v;
      file.set(`module.${k}`, half);
    }
    file.set('module.ema.step', { dtype: 'I64', shape: [], data: new BigInt64Array(1) });
    const report = loadStateDict(model, file, {
      rename: (k) => (k.startsWith('module.ema') ? null : k.replace(/^module\./, '')),
    });
    expect([report.missing, report.unexpected, report.mismatched, report.loaded.length]).toEqual([
      [],
      [],
      [],
      17,
    ]);
    const got = exportStateDict(model).get('backbone.stem.0.conv.weight')!.data as Float32Array;
    const want = src.get('backbone.stem.0.conv.weight')!.data as Float32Array;
    for (let i = 0; i < want.length; i++)
      expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(want[i]!)));
    model.dispose();
  });

  it('refuses NaN/Inf weights and negative BN variances, naming the first bad tensor and the file', () => {
    const model = tinyModel(3);
    const good = exportStateDict(model);
    const before = exportStateDict(model).get('backbone.stem.0.conv.weight')!.data.slice();
    const withValue = (key: string, index: number, v: number) => {
      const copy = new Map(good);
      const e = good.get(key)!;
      const data = (e.data as Float32Array).slice();
      data[index] = v;
      copy.set(key, { ...e, data });
      return copy;
    };
    // the first bad tensor in file order is named, with the count and the first index
    const nan = withValue('decode_head.sep.depthwise_conv.conv.weight', 4, Number.NaN);
    const first = nan.get('decode_head.sep.depthwise_conv.conv.weight')!;
    (first.data as Float32Array)[7] = Infinity;
    expect(() => loadStateDict(model, nan, { source: '/w/ckpt.safetensors' })).toThrow(
      /^\/w\/ckpt\.safetensors: weights: tensor "decode_head\.sep\.depthwise_conv\.conv\.weight" has 2 non-finite values of 36 \(first: NaN at index 4\).*allowNonFinite/,
    );
    expect(() =>
      loadStateDict(model, withValue('backbone.stem.0.bn.bias', 1, -Infinity), { strict: false }),
    ).toThrow(
      /tensor "backbone\.stem\.0\.bn\.bias" has 1 non-finite value of 4 \(first: -Infinity at index 1\)/,
    );
    expect(() =>
      loadStateDict(model, withValue('backbone.stem.0.bn.running_var', 2, -0.5)),
    ).toThrow(
      /BatchNorm variance "backbone\.stem\.0\.bn\.running_var" is negative \(-0\.5 at index 2\)/,
    );
    // F16 infinities are found from their bit pattern; the renamed key is shown beside the file key
    const half = new Map(good);
    half.set('x.bn.bias', { dtype: 'F16', shape: [4], data: new Uint16Array([0, 0x7c00, 0, 0]) });
    half.delete('backbone.stem.0.bn.bias');
    expect(() =>
      loadStateDict(model, half, {
        rename: (k) => (k === 'x.bn.bias' ? 'backbone.stem.0.bn.bias' : k),
      }),
    ).toThrow(
      /tensor "x\.bn\.bias" \("backbone\.stem\.0\.bn\.bias"\) has 1 non-finite value of 4 \(first: Infinity at index 1\)/,
    );
    // nothing was written by the refused loads
    expect(exportStateDict(model).get('backbone.stem.0.conv.weight')!.data).toEqual(before);
    // the escape hatch loads them; -0 is a valid variance
    const report = loadStateDict(model, nan, { allowNonFinite: true });
    expect(report.loaded).toContain('decode_head.sep.depthwise_conv.conv.weight');
    const loaded = exportStateDict(model).get('decode_head.sep.depthwise_conv.conv.weight')!;
    expect(Number.isNaN((loaded.data as Float32Array)[4])).toBe(true);
    expect(() =>
      loadStateDict(model, withValue('backbone.stem.0.bn.running_var', 0, -0)),
    ).not.toThrow();
    model.dispose();
  });
});
