// Hostile and broken inputs: each is refused with a PthError, quickly, and nothing named in
// the file ever runs (the unpickler has no way to call a name it does not implement).
import { existsSync, readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { PthError } from './pth-error.js';
import { readPth } from './read-pth.js';
import { crc32 } from './zip.js';

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const CANARY = 'facepar-pth-canary-should-not-exist';

// ---- a tiny pickle assembler (protocol 2 opcodes, as torch.save writes them)
type Op = ArrayLike<number> & Iterable<number>;
const enc = new TextEncoder();
const i32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const P = {
  proto: [0x80, 2],
  stop: [0x2e],
  mark: [0x28],
  tuple: [0x74],
  tuple1: [0x85],
  emptyTuple: [0x29],
  emptyDict: [0x7d],
  emptyList: [0x5d],
  append: [0x61],
  setitem: [0x73],
  reduce: [0x52],
  build: [0x62],
  persid: [0x51],
  none: [0x4e],
  false: [0x89],
  global: (m: string, n: string) => [0x63, ...enc.encode(`${m}\n${n}\n`)],
  str: (s: string) => {
    const b = enc.encode(s);
    return [0x58, ...i32(b.length), ...b];
  },
  int: (v: number) => [0x4a, ...i32(v)],
  long: (v: bigint) => {
    const b: number[] = [];
    let x = v;
    for (let k = 0; k < 9; k++, x >>= 8n) b.push(Number(x & 0xffn));
    return [0x8a, b.length, ...b];
  },
  float: (v: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    return [0x47, ...b];
  },
  put: (i: number) => [0x72, ...i32(i)],
  get: (i: number) => [0x6a, ...i32(i)],
};
const cat = (...ops: Op[]) => new Uint8Array(ops.flatMap((o) => Array.from(o)));
const ints = (xs: Op[]) => [...P.mark, ...xs.flatMap((o) => Array.from(o)), ...P.tuple];

/** `_rebuild_tensor_v2(storage(key, numel), offset, size, stride, False, OrderedDict())` */
function tensorOps(o: {
  key?: string;
  numel: Op;
  offset?: Op;
  size: Op[];
  stride: Op[];
  storage?: Op;
}): Op {
  return [
    ...P.global('torch._utils', '_rebuild_tensor_v2'),
    ...P.mark,
    ...P.mark,
    ...P.str('storage'),
    ...(o.storage ?? P.global('torch', 'FloatStorage')),
    ...P.str(o.key ?? '0'),
    ...P.str('cpu'),
    ...o.numel,
    ...P.tuple,
    ...P.persid,
    ...(o.offset ?? P.int(0)),
    ...ints(o.size),
    ...ints(o.stride),
    ...P.false,
    ...P.global('collections', 'OrderedDict'),
    ...P.emptyTuple,
    ...P.reduce,
    ...P.tuple,
    ...P.reduce,
  ];
}
const stateDict = (entries: [string, Op][]) =>
  cat(P.proto, P.emptyDict, ...entries.map(([k, v]) => [...P.str(k), ...v, ...P.setitem]), P.stop);

// ---- a tiny zip writer (stored entries, or deflated with a declared size of our choosing)
interface ZipIn {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  declaredSize?: number;
  flags?: number;
  method?: number;
}
/** Stored (or deflated) entries; `zip64` writes the sizes and offsets in zip64 records only. */
function zip(files: ZipIn[], { zip64 = false } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let at = 0;
  const put = (list: Uint8Array[], ...chunks: ArrayLike<number>[]) => {
    for (const c of chunks) {
      const u = c instanceof Uint8Array ? c : new Uint8Array(Array.from(c));
      list.push(u);
      if (list === parts) at += u.length;
    }
  };
  const u16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
  const u64 = (v: number) => [...i32(v % 2 ** 32), ...i32(Math.floor(v / 2 ** 32))];
  const SAT = 0xffffffff;
  for (const f of files) {
    const body = f.deflate ? new Uint8Array(deflateRawSync(f.data)) : f.data;
    const name = enc.encode(f.name);
    const method = f.method ?? (f.deflate ? 8 : 0);
    const size = f.declaredSize ?? f.data.length;
    const head = (comp: number, unc: number, extra: number) => [
      ...u16(20),
      ...u16(f.flags ?? 0),
      ...u16(method),
      0,
      0,
      0,
      0,
      ...i32(crc32(f.data)),
      ...i32(comp),
      ...i32(unc),
      ...u16(name.length),
      ...u16(extra),
    ];
    const offset = at;
    put(parts, i32(0x04034b50), head(body.length, size, 0), name, body);
    if (zip64) {
      const extra = [...u16(1), ...u16(24), ...u64(size), ...u64(body.length), ...u64(offset)];
      put(
        central,
        i32(0x02014b50),
        u16(45),
        head(SAT, SAT, extra.length),
        u16(0),
        u16(0),
        u16(0),
        i32(0),
        i32(SAT),
        name,
        extra,
      );
    } else {
      put(
        central,
        i32(0x02014b50),
        u16(20),
        head(body.length, size, 0),
        u16(0),
        u16(0),
        u16(0),
        i32(0),
        i32(offset),
        name,
      );
    }
  }
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const cdOffset = at;
  put(parts, ...central);
  const n = files.length;
  if (zip64) {
    const eocd64 = at;
    put(
      parts,
      i32(0x06064b50),
      u64(44),
      u16(45),
      u16(45),
      i32(0),
      i32(0),
      u64(n),
      u64(n),
      u64(cdSize),
      u64(cdOffset),
    );
    put(parts, i32(0x07064b50), i32(0), u64(eocd64), i32(1));
    put(parts, i32(0x06054b50), [0, 0, 0, 0], u16(0xffff), u16(0xffff), i32(SAT), i32(SAT), [0, 0]);
  } else {
    put(parts, i32(0x06054b50), [0, 0, 0, 0], u16(n), u16(n), i32(cdSize), i32(cdOffset), [0, 0]);
  }
  const out = new Uint8Array(at);
  let p = 0;
  for (const c of parts) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}
const torchZip = (
  pkl: Uint8Array,
  storages: Record<string, Uint8Array> = {},
  extra: ZipIn[] = [],
  options: { zip64?: boolean } = {},
) =>
  zip(
    [
      { name: 'archive/data.pkl', data: pkl },
      ...Object.entries(storages).map(([k, data]) => ({ name: `archive/data/${k}`, data })),
      { name: 'archive/version', data: enc.encode('3\n') },
      ...extra,
    ],
    options,
  );
const floats = (n: number) => new Uint8Array(new Float32Array(n).map((_, i) => i).buffer);

/** Reads and returns the error, asserting it is a PthError that came within 1 s. */
function refusal(bytes: Uint8Array, options: Parameters<typeof readPth>[1] = {}): string {
  const t0 = performance.now();
  let error: unknown;
  try {
    readPth(bytes, { source: 'evil.pth', ...options });
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  expect(error, 'the file was accepted').toBeInstanceOf(PthError);
  expect(ms).toBeLessThan(1000);
  if (process.env.PTH_TIMINGS)
    console.log(`${ms.toFixed(1)} ms`, (error as Error).message.slice(0, 90));
  const message = (error as Error).message;
  expect(message.startsWith('evil.pth: pth: ')).toBe(true);
  return message;
}

afterAll(() => {
  expect(existsSync(CANARY)).toBe(false);
});

describe('the crafted helpers make files readPth accepts', () => {
  it('a well-formed tensor round-trips, so the hostile variants below differ only in the defect', () => {
    const pkl = stateDict([
      [
        'w',
        tensorOps({ numel: P.int(6), size: [P.int(2), P.int(3)], stride: [P.int(3), P.int(1)] }),
      ],
    ]);
    const file = readPth(torchZip(pkl, { '0': floats(6) }));
    expect(Array.from(file.tensors.get('w')!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    // a big-endian archive (byteorder record) is byte-swapped
    const be = new Uint8Array(floats(6));
    for (let i = 0; i < be.length; i += 4) be.subarray(i, i + 4).reverse();
    const swapped = readPth(
      torchZip(pkl, { '0': be }, [{ name: 'archive/byteorder', data: enc.encode('big') }]),
    );
    expect(Array.from(swapped.tensors.get('w')!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    // zip64 records (what miniz writes for archives over 4 GB) give the same
    const z64 = readPth(torchZip(pkl, { '0': floats(6) }, [], { zip64: true }));
    expect(Array.from(z64.tensors.get('w')!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('code-execution payloads are refused without running', () => {
  it.each([
    ['hostile-system.pth', /refused global posix\.system: the pickle asks to call code/],
    ['hostile-eval-legacy.pth', /refused global __builtin__\.eval: the pickle asks to call code/],
  ])('%s (made by torch.save) is refused, also with unknownGlobals: skip', (name, pattern) => {
    expect(refusal(fixture(name))).toMatch(pattern);
    expect(refusal(fixture(name), { unknownGlobals: 'skip' })).toMatch(pattern);
  });

  it.each([
    [
      'GLOBAL os.system',
      cat(P.proto, P.global('os', 'system'), P.str(`touch ${CANARY}`), P.tuple1, P.reduce, P.stop),
      /refused global os\.system/,
    ],
    [
      'GLOBAL subprocess.Popen',
      cat(P.proto, P.global('subprocess', 'Popen'), P.stop),
      /refused global subprocess\.Popen/,
    ],
    [
      'GLOBAL builtins.getattr',
      cat(P.proto, P.global('builtins', 'getattr'), P.stop),
      /refused global builtins\.getattr/,
    ],
    [
      'STACK_GLOBAL builtins.exec',
      cat(
        [0x80, 4],
        [0x8c, 8],
        enc.encode('builtins'),
        [0x8c, 4],
        enc.encode('exec'),
        [0x93],
        P.stop,
      ),
      /refused global builtins\.exec/,
    ],
    [
      'INST os.system',
      cat(P.proto, P.mark, P.str('id'), [0x69], enc.encode('os\nsystem\n'), P.stop),
      /refused global os\.system/,
    ],
    [
      'REDUCE on a string',
      cat(P.proto, P.str('posix.system'), P.emptyTuple, P.reduce, P.stop),
      /REDUCE on str, which is not an allowed callable/,
    ],
    ['EXT1', cat(P.proto, [0x82, 1], P.stop), /EXT opcodes/],
    [
      'a module persistent id',
      cat(P.proto, P.str('module'), P.tuple1, P.persid, P.stop),
      /pickles a whole nn\.Module/,
    ],
    [
      'BUILD on a tensor',
      cat(
        P.proto,
        P.emptyDict,
        P.str('w'),
        tensorOps({ numel: P.int(1), size: [], stride: [] }),
        P.emptyDict,
        P.build,
        P.setitem,
        P.stop,
      ),
      /BUILD \(setting state\) on torch\.Tensor is not allowed/,
    ],
  ])('%s', (_name, pkl, pattern) => {
    const bytes = torchZip(pkl, { '0': floats(1) });
    expect(refusal(bytes)).toMatch(pattern);
    expect(refusal(bytes, { unknownGlobals: 'skip' })).toMatch(pattern);
  });
});

describe('absurd sizes are refused before anything is allocated', () => {
  const w = (
    t: Parameters<typeof tensorOps>[0],
    storages: Record<string, Uint8Array> = { '0': floats(4) },
  ) => torchZip(stateDict([['w', tensorOps(t)]]), storages);
  it.each([
    [
      'storage larger than its record',
      w({ numel: P.int(1e9), size: [P.int(4)], stride: [P.int(1)] }),
      /storage "0" holds 1000000000 F32 elements \(4000000000 bytes\) but its record is 16 bytes/,
    ],
    [
      'storage with no record',
      w({ key: '7', numel: P.int(4), size: [P.int(4)], stride: [P.int(1)] }),
      /storage "7" has no record "archive\/data\/7"/,
    ],
    [
      'negative size',
      w({ numel: P.int(4), size: [P.int(-1)], stride: [P.int(1)] }),
      /tensor size\[0\] must be a non-negative integer, got int -1/,
    ],
    [
      'numel overflow',
      w({
        numel: P.int(4),
        size: [P.long(2n ** 40n), P.long(2n ** 40n)],
        stride: [P.int(0), P.int(0)],
      }),
      /tensor size \[1099511627776, 1099511627776\] overflows/,
    ],
    [
      'view past the storage',
      w({ numel: P.int(4), size: [P.int(4)], stride: [P.int(2)] }),
      /reads element 6 of a 4-element storage/,
    ],
    [
      'offset past the storage',
      w({ numel: P.int(4), offset: P.int(9), size: [P.int(0)], stride: [P.int(1)] }),
      /offset 9 lies past its 4-element storage/,
    ],
    [
      'infinite size',
      w({ numel: P.int(4), size: [P.float(Number.POSITIVE_INFINITY)], stride: [P.int(1)] }),
      /tensor size\[0\] must be a non-negative integer, got float Infinity/,
    ],
    [
      'NaN size',
      w({ numel: P.int(4), size: [P.float(Number.NaN)], stride: [P.int(1)] }),
      /got float NaN/,
    ],
    [
      'NaN storage size',
      w({ numel: P.float(Number.NaN), size: [P.int(1)], stride: [P.int(1)] }),
      /storage "0": size NaN is not a non-negative integer/,
    ],
    [
      'stride-0 expansion to 4 GB',
      w({ numel: P.int(4), size: [P.long(2n ** 30n)], stride: [P.int(0)] }),
      /tensor "w" \(1073741824 F32 elements\) would bring .* over the \d+-byte limit/,
    ],
    [
      'BINUNICODE longer than the file',
      torchZip(cat(P.proto, [0x58, 0xff, 0xff, 0xff, 0xff], P.stop)),
      /BINUNICODE needs 4294967295 bytes but the pickle ends/,
    ],
    [
      'BINUNICODE8 of 2^60 bytes',
      torchZip(cat([0x80, 4], [0x8d, 0, 0, 0, 0, 0, 0, 0, 0x10], P.stop)),
      /length 1152921504606846976 is larger than the/,
    ],
    [
      'a 2 GB LONG4',
      torchZip(cat(P.proto, [0x8b, 0xff, 0xff, 0xff, 0x7f], new Uint8Array(2000), P.stop)),
      /integer of 1025 bytes is too large/,
    ],
  ])('%s', (_name, bytes, pattern) => {
    expect(refusal(bytes)).toMatch(pattern);
  });
  it.each([
    [
      'collections',
      'OrderedDict',
      /storage type must be an allowed storage class, got collections\.OrderedDict/,
    ],
    ['torch', 'ComplexFloatStorage', /ComplexFloatStorage tensors are not supported/],
    ['torch', 'QInt8Storage', /QInt8Storage tensors are not supported/],
  ])('storage type %s.%s', (module, name, pattern) => {
    const storage = P.global(module, name);
    expect(refusal(w({ numel: P.int(4), size: [P.int(4)], stride: [P.int(1)], storage }))).toMatch(
      pattern,
    );
  });
});

describe('recursion, memo and reference bombs are bounded', () => {
  const valid = [
    ...P.str('state_dict'),
    ...P.emptyDict,
    ...P.str('w'),
    ...tensorOps({ numel: P.int(1), size: [], stride: [] }),
    ...P.setitem,
    ...P.setitem,
  ];
  const ckpt = (meta: Op) =>
    torchZip(cat(P.proto, P.emptyDict, valid, P.str('meta'), meta, P.setitem, P.stop), {
      '0': floats(1),
    });

  it('100,000 nested MARKs', () => {
    expect(refusal(torchZip(cat(P.proto, new Array(100_000).fill(0x28), P.stop)))).toMatch(
      /MARK nesting deeper than 200/,
    );
  });
  it('a list nested 100,000 deep (no MARKs)', () => {
    const deep = [...new Array(100_000).fill(0x5d), ...new Array(99_999).fill(0x61)];
    expect(refusal(ckpt(deep))).toMatch(/containers nest deeper than 200 levels/);
  });
  it('a dict key nested 100,000 tuples deep', () => {
    const key = [...P.none, ...new Array(100_000).fill(0x85)];
    expect(refusal(torchZip(cat(P.proto, P.emptyDict, key, P.none, P.setitem, P.stop)))).toMatch(
      /a dict key is a tuple nesting deeper than 32 levels/,
    );
  });
  it('a list that contains itself', () => {
    expect(refusal(ckpt([...P.emptyList, ...P.put(0), ...P.get(0), ...P.append]))).toMatch(
      /a container contains itself \(a reference cycle\)/,
    );
  });
  it('a billion laughs of shared references', () => {
    // L0 = []; Lk = [L(k-1)] * 10 through the memo: 10^9 leaves from a few hundred bytes
    const ops: number[] = [...P.emptyList, ...P.put(0), 0x30];
    for (let k = 1; k <= 9; k++) {
      ops.push(...P.emptyList, ...P.mark);
      for (let j = 0; j < 10; j++) ops.push(...P.get(k - 1));
      ops.push(0x65, ...P.put(k), 0x30);
    }
    ops.push(...P.get(9));
    const bytes = ckpt(ops);
    expect(bytes.length).toBeLessThan(2000);
    expect(refusal(bytes)).toMatch(
      /expand to more than 2000000 values \(shared references: a "billion laughs" pickle\?\)/,
    );
  });
  it('memo indices that were never stored, and huge ones', () => {
    expect(refusal(torchZip(cat(P.proto, P.get(0xfffffff0), P.stop)))).toMatch(
      /memo index 4294967280 was never stored/,
    );
    // storing under huge indices costs nothing (a map, not an array)
    const puts = cat(
      P.proto,
      P.none,
      ...Array.from({ length: 1000 }, (_, i) => P.put(0xffffffff - i)),
      P.stop,
    );
    expect(refusal(torchZip(puts))).toMatch(/the top-level object is a None/);
  });
  it('object count beyond maxObjects', () => {
    const many = torchZip(cat(P.proto, new Array(5000).fill(0x5d), P.stop));
    expect(refusal(many, { maxObjects: 1000 })).toMatch(/builds more than 1000 objects/);
  });
});

describe('broken archives', () => {
  it('every truncation of a torch.save zip and a legacy file is refused', () => {
    for (const name of ['tensors.pth', 'tensors-legacy.pth']) {
      const bytes = fixture(name);
      for (let cut = 0; cut < bytes.length; cut += 53) refusal(bytes.subarray(0, cut));
      refusal(bytes.subarray(0, bytes.length - 1));
    }
  });
  it('a flipped data byte fails the CRC check', () => {
    const bytes = fixture('tensors.pth').slice();
    // inside the first storage record: f32 = [[1.5, -2.25, ...]]
    const at = Buffer.from(bytes).indexOf(Buffer.from(new Float32Array([1.5, -2.25]).buffer));
    expect(at).toBeGreaterThan(0);
    bytes[at + 5] ^= 0x40;
    expect(refusal(bytes)).toMatch(/CRC-32 mismatch/);
  });
  it('a deflated entry inflating past its declared size (zip bomb)', () => {
    const pkl = stateDict([]);
    const padded = new Uint8Array(1 << 20);
    padded.set(pkl);
    const bytes = zip([
      { name: 'a/data.pkl', data: padded, deflate: true, declaredSize: pkl.length },
    ]);
    expect(bytes.length).toBeLessThan(3000);
    expect(refusal(bytes)).toMatch(
      /zip entry 'a\/data\.pkl': deflate stream inflates beyond the declared \d+ bytes/,
    );
  });
  it('a deflated entry declaring 4 GB', () => {
    const bytes = zip([
      { name: 'a/data.pkl', data: stateDict([]), deflate: true, declaredSize: 0xfffffff0 },
    ]);
    expect(refusal(bytes)).toMatch(
      /inflating zip entry 'a\/data\.pkl' would bring .* to 4294967280 bytes, over the \d+-byte limit/,
    );
  });
  it.each([
    [
      'encrypted',
      [{ name: 'a/data.pkl', data: stateDict([]), flags: 1 }],
      /zip entry 'a\/data\.pkl' is encrypted/,
    ],
    [
      'bzip2',
      [{ name: 'a/data.pkl', data: stateDict([]), method: 12 }],
      /uses compression method 12/,
    ],
    [
      'two data.pkl',
      [
        { name: 'a/data.pkl', data: stateDict([]) },
        { name: 'b/data.pkl', data: stateDict([]) },
      ],
      /has 2 data\.pkl records/,
    ],
    [
      'the same name twice',
      [
        { name: 'a/data.pkl', data: stateDict([]) },
        { name: 'a/data.pkl', data: stateDict([]) },
      ],
      /holds 'a\/data\.pkl' twice/,
    ],
    [
      'TorchScript',
      [
        { name: 'm/constants.pkl', data: stateDict([]) },
        { name: 'm/code/m.py', data: enc.encode('x') },
      ],
      /TorchScript archive \(torch\.jit\.save\)/,
    ],
    [
      'no data.pkl',
      [{ name: 'readme.txt', data: enc.encode('hi') }],
      /has no <name>\/data\.pkl, so it is not a torch\.save file \(entries: "readme\.txt"\)/,
    ],
  ])('%s', (_name, files, pattern) => {
    expect(refusal(zip(files as ZipIn[]))).toMatch(pattern);
  });
  it('an archive whose central directory points past the end', () => {
    const bytes = torchZip(stateDict([])).slice();
    const v = new DataView(bytes.buffer);
    v.setUint32(bytes.length - 6, bytes.length, true); // directory offset
    expect(refusal(bytes)).toMatch(/central directory .* runs past the/);
  });
});
