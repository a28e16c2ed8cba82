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
import { formatFailer, MAX_QUOTE_BYTES, quote } from './errors.js';

/** Largest JSON header accepted (the reference implementation uses the same 100 MB limit). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/**
 * Most tensors (and, separately, most `__metadata__` entries) a header may declare by default.
 * The reference implementation has no such limit; this one keeps a hostile header of millions
 * of empty tensors from costing gigabytes. Large sharded checkpoints hold a few thousand
 * tensors per file.
 */
export const SAFETENSORS_MAX_TENSORS = 100_000;

/** Most dimensions a tensor may have (numpy's and PyTorch's limit). */
export const SAFETENSORS_MAX_RANK = 64;

/** Deepest nesting of an ignored value inside a tensor entry (serde_json's recursion limit). */
const MAX_SKIP_DEPTH = 128;

export interface ReadSafetensorsOptions {
  /** The file (or other origin) named in error messages. */
  source?: string;
  /** Largest header accepted, in bytes (default `SAFETENSORS_MAX_HEADER_BYTES`). */
  maxHeaderBytes?: number;
  /** Most tensors accepted (default `SAFETENSORS_MAX_TENSORS`). */
  maxTensors?: number;
}

export const DEFAULT_READ_SAFETENSORS_OPTIONS = {
  maxHeaderBytes: SAFETENSORS_MAX_HEADER_BYTES,
  maxTensors: SAFETENSORS_MAX_TENSORS,
} as const;

export interface SafetensorsFile {
  tensors: Map<string, TensorEntry>;
  /** The `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
}

function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

interface Span {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** A label for messages, built only when a message is (a tensor's name is quoted lazily). */
type What = string | (() => string);
const named = (what: What): string => (typeof what === 'string' ? what : what());

const WS = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const DIGIT = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * A parser for the one JSON shape a safetensors header has (an object of tensor entries plus
 * `__metadata__`), written as loops: no recursion on untrusted input, each value checked
 * where it stands, duplicate names refused (JSON.parse would keep the last), and every
 * message quoting at most 200 bytes of what it found.
 */
class HeaderParser {
  pos = 0;
  readonly len: number;
  constructor(
    readonly text: string,
    readonly fail: (problem: string) => never,
  ) {
    this.len = text.length;
  }

  ws(): void {
    while (this.pos < this.len && WS(this.text.charCodeAt(this.pos))) this.pos++;
  }

  /**
   * What stands at `at`, for a message: the whole value when it ends within a few hundred
   * bytes, else its first 200 bytes (the search for its end is bounded too, so quoting a
   * 50 MB value costs nothing).
   */
  snippet(at: number): string {
    const window = this.text.slice(at, at + 4 * MAX_QUOTE_BYTES + 1);
    const sub = new HeaderParser(window, (problem) => {
      throw new Error(problem);
    });
    let end = -1;
    try {
      sub.skipValue();
      end = sub.pos;
    } catch {
      // malformed, or longer than the window: show its first bytes
    }
    // a value that stops at the window's edge may go on (a number cut short): not complete
    const complete = end > 0 && (end < window.length || at + window.length >= this.len);
    if (complete) return quote(window.slice(0, end), { bare: true });
    const stop = Math.min(this.len, at + MAX_QUOTE_BYTES);
    if (stop === at) return 'the end of the header';
    return quote(this.text.slice(at, stop), { bare: true, truncated: stop < this.len });
  }

  where(): string {
    return `at header byte ${this.pos}`;
  }

  expectChar(code: number, what: string): void {
    this.ws();
    if (this.text.charCodeAt(this.pos) !== code) {
      this.fail(`expected ${what} ${this.where()}, got ${this.snippet(this.pos)}`);
    }
    this.pos++;
  }

  string(what: What): string {
    const { text, len } = this;
    if (text.charCodeAt(this.pos) !== 0x22) {
      this.fail(`${named(what)} must be a string, got ${this.snippet(this.pos)}`);
    }
    const start = this.pos;
    let j = start + 1;
    let escaped = false;
    for (; j < len; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        j++;
      } else if (c < 0x20) {
        this.pos = j;
        this.fail(`${named(what)}: control character in a string ${this.where()}`);
      }
    }
    if (j >= len) this.fail(`${named(what)}: string starting at header byte ${start} never ends`);
    this.pos = j + 1;
    if (!escaped) return text.slice(start + 1, j);
    try {
      // a flat string literal: JSON.parse does not recurse here
      return JSON.parse(text.slice(start, j + 1)) as string;
    } catch {
      return this.fail(
        `${named(what)}: bad escape in the string ${quote(text.slice(start, j + 1), { bare: true })}`,
      );
    }
  }

  /** A JSON number token (any form) starting at `pos`; '' when none. */
  numberToken(): string {
    const { text, len } = this;
    const start = this.pos;
    let j = start;
    if (text.charCodeAt(j) === 0x2d) j++;
    while (j < len && DIGIT(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) === 0x2e) {
      j++;
      while (j < len && DIGIT(text.charCodeAt(j))) j++;
    }
    const e = text.charCodeAt(j);
    if (e === 0x65 || e === 0x45) {
      j++;
      const sign = text.charCodeAt(j);
      if (sign === 0x2b || sign === 0x2d) j++;
      while (j < len && DIGIT(text.charCodeAt(j))) j++;
    }
    this.pos = j;
    return text.slice(start, j);
  }

  /** A non-negative integer (usize in the reference: `1.0`, `1e3` and `-1` are refused). */
  integer(what: What, index: number): number {
    this.ws();
    const at = this.pos;
    const token = this.numberToken();
    if (!/^(0|[1-9][0-9]*)$/.test(token)) {
      this.pos = at;
      // a number-like token is shown as it is; anything else (a list, a string) as a value
      const got =
        token.length > 0 && token !== '-' ? quote(token, { bare: true }) : this.snippet(at);
      this.fail(`${named(what)}[${index}] must be a non-negative integer, got ${got}`);
    }
    const n = Number(token);
    if (!Number.isSafeInteger(n)) {
      this.fail(`${named(what)}[${index}] ${quote(token, { bare: true })} is larger than 2^53 - 1`);
    }
    return n;
  }

  /** `[int, ...]` with at most `maxItems` items. */
  intList(what: What, maxItems: number): number[] {
    this.ws();
    const at = this.pos;
    if (this.text.charCodeAt(at) !== 0x5b) {
      this.fail(`${named(what)} must be a list of non-negative integers, got ${this.snippet(at)}`);
    }
    this.pos++;
    const out: number[] = [];
    this.ws();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (out.length === maxItems) {
        this.fail(`${named(what)} has more than ${maxItems} items: ${this.snippet(at)}`);
      }
      out.push(this.integer(what, out.length));
      this.ws();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x5d) return out;
      if (c !== 0x2c) {
        this.pos--;
        this.fail(
          `${named(what)}: expected ',' or ']' ${this.where()}, got ${this.snippet(this.pos)}`,
        );
      }
    }
  }

  /** Steps over any JSON value with an explicit stack (bounded depth, no recursion). */
  skipValue(): void {
    const stack: number[] = []; // closing char codes
    for (;;) {
      this.ws();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x7b || c === 0x5b) {
        if (stack.length === MAX_SKIP_DEPTH) {
          this.fail(`value nested deeper than ${MAX_SKIP_DEPTH} levels ${this.where()}`);
        }
        this.pos++;
        this.ws();
        const close = c === 0x7b ? 0x7d : 0x5d;
        if (this.text.charCodeAt(this.pos) === close) this.pos++;
        else {
          stack.push(close);
          if (close === 0x7d) {
            this.string('object key');
            this.expectChar(0x3a, "':'");
          }
          continue;
        }
      } else if (c === 0x22) this.string('string');
      else if (c === 0x2d || DIGIT(c)) {
        const token = this.numberToken();
        if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(token)) {
          this.fail(`bad number ${quote(token, { bare: true })} ${this.where()}`);
        }
      } else if (this.text.startsWith('true', this.pos)) this.pos += 4;
      else if (this.text.startsWith('false', this.pos)) this.pos += 5;
      else if (this.text.startsWith('null', this.pos)) this.pos += 4;
      else this.fail(`expected a JSON value ${this.where()}, got ${this.snippetRaw()}`);
      // after a value: close containers or move to the next item
      for (;;) {
        if (stack.length === 0) return;
        this.ws();
        const d = this.text.charCodeAt(this.pos);
        const top = stack[stack.length - 1]!;
        if (d === top) {
          stack.pop();
          this.pos++;
          continue;
        }
        if (d !== 0x2c) {
          this.fail(
            `expected ',' or '${String.fromCharCode(top)}' ${this.where()}, got ${this.snippetRaw()}`,
          );
        }
        this.pos++;
        if (top === 0x7d) {
          this.ws();
          this.string('object key');
          this.expectChar(0x3a, "':'");
        }
        break;
      }
    }
  }

  /** The next bytes as they are (no attempt to find the value's end). */
  snippetRaw(): string {
    const stop = Math.min(this.len, this.pos + MAX_QUOTE_BYTES);
    if (stop === this.pos) return 'the end of the header';
    return quote(this.text.slice(this.pos, stop), { bare: true, truncated: stop < this.len });
  }

  /** Iterates the members of an object: `onMember(key)` must consume the value. */
  members(what: What, onMember: (key: string, keyAt: number) => void): void {
    this.ws();
    if (this.text.charCodeAt(this.pos) !== 0x7b) {
      this.fail(`${named(what)} must be a JSON object, got ${this.snippet(this.pos)}`);
    }
    this.pos++;
    this.ws();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      const keyAt = this.pos;
      const key = this.string(() => `a key of ${named(what)}`);
      this.expectChar(0x3a, "':'");
      this.ws();
      onMember(key, keyAt);
      this.ws();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x7d) return;
      if (c !== 0x2c) {
        this.pos--;
        this.fail(`${named(what)}: expected ',' or '}' ${this.where()}, got ${this.snippetRaw()}`);
      }
    }
  }
}

/** Bytes of a tensor of `shape` and `itemSize`-byte elements, or -1 past 2^53 - 1 (as `checked_mul`). */
function checkedByteLength(shape: readonly number[], itemSize: number): number {
  let n = itemSize;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return -1;
  }
  return n;
}

function parseHeader(
  text: string,
  dataLen: number,
  maxTensors: number,
  fail: (problem: string) => never,
): { spans: Span[]; metadata: Record<string, string> } {
  const p = new HeaderParser(text, fail);
  if (text.charCodeAt(0) !== 0x7b) {
    fail(`header must be a JSON object starting with '{', got ${p.snippetRaw()}`);
  }
  const names = new Set<string>();
  const spans: Span[] = [];
  const metadata: Record<string, string> = {};
  let sawMetadata = false;
  p.members('header', (name, nameAt) => {
    if (name === '__metadata__') {
      if (sawMetadata) fail(`'__metadata__' appears twice (at header byte ${nameAt})`);
      sawMetadata = true;
      if (text.startsWith('null', p.pos)) {
        p.pos += 4;
        return;
      }
      let count = 0;
      p.members('__metadata__', (k) => {
        if (Object.hasOwn(metadata, k)) fail(`__metadata__ key ${quote(k)} appears twice`);
        if (++count > maxTensors) fail(`__metadata__ has more than ${maxTensors} entries`);
        const v = p.string(`__metadata__[${quote(k)}]`);
        // defineProperty: a key such as '__proto__' stays an ordinary entry
        Object.defineProperty(metadata, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      });
      return;
    }
    const tn = () => `tensor ${quote(name)}`;
    if (names.has(name)) {
      fail(`${tn()} appears twice (at header byte ${nameAt}); tensor names must be unique`);
    }
    names.add(name);
    if (names.size > maxTensors) {
      fail(
        `header declares more than ${maxTensors} tensors (raise maxTensors if the file is trusted)`,
      );
    }
    let dtype: string | undefined;
    let shape: number[] | undefined;
    let offsets: number[] | undefined;
    p.members(tn, (field) => {
      if (field === 'dtype') {
        if (dtype !== undefined) fail(`${tn()}: field 'dtype' appears twice`);
        dtype = p.string(() => `${tn()}: dtype`);
      } else if (field === 'shape') {
        if (shape !== undefined) fail(`${tn()}: field 'shape' appears twice`);
        shape = p.intList(() => `${tn()}: shape`, SAFETENSORS_MAX_RANK);
      } else if (field === 'data_offsets') {
        if (offsets !== undefined) fail(`${tn()}: field 'data_offsets' appears twice`);
        offsets = p.intList(() => `${tn()}: data_offsets`, 2);
        if (offsets.length !== 2) {
          fail(`${tn()}: data_offsets must be [begin, end], got [${offsets.join(', ')}]`);
        }
      } else p.skipValue(); // unknown fields are ignored, as by the reference
    });
    if (dtype === undefined || shape === undefined || offsets === undefined) {
      const lacking = [
        dtype === undefined ? 'dtype' : '',
        shape === undefined ? 'shape' : '',
        offsets === undefined ? 'data_offsets' : '',
      ].filter((f) => f !== '');
      fail(`${tn()}: entry lacks ${lacking.join(', ')} (needs dtype, shape, data_offsets)`);
    }
    // an own-property lookup: 'toString', 'constructor', '__proto__' are no dtypes
    if (!Object.hasOwn(DTYPE_SIZES, dtype)) {
      fail(`${tn()}: unknown dtype ${quote(dtype)} (known: ${SAFETENSORS_DTYPES.join(', ')})`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`${tn()}: data_offsets [${begin}, ${end}] has begin > end`);
    if (end > dataLen) {
      fail(`${tn()}: data_offsets [${begin}, ${end}] outside the ${dataLen}-byte data area`);
    }
    const d = dtype as SafetensorsDtype;
    const expected = checkedByteLength(shape, DTYPE_SIZES[d]);
    if (expected !== end - begin) {
      const needs = expected < 0 ? 'more than 2^53 - 1 bytes' : `${expected} bytes`;
      fail(
        `${tn()}: shape [${shape.join(', ')}] of ${d} needs ${needs}, data_offsets give ${end - begin}`,
      );
    }
    spans.push({ name, dtype: d, shape, begin, end });
  });
  p.ws();
  if (p.pos !== text.length) {
    fail(`unexpected text after the header object ${p.where()}: ${p.snippetRaw()}`);
  }
  return { spans, metadata };
}

/**
 * Parses a safetensors file as strictly as the reference implementation (Rust `safetensors`):
 * a header of at most 100 MB that starts with `{`, unique tensor names, dtypes from the
 * format's table, shapes of non-negative integers whose byte size matches `data_offsets`, and
 * tensors that tile the data area with no gap or overlap. Every check runs before any tensor
 * is copied, the JSON is read by loops (no recursion, no stack overflow on deep nesting), and
 * each error is a `FileFormatError` naming `options.source` and quoting at most 200 bytes.
 */
export function readSafetensors(
  bytes: Uint8Array,
  options: ReadSafetensorsOptions = {},
): SafetensorsFile {
  const { source } = options;
  const fail: (problem: string) => never = formatFailer('safetensors', source);
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_READ_SAFETENSORS_OPTIONS.maxHeaderBytes;
  const maxTensors = options.maxTensors ?? DEFAULT_READ_SAFETENSORS_OPTIONS.maxTensors;
  if (!isNonNegInt(maxHeaderBytes) || !isNonNegInt(maxTensors)) {
    fail(
      `maxHeaderBytes and maxTensors must be non-negative integers, got ${quote(maxHeaderBytes)} and ${quote(maxTensors)}`,
    );
  }
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array');
  if (bytes.length < 8)
    fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(maxHeaderBytes)) {
    fail(`header length ${headerLen64} exceeds the ${maxHeaderBytes}-byte limit`);
  }
  const headerLen = Number(headerLen64);
  if (8 + headerLen > bytes.length) {
    fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    fail('header is not valid UTF-8');
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const { spans, metadata } = parseHeader(text, dataLen, maxTensors, fail);
  const sorted = [...spans].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const s of sorted) {
    if (s.begin < cursor) {
      fail(
        `tensor ${quote(s.name)}: data_offsets [${s.begin}, ${s.end}] overlap the previous tensor (ends at ${cursor})`,
      );
    }
    if (s.begin > cursor) {
      fail(
        `tensor ${quote(s.name)}: gap in the data area: bytes [${cursor}, ${s.begin}) belong to no tensor`,
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
  const fail: (problem: string) => never = (problem) => {
    throw new Error(`safetensors: ${problem}`);
  };
  const list = entries instanceof Map ? [...entries.entries()] : Object.entries(entries);
  // null prototype: a tensor named '__proto__' is an ordinary key
  const header: Record<string, unknown> = Object.create(null);
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
