// Minimal ZIP reader for PyTorch archives (`torch.save` >= 1.6 writes stored entries through
// miniz, with zip64 records for large files). Every offset and size is checked against the file
// before use; deflated entries are inflated into a buffer of their declared size only.
import { InflateError, inflateRaw } from './inflate.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Offset of the local file header. */
  headerOffset: number;
}

export interface ZipLimits {
  /** Reports a problem (throws); `what` is the message. */
  fail: (what: string) => never;
  /** Called before inflating `bytes` bytes (lets the caller enforce an allocation budget). */
  reserve: (bytes: number, what: string) => void;
}

const EOCD_SIG = 0x06054b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const U32_MAX = 0xffffffff;

/** True when `bytes` starts like a ZIP archive (local header or empty-archive EOCD). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const sig = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  return sig === LOCAL_SIG || sig === EOCD_SIG;
}

function u64(view: DataView, at: number, fail: ZipLimits['fail'], what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${v} is not a usable size`);
  return Number(v);
}

/** Parses the central directory; every entry's local header and data range is validated. */
export function readZipDirectory(bytes: Uint8Array, limits: ZipLimits): Map<string, ZipEntry> {
  const { fail } = limits;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  if (n < 22) fail(`zip archive is ${n} bytes, too short for its end record (truncated?)`);
  let eocd = -1;
  for (let at = n - 22; at >= Math.max(0, n - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === EOCD_SIG && at + 22 + view.getUint16(at + 20, true) <= n) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0)
    fail('zip end-of-central-directory record not found (the file is truncated or not a zip)');
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) {
    fail('multi-disk zip archives are not supported');
  }
  if (count === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== EOCD64_LOCATOR_SIG) {
      fail('zip64 end record locator missing (truncated archive?)');
    }
    const at = u64(view, loc + 8, fail, 'zip64 end record offset');
    if (at + 56 > n || view.getUint32(at, true) !== EOCD64_SIG) {
      fail(`zip64 end record at ${at} is outside the ${n}-byte file or malformed`);
    }
    count = u64(view, at + 32, fail, 'zip64 entry count');
    cdSize = u64(view, at + 40, fail, 'zip64 directory size');
    cdOffset = u64(view, at + 48, fail, 'zip64 directory offset');
  }
  if (cdOffset + cdSize > n) {
    fail(
      `zip central directory [${cdOffset}, ${cdOffset + cdSize}) runs past the ${n}-byte file (truncated?)`,
    );
  }
  // each central header takes at least 46 bytes, so the count is bounded by the directory size
  if (count * 46 > cdSize) fail(`zip directory claims ${count} entries in ${cdSize} bytes`);
  const entries = new Map<string, ZipEntry>();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let p = cdOffset;
  const end = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > end || view.getUint32(p, true) !== CENTRAL_SIG) {
      fail(`zip central directory entry ${i} at ${p} is malformed`);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc32 = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let headerOffset = view.getUint32(p + 42, true);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > end) fail(`zip central directory entry ${i} runs past the directory`);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information: only the fields saturated in the fixed header are present
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (e + 4 + len > extraEnd) fail(`zip entry '${name}': extra field runs past its header`);
      if (id === 0x0001) {
        let q = e + 4;
        const take = (what: string): number => {
          if (q + 8 > e + 4 + len) fail(`zip entry '${name}': zip64 field ${what} missing`);
          const v = u64(view, q, fail, `zip entry '${name}' ${what}`);
          q += 8;
          return v;
        };
        if (size === U32_MAX) size = take('size');
        if (compressedSize === U32_MAX) compressedSize = take('compressed size');
        if (headerOffset === U32_MAX) headerOffset = take('header offset');
      }
      e += 4 + len;
    }
    if (flags & 1) fail(`zip entry '${name}' is encrypted`);
    if (method !== 0 && method !== 8) {
      fail(
        `zip entry '${name}' uses compression method ${method} (only stored and deflate are read)`,
      );
    }
    if (method === 0 && compressedSize !== size) {
      fail(`zip entry '${name}' is stored but its sizes differ (${compressedSize} vs ${size})`);
    }
    if (entries.has(name)) fail(`zip archive holds '${name}' twice`);
    entries.set(name, { name, method, compressedSize, size, crc32, headerOffset });
    p = next;
  }
  return entries;
}

let crcTables: Uint32Array[] | undefined;

/** CRC-32 (IEEE 802.3, as in zip), slicing by 8 bytes (~5x a byte-wise table). */
export function crc32(data: Uint8Array): number {
  if (crcTables == null) {
    const t = Array.from({ length: 8 }, () => new Uint32Array(256));
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[0]![i] = c >>> 0;
    }
    for (let i = 0; i < 256; i++) {
      for (let k = 1; k < 8; k++) t[k]![i] = (t[k - 1]![i]! >>> 8) ^ t[0]![t[k - 1]![i]! & 0xff]!;
    }
    crcTables = t;
  }
  const [t0, t1, t2, t3, t4, t5, t6, t7] = crcTables as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ];
  let c = 0xffffffff;
  let i = 0;
  const n = data.length;
  for (; i + 8 <= n; i += 8) {
    const a =
      (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      t7[a & 0xff]! ^
      t6[(a >>> 8) & 0xff]! ^
      t5[(a >>> 16) & 0xff]! ^
      t4[a >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!;
  }
  for (; i < n; i++) c = t0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The bytes of one entry: a view into `bytes` when stored, a fresh buffer when deflated.
 * With `checkCrc` the CRC-32 is verified.
 */
export function readZipEntry(
  bytes: Uint8Array,
  entry: ZipEntry,
  limits: ZipLimits,
  checkCrc: boolean,
): Uint8Array {
  const { fail } = limits;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.headerOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL_SIG) {
    fail(`zip entry '${entry.name}': local header at ${at} is missing (truncated archive?)`);
  }
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const stop = start + entry.compressedSize;
  if (stop > bytes.length) {
    fail(
      `zip entry '${entry.name}': data [${start}, ${stop}) runs past the ${bytes.length}-byte file (truncated archive?)`,
    );
  }
  const raw = bytes.subarray(start, stop);
  let data = raw;
  if (entry.method === 8) {
    limits.reserve(entry.size, `inflating zip entry '${entry.name}'`);
    try {
      data = inflateRaw(raw, entry.size);
    } catch (e) {
      if (e instanceof InflateError) fail(`zip entry '${entry.name}': ${e.message}`);
      throw e;
    }
  }
  if (checkCrc && crc32(data) !== entry.crc32) {
    fail(`zip entry '${entry.name}': CRC-32 mismatch (the file is corrupt)`);
  }
  return data;
}
