// Files written by PyTorch's own torch.save (scripts/gen_pth_fixtures.py, Debian torch 1.13):
// every format gives the tensors torch wrote, byte for byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type TensorEntry, typedArrayFromBytes } from '../tensor-entry.js';
import { detectWeightsFileKind, readPth } from './read-pth.js';

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const expectedOf = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as {
    keys: string[];
    tensors: Record<string, { dtype: string; shape: number[]; hex: string }>;
  };

const hex = (e: TensorEntry) =>
  Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('hex');

describe('readPth on torch.save files', () => {
  const expected = expectedOf('tensors-expected.json');

  it.each([
    ['tensors.pth', 'zip'],
    ['tensors-legacy.pth', 'legacy'],
    ['tensors-p4.pth', 'zip'],
    ['tensors-deflated.pth', 'zip'],
  ])('%s (%s) gives every tensor torch wrote, in order, byte for byte', (name, format) => {
    const file = readPth(fixture(name), { source: name });
    expect(file.format).toBe(format);
    expect(file.stateDictKey).toBe('');
    expect([...file.tensors.keys()]).toEqual(expected.keys);
    for (const [k, want] of Object.entries(expected.tensors)) {
      const got = file.tensors.get(k)!;
      expect({ key: k, dtype: got.dtype, shape: got.shape }).toEqual({
        key: k,
        dtype: want.dtype,
        shape: want.shape,
      });
      expect(hex(got), k).toBe(want.hex);
      // the typed array matches its dtype and owns an aligned buffer
      expect(got.data.constructor).toBe(
        typedArrayFromBytes(got.dtype, new Uint8Array(0)).constructor,
      );
    }
    expect(file.nonTensorKeys).toEqual([]);
    expect(file.extras).toEqual({});
  });

  it('decodes values of the special cases (views, 0-dim, empty, f16/bf16, i64)', () => {
    const t = readPth(fixture('tensors.pth')).tensors;
    // base = arange(24).reshape(4, 6): transposed, sliced [1:, ::2], expanded stride 0
    expect(Array.from(t.get('transposed')!.data as Float32Array).slice(0, 5)).toEqual([
      0, 6, 12, 18, 1,
    ]);
    expect(t.get('sliced')!.shape).toEqual([3, 3]);
    expect(Array.from(t.get('sliced')!.data as Float32Array)).toEqual([
      6, 8, 10, 12, 14, 16, 18, 20, 22,
    ]);
    expect(Array.from(t.get('expanded')!.data as Float32Array)).toEqual([1, 2, 3, 1, 2, 3]);
    expect(t.get('scalar')!).toMatchObject({ dtype: 'F32', shape: [] });
    expect(Array.from(t.get('scalar')!.data as Float32Array)).toEqual([2.5]);
    expect(t.get('empty')!).toMatchObject({ dtype: 'F32', shape: [0, 3] });
    expect(t.get('empty')!.data.length).toBe(0);
    expect(Array.from(t.get('f16')!.data as Uint16Array)).toEqual([
      0x3c00, 0xb800, 0x7bff, 0x03ff, 0x0001, 0x7c00,
    ]);
    expect(Array.from(t.get('bf16')!.data as Uint16Array)[0]).toBe(0x3fc0);
    expect(Array.from(t.get('i64')!.data as BigInt64Array)).toEqual([
      7n,
      -(2n ** 40n),
      2n ** 62n,
      -1n,
    ]);
    expect(Array.from(t.get('bool')!.data as Uint8Array)).toEqual([1, 0, 1]);
    expect(Array.from(t.get('param')!.data as Float32Array)).toEqual([0.25, -4]);
  });

  it('reads an mmseg checkpoint: state_dict as tensors, meta and optimizer as plain data', () => {
    const want = expectedOf('mmseg-checkpoint-expected.json');
    const file = readPth(fixture('mmseg-checkpoint.pth'), { source: 'iter_40000.pth' });
    expect(file.stateDictKey).toBe('state_dict');
    expect([...file.tensors.keys()]).toEqual(want.keys);
    for (const [k, e] of Object.entries(want.tensors))
      expect(hex(file.tensors.get(k)!), k).toBe(e.hex);
    const meta = file.extras.meta as Record<string, unknown>;
    expect(meta).toMatchObject({
      mmseg_version: '0.30.0+unknown',
      seed: 2 ** 40 + 3,
      iter: 40000,
      CLASSES: ['background', 'skin', 'nose'],
      PALETTE: [
        [0, 0, 0],
        [204, 0, 0],
        [76, 153, 0],
      ],
      hook_msgs: { last_ckpt: '/work/iter_40000.pth', best_score: 0.7712 },
      lr: Number.POSITIVE_INFINITY,
      input_shape: [2, 3],
      dtype: 'torch.float16',
      device: 'cuda:0',
    });
    expect(meta.config).toContain("model = dict(type='EncoderDecoder')");
    expect(meta.blob).toEqual(new Uint8Array([0, 255, ...Buffer.from('bytes')]));
    expect(new Set(meta.flags as unknown[])).toEqual(new Set([true, null]));
    // SGD state: integer keys (a Map), momentum buffers summarised, not read
    const opt = file.extras.optimizer as { state: Map<number, unknown>; param_groups: unknown[] };
    expect(opt.param_groups).toEqual([
      expect.objectContaining({ lr: 0.01, momentum: 0.9, params: [0, 1] }),
    ]);
    expect([...opt.state.keys()]).toEqual([0, 1]);
    expect(opt.state.get(1)).toEqual({ momentum_buffer: { dtype: 'F32', shape: [19, 2, 1, 1] } });
  });

  it('refuses a global outside the allowed list, naming it; skip mode reads around it', () => {
    const bytes = fixture('meta-namespace.pth');
    expect(() => readPth(bytes, { source: 'ckpt.pth' })).toThrow(
      /^ckpt\.pth: pth: refused global argparse\.Namespace: .*unknownGlobals: 'skip'/,
    );
    const file = readPth(bytes, { unknownGlobals: 'skip' });
    expect(file.skippedGlobals).toEqual(['argparse.Namespace']);
    expect(file.extras).toEqual({ args: { skippedGlobal: 'argparse.Namespace' } });
    expect([...file.tensors.keys()]).toEqual(['w']);
  });

  it('picks the state dict by stateDictKey, and lists the top-level keys when it names none', () => {
    const bytes = fixture('mmseg-checkpoint.pth');
    expect(readPth(bytes, { stateDictKey: 'state_dict' }).tensors.size).toBe(8);
    expect(() => readPth(bytes, { stateDictKey: 'ema', source: 'c.pth' })).toThrow(
      `c.pth: pth: stateDictKey "ema" names no entry; the top-level keys are "meta, state_dict, optimizer"`,
    );
    // SGD state holds dicts of tensors, not tensors
    expect(() => readPth(bytes, { stateDictKey: 'optimizer.state' })).toThrow(
      /found no tensors in 'optimizer.state'/,
    );
  });

  it('tells the file kinds apart by content', () => {
    expect(detectWeightsFileKind(fixture('tensors.pth'))).toBe('pth-zip');
    expect(detectWeightsFileKind(fixture('tensors-legacy.pth'))).toBe('pth-legacy');
    expect(
      detectWeightsFileKind(
        new Uint8Array(readFileSync(new URL('../fixtures/hand.safetensors', import.meta.url))),
      ),
    ).toBe('safetensors');
    expect(detectWeightsFileKind(new Uint8Array([1, 2, 3]))).toBe('unknown');
    expect(() =>
      readPth(
        new Uint8Array(readFileSync(new URL('../fixtures/hand.safetensors', import.meta.url))),
        { source: 'w.pth' },
      ),
    ).toThrow('w.pth: pth: this is a safetensors file, not a .pth: read it with readSafetensors');
    expect(() => readPth(new TextEncoder().encode('hello world, not weights'))).toThrow(
      /^pth: not a PyTorch checkpoint .* starts with b'hello world, not'$/,
    );
  });

  it('validates its options', () => {
    const bytes = fixture('tensors.pth');
    expect(() => readPth(bytes, { maxBytes: -1 })).toThrow(
      'maxBytes must be a positive integer, got -1',
    );
    expect(() => readPth(bytes, { unknownGlobals: 'run' as 'skip' })).toThrow(
      `unknownGlobals must be 'error' or 'skip', got "run"`,
    );
    expect(() => readPth(bytes, { strict: true } as never)).toThrow("unknown option 'strict'");
  });
});
