import { bf16ToFloat32, f16ToFloat32 } from './half.js';

/** safetensors dtype names (the subset facepar reads and writes). */
export type SafetensorsDtype =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'I32'
  | 'I16'
  | 'I8'
  | 'U8'
  | 'BOOL';

/** Typed array holding each dtype's elements (F16/BF16: raw 16-bit patterns; BOOL: 0/1 bytes). */
export interface DtypeArrays {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}

export type TensorData = DtypeArrays[SafetensorsDtype];

/** One named tensor of a weight file, row-major (C order). */
export interface TensorEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

export const DTYPE_SIZES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export const SAFETENSORS_DTYPES = Object.keys(DTYPE_SIZES) as SafetensorsDtype[];

const ARRAY_TYPES: Record<
  SafetensorsDtype,
  { new (buffer: ArrayBuffer): TensorData; name: string }
> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

/** Copies little-endian bytes into a fresh, aligned typed array of `dtype`. */
export function typedArrayFromBytes(dtype: SafetensorsDtype, bytes: Uint8Array): TensorData {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new ARRAY_TYPES[dtype](copy.buffer);
}

/** The little-endian bytes of `data` (a view, no copy). */
export function bytesOfTypedArray(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Checks that `data`'s array type fits `dtype`; names the tensor in the error. */
export function checkDataType(name: string, dtype: SafetensorsDtype, data: TensorData): void {
  const expected = Object.hasOwn(ARRAY_TYPES, dtype) ? ARRAY_TYPES[dtype] : undefined;
  if (expected == null) {
    throw new Error(
      `tensor '${name}': unknown dtype ${JSON.stringify(dtype)} (known: ${SAFETENSORS_DTYPES.join(', ')})`,
    );
  }
  if (!(data instanceof expected)) {
    throw new Error(
      `tensor '${name}': dtype ${dtype} needs a ${expected.name}, got ${data?.constructor?.name ?? typeof data}`,
    );
  }
}

/** Product of a shape (1 for a scalar). */
export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Converts any float/int entry to a new Float32Array (F16/BF16 decoded; I64 via Number). */
export function toFloat32(entry: Pick<TensorEntry, 'dtype' | 'data'>): Float32Array {
  const { dtype, data } = entry;
  if (dtype === 'F16') return f16ToFloat32(data as Uint16Array);
  if (dtype === 'BF16') return bf16ToFloat32(data as Uint16Array);
  if (dtype === 'I64') return Float32Array.from(data as BigInt64Array, (v) => Number(v));
  return Float32Array.from(data as ArrayLike<number>);
}

export interface NonFiniteReport {
  /** Index of the first NaN or ±Infinity. */
  index: number;
  /** That value (`NaN`, `Infinity` or `-Infinity`). */
  value: number;
  /** How many values are not finite. */
  count: number;
}

/**
 * The non-finite values (NaN, ±Infinity) of a floating tensor (F64/F32/F16/BF16; F16/BF16
 * read from their bit patterns), or null when all are finite or the dtype is an integer one.
 */
export function findNonFinite(entry: Pick<TensorEntry, 'dtype' | 'data'>): NonFiniteReport | null {
  const { dtype, data } = entry;
  let index = -1;
  let value = 0;
  let count = 0;
  if (dtype === 'F32' || dtype === 'F64') {
    const a = data as Float32Array | Float64Array;
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      // v - v is 0 for every finite v and NaN for NaN and ±Infinity
      if (v - v !== 0) {
        if (count === 0) {
          index = i;
          value = v;
        }
        count++;
      }
    }
  } else if (dtype === 'F16' || dtype === 'BF16') {
    const a = data as Uint16Array;
    const exp = dtype === 'F16' ? 0x7c00 : 0x7f80;
    for (let i = 0; i < a.length; i++) {
      const bits = a[i]!;
      if ((bits & exp) === exp) {
        if (count === 0) {
          index = i;
          const nan = (bits & ~(exp | 0x8000)) !== 0;
          value = nan ? Number.NaN : bits & 0x8000 ? -Infinity : Infinity;
        }
        count++;
      }
    }
  }
  return count === 0 ? null : { index, value, count };
}
