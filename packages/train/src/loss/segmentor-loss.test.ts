import '@tensorflow/tfjs-backend-cpu';
import { getSegmentorSpec } from '@facepar/heads';
import { weightedCrossEntropy } from '@facepar/losses';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSegmentorLoss } from './segmentor-loss.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('createSegmentorLoss', () => {
  it("weighs each head by its spec's lossWeight (decode default 1) and resizes to the labels", () => {
    const spec = getSegmentorSpec('deeplabv3plus_r18-d16-thin');
    const decode = tf.randomNormal([2, 4, 4, 19], 0, 1, 'float32', 1) as tf.Tensor4D;
    const aux = tf.randomNormal([2, 2, 2, 19], 0, 1, 'float32', 2) as tf.Tensor4D;
    const labels = tf.randomUniform([2, 8, 8], 0, 19, 'int32', 3) as tf.Tensor3D;
    const loss = { classWeights: null, reduction: 'mmseg', resizeLogitsTo: 'labels' } as const;
    const ce = (x: tf.Tensor4D) => weightedCrossEntropy(x, labels, loss).dataSync()[0]!;
    const run = (decodeWeight: number | undefined, auxWeight: number) => {
      const s = { ...spec, decodeHead: { ...spec.decodeHead, lossWeight: decodeWeight } };
      const head = { ...s.auxiliaryHeads[0]!, lossWeight: auxWeight };
      const fn = createSegmentorLoss({
        segmentor: { spec: s, auxiliaryHeads: [{ head: null as never, prefix: 'a', ...head }] },
        loss,
      });
      const parts = fn([decode, aux], labels);
      const out = [parts.total, parts.decode, parts.aux!].map((t) => t.dataSync()[0]!);
      tf.dispose([parts.total, parts.decode, parts.aux!]);
      return out;
    };
    const [total, d, a] = run(undefined, 0.4);
    expect(d).toBeCloseTo(ce(decode), 6);
    expect(a).toBeCloseTo(0.4 * ce(aux), 6);
    expect(total).toBeCloseTo(d + a, 6);
    const [, d2, a2] = run(2, 0.8);
    expect(d2).toBeCloseTo(2 * d, 5);
    expect(a2).toBeCloseTo(2 * a, 5);
    // no auxiliary head: the decode loss alone
    const solo = createSegmentorLoss({ segmentor: { spec, auxiliaryHeads: [] }, loss });
    const parts = solo([decode], labels);
    expect(parts.aux).toBeUndefined();
    expect(parts.total.dataSync()[0]).toBeCloseTo(d, 6);
    expect(() => solo([decode, aux], labels)).toThrow(/2 outputs; expected decode \+ 0 auxiliary/);
    tf.dispose([decode, aux, labels, parts.total]);
  });
});
