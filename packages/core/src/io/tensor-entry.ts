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
