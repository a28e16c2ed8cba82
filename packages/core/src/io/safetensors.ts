import {
  bytesOfTypedArray,
  checkDataType,
  DTYPE_SIZES,
  numElements,
  SAFETENSORS_DTYPES,
  type SafetensorsDtype,
  type TensorEntry,
  typedArrayFromBytes,
} from './tensor-entry.js';

/** Largest JSON header accepted (the reference implementation uses the same 100 MB limit). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsFile {
  tensors: Map<string, TensorEntry>;
  /** The `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
}

function fail(message: string): never {
  throw new Error(`safetensors: ${message}`);
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Parses a safetensors file. Every offset, size and dtype is validated before any tensor is
 * copied, so a malformed or hostile file fails with an error naming the tensor and the
 * problem, never with an out-of-bounds read or an allocation beyond the file's size.
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array');
  if (bytes.length < 8)
    fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    fail(`header length ${headerLen64} exceeds the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit`);
  }
  const headerLen = Number(headerLen64);
  if (8 + headerLen > bytes.length) {
    fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file`);
  }
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header == null || typeof header !== 'object' || Array.isArray(header)) {
    fail('header must be a JSON object');
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const spans: {
    name: string;
    dtype: SafetensorsDtype;
    shape: number[];
    begin: number;
    end: number;
  }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) {
        fail('__metadata__ must be an object of strings');
      }
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__['${k}'] must be a string, got ${typeof v}`);
        metadata[k] = v;
      }
      continue;
    }
    if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) {
      fail(`tensor '${name}': entry must be an object with dtype, shape, data_offsets`);
    }
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZES)) {
      fail(
        `tensor '${name}': unknown dtype ${JSON.stringify(dtype)} (known: ${SAFETENSORS_DTYPES.join(', ')})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) {
      fail(
        `tensor '${name}': shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`,
      );
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegInt)) {
      fail(
        `tensor '${name}': data_offsets must be [begin, end] integers, got ${JSON.stringify(offsets)}`,
      );
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`tensor '${name}': data_offsets [${begin}, ${end}] has begin > end`);
    if (end > dataLen) {
      fail(
        `tensor '${name}': data_offsets [${begin}, ${end}] outside the ${dataLen}-byte data area`,
      );
    }
    const size = DTYPE_SIZES[dtype as SafetensorsDtype];
    const expected = numElements(shape as number[]) * size;
    if (expected !== end - begin) {
      fail(
        `tensor '${name}': shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${expected} bytes, data_offsets give ${end - begin}`,
      );
    }
    spans.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }
  const sorted = [...spans].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const s of sorted) {
    if (s.begin < cursor) {
      fail(
        `tensor '${s.name}': data_offsets [${s.begin}, ${s.end}] overlap the previous tensor (ends at ${cursor})`,
      );
    }
    if (s.begin > cursor) {
      fail(
        `tensor '${s.name}': gap in the data area: bytes [${cursor}, ${s.begin}) belong to no tensor`,
      );
    }
    cursor = s.end;
  }
  if (cursor !== dataLen) {
    fail(`data area is ${dataLen} bytes but the tensors cover only [0, ${cursor})`);
  }
  const tensors = new Map<string, TensorEntry>();
  for (const s of spans) {
    const raw = bytes.subarray(dataStart + s.begin, dataStart + s.end);
    tensors.set(s.name, {
      dtype: s.dtype,
      shape: s.shape,
      data: typedArrayFromBytes(s.dtype, raw),
    });
  }
  return { tensors, metadata };
}

/**
 * Serialises tensors as safetensors (header padded with spaces to a multiple of 8 bytes,
 * tensors stored in the given order). `entries` is a Map or a plain record.
 */
export function writeSafetensors(
  entries: Map<string, TensorEntry> | Record<string, TensorEntry>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list = entries instanceof Map ? [...entries.entries()] : Object.entries(entries);
  const header: Record<string, unknown> = {};
  if (metadata != null && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail(`metadata['${k}'] must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, entry] of list) {
    if (name === '__metadata__') fail("a tensor cannot be named '__metadata__'");
    checkDataType(name, entry.dtype, entry.data);
    if (!Array.isArray(entry.shape) || !entry.shape.every(isNonNegInt)) {
      fail(
        `tensor '${name}': shape must be a list of non-negative integers, got ${JSON.stringify(entry.shape)}`,
      );
    }
    const n = numElements(entry.shape);
    if (entry.data.length !== n) {
      fail(
        `tensor '${name}': shape [${entry.shape.join(', ')}] has ${n} elements, data has ${entry.data.length}`,
      );
    }
    const bytes = bytesOfTypedArray(entry.data);
    header[name] = {
      dtype: entry.dtype,
      shape: entry.shape,
      data_offsets: [offset, offset + bytes.length],
    };
    offset += bytes.length;
    parts.push(bytes);
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
