import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { decodeImage, encodeRgbPng } from '@facepar/celebamask-data';
import { readNpy, readSafetensors, toFloat32, writeNpy, writeSafetensors } from '@facepar/core';
import { createSegmentor, exportSegmentorWeights, resizeLogits } from '@facepar/heads';
import { decodeLabelPng } from '@facepar/metrics';
import { packageFixture } from '@facepar/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../args.js';
import { createConvertCommand } from './convert.js';
import { createPredictCommand } from './predict.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facepar-predict-'));
const file = (n: string) => path.join(dir, n);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  const code = await createPredictCommand({ out: (l) => lines.push(l) }).run([
    ...argv,
    ...(argv.includes('--backend') ? [] : ['--backend', 'cpu']),
  ]);
  expect(code).toBe(0);
  return lines;
}
const npy = (p: string) => readNpy(new Uint8Array(fs.readFileSync(p)));
const THIN = ['--model', 'deeplabv3plus_r18-d16-thin'];

let expected: { logits: Float32Array; labels: Int32Array };
const H = 40;
const W = 36;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const seg = createSegmentor({ model: 'deeplabv3plus_r18-d16-thin', seed: 21 });
  fs.writeFileSync(file('w.safetensors'), writeSafetensors(exportSegmentorWeights(seg)));
  const nhwc = tf.randomNormal([1, H, W, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const nchw = tf.transpose(nhwc, [0, 3, 1, 2]);
  const write = async (name: string, t: tf.Tensor, shape: number[]) =>
    fs.writeFileSync(file(name), writeNpy({ shape, data: (await t.data()) as Float32Array }));
  await write('x-nchw.npy', nchw, [1, 3, H, W]);
  await write('x-nhwc.npy', nhwc, [1, H, W, 3]);
  const dec = (seg.model.predict(nhwc) as tf.Tensor4D[])[0]!;
  const up = resizeLogits({ logits: dec, size: [H, W] });
  const logits = tf.transpose(up, [0, 3, 1, 2]);
  const labels = tf.argMax(up, -1);
  expected = {
    logits: (await logits.data()) as Float32Array,
    labels: (await labels.data()) as Int32Array,
  };
  tf.dispose([nhwc, nchw, dec, up, logits, labels]);
  seg.dispose();
});

describe('facepar predict', () => {
  it('many inputs in one process: <stem>.png labels and whole-image NCHW logits equal to the model', async () => {
    const out = file('npy-out');
    const lines = await run([
      ...[...THIN, '--weights', file('w.safetensors'), '--out', out, '--logits'],
      ...['--input', file('x-nchw.npy'), file('x-nhwc.npy')],
    ]);
    expect(lines.at(-1)).toMatch(/^2 inputs -> .*npy-out \(deeplabv3plus_r18-d16-thin, test /);
    const a = npy(path.join(out, 'x-nchw_logits.npy'));
    const b = npy(path.join(out, 'x-nhwc_logits.npy'));
    expect(a.shape).toEqual([1, 19, H, W]);
    let err = 0;
    for (let i = 0; i < expected.logits.length; i++) {
      err = Math.max(err, Math.abs((a.data as Float32Array)[i]! - expected.logits[i]!));
    }
    expect(err).toBeLessThan(1e-5);
    expect(Array.from(b.data as Float32Array)).toEqual(Array.from(a.data as Float32Array));
    const mask = decodeLabelPng(new Uint8Array(fs.readFileSync(path.join(out, 'x-nchw.png'))));
    expect([mask.width, mask.height]).toEqual([W, H]);
    expect(Array.from(mask.labels)).toEqual(Array.from(expected.labels));
  });

  it('a folder of photos, and a glob: labels and overlays (flip TTA) for each', async () => {
    const photos = file('photos');
    fs.mkdirSync(photos);
    for (const [k, name] of ['a.png', 'b.png'].entries()) {
      const rgb = new Uint8Array(W * H * 3).map((_, i) => (i * (37 + k)) % 256);
      fs.writeFileSync(path.join(photos, name), encodeRgbPng({ rgb, width: W, height: H }));
    }
    const base = [...THIN, '--weights', file('w.safetensors'), '--flip', '--overlay'];
    await run([...base, '--input', photos, '--out', file('folder-out')]);
    expect(fs.readdirSync(file('folder-out')).sort()).toEqual([
      'a.png',
      'a_overlay.png',
      'b.png',
      'b_overlay.png',
    ]);
    const overlay = await decodeImage({ bytes: path.join(file('folder-out'), 'a_overlay.png') });
    expect([overlay.width, overlay.height]).toEqual([W, H]);
    await run([...base, '--input', path.join(photos, 'b.*'), '--out', file('glob-out')]);
    expect(fs.readdirSync(file('glob-out')).sort()).toEqual(['b.png', 'b_overlay.png']);
    expect(fs.readFileSync(path.join(file('glob-out'), 'b.png'))).toEqual(
      fs.readFileSync(path.join(file('folder-out'), 'b.png')),
    );
  });

  it('a .pth gives the logits of the same weights as safetensors (and PyTorch within 1e-4)', async () => {
    const pth = packageFixture({ pkg: 'heads', name: 'deeplab-w32.pth' });
    const golden = readSafetensors(
      new Uint8Array(
        fs.readFileSync(packageFixture({ pkg: 'heads', name: 'deeplab-w32-golden.safetensors' })),
      ),
    ).tensors;
    const input = golden.get('golden.input')!; // NCHW [1, 3, 32, 32]
    fs.writeFileSync(file('golden.npy'), writeNpy({ shape: input.shape, data: toFloat32(input) }));
    const converted = file('w32.safetensors');
    const convert = createConvertCommand({ out: () => {} });
    expect(await convert.run([pth, converted])).toBe(0);
    const model = ['--model', 'deeplabv3plus_r50-d8@x0.03125'];
    const logits: Float32Array[] = [];
    for (const weights of [pth, converted]) {
      const out = file(`w32-${path.basename(weights)}`);
      await run([
        ...model,
        '--weights',
        weights,
        '--input',
        file('golden.npy'),
        '--out',
        out,
        '--logits',
      ]);
      logits.push(npy(path.join(out, 'golden_logits.npy')).data as Float32Array);
    }
    expect(Buffer.from(logits[0]!.buffer).equals(Buffer.from(logits[1]!.buffer))).toBe(true);
    const want = toFloat32(golden.get('golden.seg_logits')!);
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(logits[0]![i]! - want[i]!));
    expect(err).toBeLessThan(1e-4);
    // a plain state dict says what it needs
    await expect(
      run(['--weights', pth, '--input', file('golden.npy'), '--out', file('no-model')]),
    ).rejects.toThrow(/plain state dict and needs the model name.*pass --model NAME/);
    await expect(convert.run([pth])).rejects.toThrow(UsageError);
  });

  it('fails strictly when the weights do not fit the model', async () => {
    await expect(
      run([
        ...[...THIN, '--num-classes', '5', '--weights', file('w.safetensors')],
        ...['--input', file('x-nchw.npy'), '--out', file('z')],
      ]),
    ).rejects.toThrow(/mismatched \(2\): decode_head.conv_seg.weight/);
    await expect(
      run([...THIN, '--weights', file('w.safetensors'), '--input', file('nope'), '--out', dir]),
    ).rejects.toThrow(/input .*nope does not exist/);
  });
});
