import { formatFailer, MAX_QUOTE_BYTES, quote } from './errors.js';

/** `.npy` dtype descriptors facepar reads and writes (little-endian, C order). */
export type NpyDtype = '<f4' | '<f8' | '<i4' | '<i8' | '|u1' | '|i1';

export interface NpyArrays {
  '<f4': Float32Array;
  '<f8': Float64Array;
  '<i4': Int32Array;
  '<i8': BigInt64Array;
  '|u1': Uint8Array;
  '|i1': Int8Array;
}

export interface NpyArray<D extends NpyDtype = NpyDtype> {
  dtype: D;
  shape: number[];
  data: NpyArrays[D];
}

const NPY_TYPES: Record<
  NpyDtype,
  { new (buffer: ArrayBuffer): NpyArrays[NpyDtype]; BYTES_PER_ELEMENT: number; name: string }
> = {
  '<f4': Float32Array,
  '<f8': Float64Array,
  '<i4': Int32Array,
  '<i8': BigInt64Array,
  '|u1': Uint8Array,
  '|i1': Int8Array,
};

// numpy spells single-byte types with any byte-order mark (or none); the kind stays exact
const DESCR_ALIASES: Record<string, NpyDtype> = {
  '<u1': '|u1',
  '>u1': '|u1',
  '=u1': '|u1',
  u1: '|u1',
  '<i1': '|i1',
  '>i1': '|i1',
  '=i1': '|i1',
  i1: '|i1',
};

export const NPY_DTYPES = Object.keys(NPY_TYPES) as NpyDtype[];
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Largest header accepted by default: numpy's `max_header_size` (10000 bytes since 1.24),
 * beyond which numpy itself refuses to parse a header it does not trust.
 */
export const NPY_MAX_HEADER_BYTES = 10_000;

/** Most dimensions an array may have (numpy 2's `NPY_MAXDIMS`). */
export const NPY_MAX_RANK = 64;

export interface ReadNpyOptions {
  /** The file (or other origin) named in error messages. */
  source?: string;
  /** Largest header accepted, in bytes (default `NPY_MAX_HEADER_BYTES`, as numpy). */
  maxHeaderBytes?: number;
}

export const DEFAULT_READ_NPY_OPTIONS = { maxHeaderBytes: NPY_MAX_HEADER_BYTES } as const;

const EXPECTED_KEYS = ['descr', 'fortran_order', 'shape'] as const;
type HeaderKey = (typeof EXPECTED_KEYS)[number];

interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** Python whitespace inside brackets: space, tab, newline, carriage return, form feed. */
const PY_WS = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;
const DIGIT = (c: number) => c >= 0x30 && c <= 0x39;
const NAME_CHAR = (c: number) =>
  DIGIT(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;

/**
 * Reads the header dict as strictly as numpy's `safe_eval` (`ast.literal_eval`) plus the
 * checks of `numpy.lib.format`, in one left-to-right pass: exactly the keys descr,
 * fortran_order and shape, each once; descr a plain string; fortran_order `True` or `False`;
 * shape a tuple of decimal integer literals (`()` a scalar, `(3,)` a vector; `(3)`, `(,)`,
 * `0x10`, `1e1`, `-1`, `True` refused). Python 2's `L` suffix is accepted in versions 1 and 2,
 * as numpy's `_filter_header` does.
 */
function parseHeader(text: string, allowLong: boolean, fail: (p: string) => never): NpyHeader {
  const len = text.length;
  let pos = 0;
  const snippet = (at: number) => {
    const stop = Math.min(len, at + MAX_QUOTE_BYTES);
    if (stop <= at) return 'the end of the header';
    return quote(text.slice(at, stop), { bare: true, truncated: stop < len });
  };
  const ws = () => {
    while (pos < len && PY_WS(text.charCodeAt(pos))) pos++;
  };
  const expect = (code: number, what: string) => {
    ws();
    if (text.charCodeAt(pos) !== code) {
      fail(`header: expected ${what} at byte ${pos}, got ${snippet(pos)}`);
    }
    pos++;
  };
  /** A plain Python string literal ('...' or "..."), no escapes or prefixes. */
  const pyString = (what: string): string => {
    ws();
    const q = text.charCodeAt(pos);
    if (q !== 0x27 && q !== 0x22) fail(`header: ${what} must be a string, got ${snippet(pos)}`);
    const start = pos + 1;
    let j = start;
    while (j < len) {
      const c = text.charCodeAt(j);
      if (c === q) break;
      if (c === 0x5c || c === 0x0a || c === 0x0d) {
        fail(`header: ${what} ${snippet(pos)} has an escape or line break (not a plain string)`);
      }
      j++;
    }
    if (j >= len) fail(`header: ${what} starting at byte ${pos} never ends`);
    pos = j + 1;
    return text.slice(start, j);
  };
  const name = (): string => {
    const start = pos;
    while (pos < len && NAME_CHAR(text.charCodeAt(pos))) pos++;
    return text.slice(start, pos);
  };
  const dimension = (index: number): number => {
    ws();
    const at = pos;
    const token = name(); // digits and letters: catches 0x10, 1e1, 10L, True
    const literal = allowLong && /^[0-9]+L$/.test(token) ? token.slice(0, -1) : token;
    if (!/^(0|[1-9][0-9]*)$/.test(literal) || text.charCodeAt(pos) === 0x2e) {
      fail(
        `header: shape[${index}] must be a decimal integer literal such as 3, got ${snippet(at)}`,
      );
    }
    const n = Number(literal);
    if (!Number.isSafeInteger(n)) fail(`header: shape[${index}] ${quote(literal)} is too large`);
    return n;
  };
  const tuple = (): number[] => {
    ws();
    if (text.charCodeAt(pos) !== 0x28) {
      fail(`header: shape must be a tuple such as (2, 3), got ${snippet(pos)}`);
    }
    const open = pos;
    pos++;
    ws();
    const dims: number[] = [];
    if (text.charCodeAt(pos) === 0x29) {
      pos++;
      return dims;
    }
    for (;;) {
      if (dims.length === NPY_MAX_RANK) {
        fail(`header: shape has more than ${NPY_MAX_RANK} dimensions: ${snippet(open)}`);
      }
      dims.push(dimension(dims.length));
      ws();
      const c = text.charCodeAt(pos);
      if (c === 0x29) {
        if (dims.length === 1) {
          fail(
            `header: shape ${quote(text.slice(open, pos + 1), { bare: true })} is an integer in parentheses, not a tuple; a vector is (n,)`,
          );
        }
        pos++;
        return dims;
      }
      if (c !== 0x2c)
        fail(`header: shape: expected ',' or ')' at byte ${pos}, got ${snippet(pos)}`);
      pos++;
      ws();
      if (text.charCodeAt(pos) === 0x29) {
        pos++;
        return dims;
      }
    }
  };
  // literal_eval strips leading spaces and tabs
  while (pos < len && (text.charCodeAt(pos) === 0x20 || text.charCodeAt(pos) === 0x09)) pos++;
  if (text.charCodeAt(pos) !== 0x7b) fail(`header is not a dictionary: ${snippet(pos)}`);
  pos++;
  const seen = new Set<HeaderKey>();
  const out: Partial<NpyHeader> = {};
  ws();
  if (text.charCodeAt(pos) !== 0x7d) {
    for (;;) {
      ws();
      const keyAt = pos;
      const key = pyString('a key');
      if (!(EXPECTED_KEYS as readonly string[]).includes(key)) {
        fail(`header key ${quote(key)} at byte ${keyAt} is not one of ${EXPECTED_KEYS.join(', ')}`);
      }
      const k = key as HeaderKey;
      if (seen.has(k)) fail(`header key '${k}' appears twice (at byte ${keyAt})`);
      seen.add(k);
      expect(0x3a, "':'");
      ws();
      if (k === 'descr') {
        const c = text.charCodeAt(pos);
        if (c === 0x5b) fail('structured dtypes (a list as descr) are not supported');
        out.descr = pyString("'descr'");
      } else if (k === 'fortran_order') {
        const at = pos;
        const v = name();
        if (v !== 'True' && v !== 'False') {
          fail(`header: 'fortran_order' must be True or False, got ${snippet(at)}`);
        }
        out.fortranOrder = v === 'True';
      } else out.shape = tuple();
      ws();
      const c = text.charCodeAt(pos);
      if (c === 0x7d) break;
      if (c !== 0x2c) fail(`header: expected ',' or '}' at byte ${pos}, got ${snippet(pos)}`);
      pos++;
      ws();
      if (text.charCodeAt(pos) === 0x7d) break;
    }
  }
  pos++; // the closing brace
  ws();
  if (pos < len)
    fail(`header: unexpected text after the dictionary at byte ${pos}: ${snippet(pos)}`);
  const missing = EXPECTED_KEYS.filter((k) => !seen.has(k));
  if (missing.length > 0) {
    fail(
      `header lacks ${missing.map((k) => `'${k}'`).join(', ')} (needs descr, fortran_order, shape)`,
    );
  }
  return out as NpyHeader;
}

/**
 * Parses a `.npy` file (format versions 1.0, 2.0 and 3.0), C order only. The header is read in
 * one pass as strictly as numpy (see `parseHeader`) and is at most `maxHeaderBytes` long;
 * errors are `FileFormatError`s naming `options.source` and quoting at most 200 bytes.
 */
export function readNpy(bytes: Uint8Array, options: ReadNpyOptions = {}): NpyArray {
  const fail: (problem: string) => never = formatFailer('npy', options.source);
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_READ_NPY_OPTIONS.maxHeaderBytes;
  if (!Number.isSafeInteger(maxHeaderBytes) || maxHeaderBytes < 0) {
    fail(`maxHeaderBytes must be a non-negative integer, got ${quote(maxHeaderBytes)}`);
  }
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
  if (bytes[7] !== 0) fail(`unsupported format version ${major}.${bytes[7]} (minor must be 0)`);
  if (headerLen > maxHeaderBytes) {
    fail(
      `header is ${headerLen} bytes, over the ${maxHeaderBytes}-byte limit (numpy's max_header_size; raise maxHeaderBytes if the file is trusted)`,
    );
  }
  if (headerStart + headerLen > bytes.length) {
    fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file`);
  }
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(
      bytes.subarray(headerStart, headerStart + headerLen),
    );
  } catch {
    fail('header is not valid UTF-8');
  }
  const { descr, fortranOrder, shape } = parseHeader(text, major < 3, fail);
  if (fortranOrder) {
    fail('fortran_order=True arrays are not supported; save with np.ascontiguousarray(a) first');
  }
  const dtype = Object.hasOwn(DESCR_ALIASES, descr) ? DESCR_ALIASES[descr]! : (descr as NpyDtype);
  if (!Object.hasOwn(NPY_TYPES, dtype)) {
    fail(`unsupported dtype ${quote(descr)} (supported: ${NPY_DTYPES.join(', ')})`);
  }
  const type = NPY_TYPES[dtype];
  let byteLen = type.BYTES_PER_ELEMENT;
  for (const d of shape) {
    byteLen *= d;
    if (!Number.isSafeInteger(byteLen)) {
      fail(`shape (${shape.join(', ')}) of ${dtype} needs more than 2^53 - 1 bytes`);
    }
  }
  const dataStart = headerStart + headerLen;
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
  [Int8Array, '|i1'],
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
  const fail: (problem: string) => never = (problem) => {
    throw new Error(`npy: ${problem}`);
  };
  const { shape, data } = array;
  const dtype = array.dtype ?? ARRAY_DTYPES.find(([cls]) => data instanceof cls)?.[1];
  if (dtype == null || !Object.hasOwn(NPY_TYPES, dtype)) {
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
