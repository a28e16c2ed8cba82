import type * as tf from '@tensorflow/tfjs-core';

// TODO(move to @facepar/core): swap for core's readSafetensors/writeSafetensors once they land.
// A minimal safetensors codec (8-byte LE header length, JSON header, raw little-endian data)
// for float32/int32 tensors, enough for checkpoints.

export interface TensorEntry {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

const ST_DTYPE = { float32: 'F32', int32: 'I32' } as const;

export function encodeTensorFile(options: {
  entries: readonly TensorEntry[];
  metadata?: Record<string, string>;
}): Uint8Array {
  const { entries, metadata } = options;
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const e of entries) {
    const bytes = e.data.byteLength;
    header[e.name] = {
      dtype: ST_DTYPE[e.dtype],
      shape: e.shape,
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const e of entries) {
    out.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), pos);
    pos += e.data.byteLength;
  }
  return out;
}

export function decodeTensorFile(options: { bytes: Uint8Array; source: string }): TensorEntry[] {
  const { bytes, source } = options;
  if (bytes.length < 8) throw new Error(`${source}: too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.length) throw new Error(`${source}: header length ${n} exceeds the file`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + n;
  const entries: TensorEntry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [a, b] = info.data_offsets;
    const slice = bytes.slice(base + a, base + b);
    if (info.dtype === 'F32') {
      entries.push({
        name,
        dtype: 'float32',
        shape: info.shape,
        data: new Float32Array(slice.buffer),
      });
    } else if (info.dtype === 'I32') {
      entries.push({ name, dtype: 'int32', shape: info.shape, data: new Int32Array(slice.buffer) });
    } else {
      throw new Error(`${source}: tensor '${name}' has dtype ${info.dtype}; supported: F32, I32`);
    }
  }
  return entries;
}

/** Reads tensors to entries (synchronous download). */
export function tensorsToEntries(
  list: readonly { name: string; tensor: tf.Tensor }[],
): TensorEntry[] {
  return list.map(({ name, tensor }) => ({
    name,
    dtype: tensor.dtype === 'int32' ? 'int32' : 'float32',
    shape: [...tensor.shape],
    data: tensor.dataSync() as Float32Array | Int32Array,
  }));
}
