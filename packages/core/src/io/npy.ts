/** `.npy` dtype descriptors facepar reads and writes (little-endian, C order). */
export type NpyDtype = '<f4' | '<f8' | '<i4' | '<i8' | '|u1';

export interface NpyArrays {
  '<f4': Float32Array;
  '<f8': Float64Array;
  '<i4': Int32Array;
  '<i8': BigInt64Array;
  '|u1': Uint8Array;
}

export interface NpyArray<D extends NpyDtype = NpyDtype> {
  dtype: D;
  shape: number[];
  data: NpyArrays[D];
}

const NPY_TYPES: Record<
  NpyDtype,
  { new (buffer: ArrayBuffer): NpyArrays[NpyDtype]; size: number }
> = {
  '<f4': Object.assign(Float32Array, { size: 4 }),
  '<f8': Object.assign(Float64Array, { size: 8 }),
  '<i4': Object.assign(Int32Array, { size: 4 }),
  '<i8': Object.assign(BigInt64Array, { size: 8 }),
  '|u1': Object.assign(Uint8Array, { size: 1 }),
};

// numpy spells single-byte types with either byte-order mark
const DESCR_ALIASES: Record<string, NpyDtype> = { '<u1': '|u1', u1: '|u1', '|i1': '|u1' };

export const NPY_DTYPES = Object.keys(NPY_TYPES) as NpyDtype[];
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function fail(message: string): never {
  throw new Error(`npy: ${message}`);
}

function parseHeader(text: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr == null || fortran == null || shapeText == null) {
    fail(
      `header must define 'descr', 'fortran_order' and 'shape', got ${JSON.stringify(text.trim())}`,
    );
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0)
        fail(`bad dimension ${JSON.stringify(s)} in shape (${shapeText})`);
      return n;
    });
  return { descr, fortranOrder: fortran === 'True', shape };
}

/** Parses a `.npy` file (format versions 1.0, 2.0 and 3.0), C order only. */
export function readNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    fail('not a .npy file (missing the \\x93NUMPY magic)');
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('file ends inside the header length');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    fail(`unsupported format version ${major}.${bytes[7]} (supported: 1.0, 2.0, 3.0)`);
  }
  if (headerStart + headerLen > bytes.length) {
    fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file`);
  }
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, headerStart + headerLen),
  );
  const { descr, fortranOrder, shape } = parseHeader(text);
  if (fortranOrder) {
    fail('fortran_order=True arrays are not supported; save with np.ascontiguousarray(a) first');
  }
  const dtype = (DESCR_ALIASES[descr] ?? descr) as NpyDtype;
  const type = NPY_TYPES[dtype];
  if (type == null) {
    fail(`unsupported dtype '${descr}' (supported: ${NPY_DTYPES.join(', ')})`);
  }
  let count = 1;
  for (const d of shape) count *= d;
  const dataStart = headerStart + headerLen;
  const byteLen = count * type.size;
  if (dataStart + byteLen !== bytes.length) {
    fail(
      `shape (${shape.join(', ')}) of ${dtype} needs ${byteLen} data bytes, file has ${bytes.length - dataStart}`,
    );
  }
  const copy = new Uint8Array(byteLen);
  copy.set(bytes.subarray(dataStart, dataStart + byteLen));
  return { dtype, shape, data: new type(copy.buffer) };
}

const ARRAY_DTYPES: [new (...a: never[]) => unknown, NpyDtype][] = [
  [Float32Array, '<f4'],
  [Float64Array, '<f8'],
  [Int32Array, '<i4'],
  [BigInt64Array, '<i8'],
  [Uint8Array, '|u1'],
];

/**
 * Serialises a C-order array as `.npy` (version 1.0, or 2.0 when the header needs it), header
 * padded so the data starts on a 64-byte boundary. `dtype` defaults from the array type.
 */
export function writeNpy(array: {
  shape: number[];
  data: NpyArrays[NpyDtype];
  dtype?: NpyDtype;
}): Uint8Array {
  const { shape, data } = array;
  const dtype = array.dtype ?? ARRAY_DTYPES.find(([cls]) => data instanceof cls)?.[1];
  if (dtype == null || NPY_TYPES[dtype] == null) {
    fail(
      `unsupported dtype ${JSON.stringify(array.dtype ?? data?.constructor?.name)} (supported: ${NPY_DTYPES.join(', ')})`,
    );
  }
  if (!(data instanceof NPY_TYPES[dtype])) {
    fail(`dtype ${dtype} needs a ${NPY_TYPES[dtype].name}, got ${data?.constructor?.name}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  let count = 1;
  for (const d of shape) count *= d;
  if (count !== data.length)
    fail(`shape (${shape.join(', ')}) has ${count} elements, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - prefix;
  const header = `${dict}${' '.repeat(headerLen - dict.length - 1)}\n`;
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(total + body.length);
  out.set(MAGIC, 0);
  out[6] = prefix === 10 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (prefix === 10) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  out.set(new TextEncoder().encode(header), prefix);
  out.set(body, total);
  return out;
}
