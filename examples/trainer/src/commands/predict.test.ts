import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { readNpy, writeNpy, writeSafetensors } from '@facepar/core';
import { decodeImage, encodeRgbPng } from '@facepar/celebamask-data';
import { createSegmentor, exportSegmentorWeights, resizeLogits } from '@facepar/heads';
import { decodeLabelPng } from '@facepar/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPredictCommand } from './predict.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-predict-'));
const file = (n: string) => path.join(dir, n);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  const code = await createPredictCommand({ out: (l) => lines.push(l) }).run(argv);
  expect(code).toBe(0);
  return lines;
}

let expected: { logits: Float32Array; labels: Int32Array };
const H = 40;
const W = 36;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const seg = createSegmentor({ model: 'deeplabv3plus_r18-d16-thin', seed: 21 });
  fs.writeFileSync(file('w.safetensors'), writeSafetensors(exportSegmentorWeights(seg)));
  const nhwc = tf.randomNormal([1, H, W, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const nchw = tf.transpose(nhwc, [0, 3, 1, 2]);
  fs.writeFileSync(
    file('x-nchw.npy'),
    writeNpy({ shape: [1, 3, H, W], data: nchw.dataSync() as Float32Array }),
  );
  fs.writeFileSync(
    file('x-nhwc.npy'),
    writeNpy({ shape: [1, H, W, 3], data: nhwc.dataSync() as Float32Array }),
  );
  const dec = (seg.model.predict(nhwc) as tf.Tensor4D[])[0]!;
  const up = resizeLogits({ logits: dec, size: [H, W] });
  expected = {
    logits: tf.transpose(up, [0, 3, 1, 2]).dataSync() as Float32Array,
    labels: tf.argMax(up, -1).dataSync() as Int32Array,
  };
  tf.dispose([nhwc, nchw, dec, up]);
  seg.dispose();
});

describe('facepar predict', () => {
  it('writes whole-image NCHW logits equal to the model (NCHW and NHWC .npy inputs) and the mask', async () => {
    const base = ['--model', 'deeplabv3plus_r18-d16-thin', '--weights', file('w.safetensors')];
    await run([
      ...base,
      '--input',
      file('x-nchw.npy'),
      '--save-logits',
      file('a.npy'),
      '--out',
      file('m.png'),
    ]);
    await run([...base, '--input', file('x-nhwc.npy'), '--save-logits', file('b.npy')]);
    const a = readNpy(new Uint8Array(fs.readFileSync(file('a.npy'))));
    const b = readNpy(new Uint8Array(fs.readFileSync(file('b.npy'))));
    expect(a.shape).toEqual([1, 19, H, W]);
    let err = 0;
    for (let i = 0; i < expected.logits.length; i++) {
      err = Math.max(err, Math.abs((a.data as Float32Array)[i]! - expected.logits[i]!));
    }
    expect(err).toBeLessThan(1e-5);
    expect(Array.from(b.data as Float32Array)).toEqual(Array.from(a.data as Float32Array));
    const mask = decodeLabelPng(new Uint8Array(fs.readFileSync(file('m.png'))));
    expect([mask.width, mask.height]).toEqual([W, H]);
    expect(Array.from(mask.labels)).toEqual(Array.from(expected.labels));
  });

  it('normalises an image input and writes an overlay PNG; flip TTA runs', async () => {
    const rgb = new Uint8Array(W * H * 3).map((_, i) => (i * 37) % 256);
    fs.writeFileSync(file('img.png'), encodeRgbPng({ rgb, width: W, height: H }));
    const back = await decodeImage({ bytes: file('img.png') });
    expect(Array.from(back.data)).toEqual(Array.from(rgb));
    const lines = await run([
      '--model',
      'deeplabv3plus_r18-d16-thin',
      '--weights',
      file('w.safetensors'),
      '--input',
      file('img.png'),
      '--overlay',
      file('o.png'),
      '--out',
      file('m2.png'),
      '--flip',
    ]);
    expect(lines.join('\n')).toMatch(/overlay 36x40/);
    const overlay = await decodeImage({ bytes: file('o.png') });
    expect([overlay.width, overlay.height]).toEqual([W, H]);
  });

  it('fails strictly when the weights do not fit the model', async () => {
    await expect(
      run([
        '--model',
        'deeplabv3plus_r18-d16-thin',
        '--num-classes',
        '5',
        '--weights',
        file('w.safetensors'),
        '--input',
        file('x-nchw.npy'),
        '--out',
        file('z.png'),
      ]),
    ).rejects.toThrow(/mismatched \(2\): decode_head.conv_seg.weight/);
  });
});
