import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { readSafetensors, type TensorEntry, toFloat32 } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resizeLogits } from './inference.js';
import { getSegmentorSpec, scaleSegmentorSpec } from './segmentor-registry.js';
import { createSegmentor, type Segmentor } from './segmentor.js';
import { loadSegmentorWeights } from './weights.js';

const fixture = (name: string) =>
  readSafetensors(new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url))));

/** NCHW golden tensor as NHWC floats. */
function nhwc(entry: TensorEntry): tf.Tensor4D {
  const [n, c, h, w] = entry.shape as [number, number, number, number];
  return tf.tidy(() => tf.transpose(tf.tensor4d(toFloat32(entry), [n, c, h, w]), [0, 2, 3, 1]));
}

async function maxAbsErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0]!;
  d.dispose();
  return v;
}

const weights = fixture('deeplab-w16.safetensors').tensors;
const spec = scaleSegmentorSpec(getSegmentorSpec('deeplabv3plus_r50-d8'), 1 / 16);
const STAGE_OUTPUTS = ['layer1.2', 'layer2.3', 'layer3.5', 'layer4.2'].map(
  (b) => `backbone.${b}.relu`,
);

describe.each(['cpu', 'wasm'])(
  'PyTorch parity of deeplabv3plus_r50-d8 at width 1/16 on %s',
  (backend) => {
    let seg: Segmentor;
    let probe: tfl.LayersModel;

    beforeAll(async () => {
      await tf.setBackend(backend);
      seg = createSegmentor({ model: spec, numClasses: 8 });
      const report = loadSegmentorWeights(seg, weights, { strict: true });
      expect(report).toMatchObject({ missing: [], unexpected: [], mismatched: [] });
      const feats = STAGE_OUTPUTS.map((n) => seg.model.getLayer(n).output as tfl.SymbolicTensor);
      probe = tfl.model({
        inputs: seg.model.inputs,
        outputs: [...feats, ...(seg.model.outputs as tfl.SymbolicTensor[])],
      });
    });

    afterAll(() => {
      seg.dispose();
    });

    it.each([128, 65])(
      'matches features, decode, resized seg and aux logits at %i px (square input)',
      async (size) => {
        const g = fixture(`golden-${size}.safetensors`).tensors;
        const x = nhwc(g.get('input')!);
        const outs = probe.predict(x) as tf.Tensor4D[];
        const errs: Record<string, number> = {};
        for (let i = 0; i < 4; i++) {
          const want = nhwc(g.get(`feat.${i}`)!);
          errs[`feat.${i}`] = await maxAbsErr(outs[i]!, want);
          want.dispose();
        }
        const pairs: [string, tf.Tensor4D][] = [
          ['decode_logits', outs[4]!],
          ['aux_logits', outs[5]!],
        ];
        const seg4 = resizeLogits({ logits: outs[4]!, size: [size, size] });
        pairs.push(['seg_logits', seg4]);
        for (const [name, got] of pairs) {
          const want = nhwc(g.get(name)!);
          errs[name] = await maxAbsErr(got, want);
          want.dispose();
        }
        tf.dispose([x, seg4, ...outs]);
        for (const [name, err] of Object.entries(errs))
          expect(err, `${name} on ${backend}`).toBeLessThan(1e-3);
        console.log(`parity ${backend} ${size}: ${JSON.stringify(errs)}`);
      },
    );
  },
);
