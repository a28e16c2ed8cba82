import '@tensorflow/tfjs-backend-cpu';
import '@facepar/core';
import { expectNoTensorLeak } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSegmentor } from './segmentor.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('segmentor as a tfjs LayersModel', () => {
  it('saves and loads with tf.loadLayersModel, predicting the same logits', async () => {
    const seg = createSegmentor({ model: 'deeplabv3plus_r18-d16-thin', numClasses: 5, seed: 4 });
    let saved: tf.io.ModelArtifacts | undefined;
    await seg.model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const topology = JSON.stringify(saved!.modelTopology);
    expect(topology).toContain('"class_name":"DepthwiseConv2d"');
    expect(topology).toContain('"name":"decode_head.aspp_modules.1.depthwise_conv.conv"');
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.layers.map((l) => l.name)).toEqual(seg.model.layers.map((l) => l.name));
    const x = tf.randomNormal([1, 40, 36, 3], 0, 1, 'float32', 9);
    const a = seg.model.predict(x) as tf.Tensor[];
    const b = loaded.predict(x) as tf.Tensor[];
    expect(b.map((t) => t.shape)).toEqual([
      [1, 10, 9, 5],
      [1, 3, 3, 5],
    ]);
    for (let i = 0; i < 2; i++) {
      const d = tf.max(tf.abs(tf.sub(a[i]!, b[i]!)));
      expect(d.dataSync()[0]).toBe(0);
      // the logits are not all equal, so the comparison means something
      const spread = tf.sub(tf.max(a[i]!), tf.min(a[i]!));
      expect(spread.dataSync()[0]).toBeGreaterThan(1e-4);
      tf.dispose([d, spread]);
    }
    await expectNoTensorLeak(() => loaded.predict(x) as tf.Tensor[]);
    tf.dispose([x, ...a, ...b]);
    for (const w of loaded.weights) w.dispose();
    seg.dispose();
  });

  it('composes with user layers (a softmax on top of the decode logits)', () => {
    const seg = createSegmentor({ model: 'deeplabv3plus_r18-d16-thin', withAuxiliary: false });
    const probs = tfl.layers
      .softmax({ axis: -1 })
      .apply(seg.model.outputs[0]!) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: seg.model.inputs, outputs: probs });
    const x = tf.randomNormal([2, 32, 32, 3]);
    const y = m.predict(x) as tf.Tensor;
    const s = tf.sum(y, -1);
    expect(s.shape).toEqual([2, 8, 8]);
    expect(Math.abs(s.dataSync()[0]! - 1)).toBeLessThan(1e-5);
    tf.dispose([x, y, s]);
    seg.dispose();
  });
});
