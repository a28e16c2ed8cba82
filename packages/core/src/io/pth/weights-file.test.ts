import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../safetensors.js';
import { readPth } from './read-pth.js';
import { convertPthFile, pthToSafetensors, readWeights, readWeightsFile } from './weights-file.js';

const path = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const fixture = (name: string) => new Uint8Array(readFileSync(path(name)));
const dir = mkdtempSync(join(tmpdir(), 'facepar-pth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const same = (
  a: Map<string, { dtype: string; shape: number[]; data: ArrayBufferView }>,
  b: typeof a,
) => {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, v] of a) {
    const w = b.get(k)!;
    expect({ k, dtype: w.dtype, shape: w.shape }).toEqual({ k, dtype: v.dtype, shape: v.shape });
    expect(
      Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).equals(
        Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength),
      ),
      k,
    ).toBe(true);
  }
};

describe('convert .pth to safetensors', () => {
  it('writes the same tensors with the checkpoint meta as JSON metadata', async () => {
    const out = join(dir, 'ckpt.safetensors');
    const r = await convertPthFile({
      input: path('mmseg-checkpoint.pth'),
      output: out,
      metadata: { by: 'test' },
    });
    expect(r.tensors).toBe(8);
    const back = readSafetensors(new Uint8Array(readFileSync(out)));
    expect(r.bytes).toBe(readFileSync(out).length);
    same(readPth(fixture('mmseg-checkpoint.pth')).tensors, back.tensors);
    expect(back.metadata).toMatchObject({
      format: 'pt',
      'pth.format': 'zip',
      'pth.state_dict_key': 'state_dict',
      by: 'test',
    });
    const meta = JSON.parse(back.metadata['pth.meta']!);
    expect(meta).toMatchObject({
      mmseg_version: '0.30.0+unknown',
      seed: 1099511627779,
      blob: '00ff6279746573',
      lr: 'Infinity',
    });
  });

  it('converts the zip and the legacy format to the same tensors', () => {
    same(
      readSafetensors(pthToSafetensors(fixture('tensors.pth'))).tensors,
      readSafetensors(pthToSafetensors(fixture('tensors-legacy.pth'))).tensors,
    );
  });

  it('leaves nothing behind when the input is refused', async () => {
    const out = join(dir, 'evil.safetensors');
    await expect(
      convertPthFile({ input: path('hostile-system.pth'), output: out }),
    ).rejects.toThrow(/hostile-system\.pth: pth: refused global posix\.system/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('evil'))).toEqual([]);
  });
});

describe('readWeights', () => {
  it('reads safetensors and both .pth formats by content, whatever the name', async () => {
    const st = await readWeightsFile(
      new URL('../fixtures/hand.safetensors', import.meta.url).pathname,
    );
    expect(st.kind).toBe('safetensors');
    expect(st.metadata).toEqual({ format: 'pt', source: 'hand' });
    const zip = readWeights(fixture('tensors.pth'));
    const legacy = readWeights(fixture('tensors-legacy.pth'));
    expect([zip.kind, legacy.kind]).toEqual(['pth-zip', 'pth-legacy']);
    same(zip.tensors, legacy.tensors);
    expect(zip.pth?.format).toBe('zip');
  });

  it('names the file when it is neither', () => {
    expect(() => readWeights(new Uint8Array(100), { source: 'x.bin' })).toThrow(
      'x.bin: pth: neither a safetensors file nor a PyTorch checkpoint (torch.save zip or legacy pickle)',
    );
  });
});
