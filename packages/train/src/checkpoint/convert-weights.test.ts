import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, readPth, readSafetensors } from '@facepar/core';
import { openSegmentor } from '@facepar/heads';
import { packageFixture } from '@facepar/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertWeightsFile } from './convert-weights.js';

const input = packageFixture({ pkg: 'heads', name: 'deeplab-w32.pth' });
const dir = mkdtempSync(join(tmpdir(), 'facepar-convert-'));
const read = (p: string) => new Uint8Array(readFileSync(p));
const raw = (e: { data: ArrayBufferView }) =>
  Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('convertWeightsFile', () => {
  it('writes the state dict as safetensors, tensor for tensor, with the mmseg meta', async () => {
    const output = join(dir, 'plain.safetensors');
    const line = await convertWeightsFile({ input, output });
    expect(line).toMatch(/\(zip, state dict 'state_dict'\) -> .*plain\.safetensors: \d+ tensors/);
    const pth = readPth(read(input)).tensors;
    const st = readSafetensors(read(output));
    expect([...st.tensors.keys()]).toEqual([...pth.keys()]);
    for (const [k, v] of pth) expect(raw(st.tensors.get(k)!).equals(raw(v)), k).toBe(true);
    expect(JSON.parse(st.metadata['pth.meta']!)).toMatchObject({ iter: 40000 });
  });

  it('with a model: a facepar checkpoint that opens without naming the model', async () => {
    const output = join(dir, 'ckpt.safetensors');
    const model = 'deeplabv3plus_r50-d8@x0.03125';
    expect(await convertWeightsFile({ input, output, model })).toMatch(/a .*@x0.03125 checkpoint/);
    const seg = openSegmentor(read(output));
    expect(seg.spec.name).toBe(model);
    seg.dispose();
    await expect(
      convertWeightsFile({
        input,
        output: join(dir, 'bad.safetensors'),
        model: 'deeplabv3plus_r18-d16-thin',
      }),
    ).rejects.toThrow(/deeplab-w32\.pth/);
  });
});
