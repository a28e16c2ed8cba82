import {
  DTYPE_SIZES,
  type SafetensorsDtype,
  type TensorEntry,
  typedArrayFromBytes,
} from '../tensor-entry.js';
import { PthError, quoteValue } from './pth-error.js';
import {
  measurePyValue,
  PyConstant,
  PyDict,
  PySkipped,
  PyTuple,
  type PyValue,
  pyTypeName,
  toPlainValue,
  unpickle,
} from './pickle.js';
import { PTH_STORAGE_DTYPES, PthStorage, PthTensor, torchGlobal } from './torch-globals.js';
import { looksLikeZip, readZipDirectory, readZipEntry, type ZipEntry } from './zip.js';

/** `zip`: `torch.save` since 1.6; `legacy`: `_use_new_zipfile_serialization=False` (and torch < 1.6). */
export type PthFormat = 'zip' | 'legacy';

export interface ReadPthOptions {
  /** File name (or any label) that errors start with. */
  source?: string;
  /**
   * Which entry holds the weights. `auto` (default): a checkpoint dict's `state_dict` (mmseg,
   * mmcv, timm) or `model` (torchvision references), else the top-level dict itself. Any other
   * string names a top-level key, or a dotted path of keys (`'model.ema'`).
   */
  stateDictKey?: string;
  /**
   * A global outside the allowed list: `error` (default) refuses the file naming it; `skip`
   * reads it as an inert stand-in (listed in `skippedGlobals`), which is an error only if it
   * sits inside the state dict. Globals that only a hostile pickle names are always refused.
   */
  unknownGlobals?: 'error' | 'skip';
  /** Bytes the reader may allocate for inflated entries and tensors (default 4 × file + 64 MiB). */
  maxBytes?: number;
  /** Containers and tensors the pickle may build (default 2,000,000). */
  maxObjects?: number;
  /** Nesting depth of containers (default 200). */
  maxDepth?: number;
  /** Verify the CRC-32 of every zip entry read (default true). */
  checkCrc?: boolean;
}

export const DEFAULT_READ_PTH_OPTIONS = {
  stateDictKey: 'auto',
  unknownGlobals: 'error',
  maxObjects: 2_000_000,
  maxDepth: 200,
  checkCrc: true,
} as const;

/** Summary of a tensor outside the state dict (its data is not read). */
export interface PthTensorInfo {
  dtype: SafetensorsDtype;
  shape: number[];
}

export interface PthFile {
  format: PthFormat;
  /** The state dict: PyTorch names → contiguous little-endian tensors in PyTorch layout. */
  tensors: Map<string, TensorEntry>;
  /** Where the state dict sat: `''` for the top level, else its key (`'state_dict'`). */
  stateDictKey: string;
  /**
   * The other top-level entries (mmseg `meta`, `optimizer`, ...) as plain values: dicts with
   * string keys become objects (other keys: a `Map`), tuples, lists and sets arrays, tensors
   * `PthTensorInfo`, skipped globals `{ skippedGlobal: name }`, ints beyond 2^53 `bigint`.
   */
  extras: Record<string, unknown>;
  /** State-dict keys whose values are not tensors (left out of `tensors`). */
  nonTensorKeys: string[];
  /** Globals read as inert stand-ins (`unknownGlobals: 'skip'`). */
  skippedGlobals: string[];
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
const ALLOWED_KEYS = new Set<string>([
  'source',
  'stateDictKey',
  'unknownGlobals',
  'maxBytes',
  'maxObjects',
  'maxDepth',
  'checkCrc',
]);

interface Ctx {
  source: string | undefined;
  fail: (what: string) => never;
  reserve: (bytes: number, what: string) => void;
  options: Required<Omit<ReadPthOptions, 'source'>>;
  skipped: Set<string>;
}

function resolveOptions(bytes: Uint8Array, options: ReadPthOptions): Ctx {
  const source = options.source;
  const fail = (what: string): never => {
    throw new PthError(what, { source });
  };
  for (const k of Object.keys(options)) {
    if (!ALLOWED_KEYS.has(k)) fail(`unknown option '${k}'; known: ${[...ALLOWED_KEYS].join(', ')}`);
  }
  const posInt = (v: number | undefined, name: string, def: number) => {
    if (v === undefined) return def;
    if (!(typeof v === 'number' && Number.isSafeInteger(v) && v > 0)) {
      fail(`${name} must be a positive integer, got ${quoteValue(v)}`);
    }
    return v;
  };
  const unknownGlobals = options.unknownGlobals ?? DEFAULT_READ_PTH_OPTIONS.unknownGlobals;
  if (unknownGlobals !== 'error' && unknownGlobals !== 'skip') {
    fail(`unknownGlobals must be 'error' or 'skip', got ${quoteValue(unknownGlobals)}`);
  }
  const stateDictKey = options.stateDictKey ?? DEFAULT_READ_PTH_OPTIONS.stateDictKey;
  if (typeof stateDictKey !== 'string')
    fail(`stateDictKey must be a string, got ${quoteValue(stateDictKey)}`);
  const resolved = {
    stateDictKey,
    unknownGlobals,
    maxBytes: posInt(options.maxBytes, 'maxBytes', 4 * bytes.length + 64 * 2 ** 20),
    maxObjects: posInt(options.maxObjects, 'maxObjects', DEFAULT_READ_PTH_OPTIONS.maxObjects),
    maxDepth: posInt(options.maxDepth, 'maxDepth', DEFAULT_READ_PTH_OPTIONS.maxDepth),
    checkCrc: options.checkCrc ?? DEFAULT_READ_PTH_OPTIONS.checkCrc,
  };
  let used = 0;
  const reserve = (n: number, what: string) => {
    used += n;
    if (used > resolved.maxBytes) {
      fail(
        `${what} would bring the memory read out of this ${bytes.length}-byte file to ${used} bytes, over the ${resolved.maxBytes}-byte limit (a zip bomb or broken sizes?); raise maxBytes if the file is genuine`,
      );
    }
  };
  return { source, fail, reserve, options: resolved, skipped: new Set() };
}

/** What kind of weights file `bytes` holds, by its first bytes. */
export type WeightsFileKind = 'safetensors' | 'pth-zip' | 'pth-legacy' | 'pth-tar' | 'unknown';

/** Tells a safetensors file from the PyTorch formats by content, not by name. */
export function detectWeightsFileKind(bytes: Uint8Array): WeightsFileKind {
  if (looksLikeZip(bytes)) return 'pth-zip';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5) return 'pth-legacy';
  if (bytes.length >= 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar') {
    return 'pth-tar';
  }
  if (bytes.length >= 10) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const len = view.getBigUint64(0, true);
    if (len > 1n && len <= BigInt(bytes.length - 8) && bytes[8] === 0x7b) return 'safetensors';
  }
  return 'unknown';
}

/**
 * Reads a PyTorch checkpoint (`torch.save`: the zip format, or the legacy pickle format) with
 * a restricted unpickler that builds only tensors, storages, OrderedDicts and plain containers,
 * like `torch.load(weights_only=True)`, and never runs anything the file names. Returns the
 * state dict as `TensorEntry`s, the form `readSafetensors` gives and `loadStateDict` takes.
 * Sizes, offsets and strides are validated against the file before anything is copied.
 */
export function readPth(bytes: Uint8Array, options: ReadPthOptions = {}): PthFile {
  const ctx = resolveOptions(bytes, options);
  if (!(bytes instanceof Uint8Array)) ctx.fail('expected a Uint8Array');
  const kind = detectWeightsFileKind(bytes);
  let root: PyValue;
  let format: PthFormat;
  let bigEndian = false;
  if (kind === 'pth-zip') {
    format = 'zip';
    ({ root, bigEndian } = readZipPickle(bytes, ctx));
  } else if (kind === 'pth-legacy') {
    format = 'legacy';
    ({ root, bigEndian } = readLegacyPickle(bytes, ctx));
  } else if (kind === 'pth-tar') {
    return ctx.fail(
      "PyTorch's pre-1.0 tar format is not read; load it with torch and save it again with torch.save (or convert it to safetensors)",
    );
  } else if (kind === 'safetensors') {
    return ctx.fail('this is a safetensors file, not a .pth: read it with readSafetensors');
  } else {
    return ctx.fail(
      `not a PyTorch checkpoint (neither a torch.save zip nor a legacy pickle); it starts with ${quoteValue(bytes.subarray(0, 16))}`,
    );
  }
  return assemble(root, format, bigEndian, ctx);
}

// ---------------------------------------------------------------- zip (torch >= 1.6)

function readZipPickle(bytes: Uint8Array, ctx: Ctx): { root: PyValue; bigEndian: boolean } {
  const { fail } = ctx;
  const entries = readZipDirectory(bytes, { fail, reserve: ctx.reserve });
  const pickles = [...entries.keys()].filter(
    (k) => /^[^/]+\/data\.pkl$/.test(k) || k === 'data.pkl',
  );
  if (pickles.length !== 1) {
    const names = [...entries.keys()];
    const jit = names.some((k) => /(^|\/)(constants\.pkl|code\/)/.test(k));
    if (jit) {
      fail(
        'this is a TorchScript archive (torch.jit.save), not torch.save weights: save model.state_dict() with torch.save',
      );
    }
    fail(
      pickles.length === 0
        ? `zip archive has no <name>/data.pkl, so it is not a torch.save file (entries: ${quoteValue(names.slice(0, 8).join(', '))})`
        : `zip archive has ${pickles.length} data.pkl records (${quoteValue(pickles.join(', '))}); expected one`,
    );
  }
  const pkl = pickles[0]!;
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const read = (e: ZipEntry) =>
    readZipEntry(bytes, e, { fail, reserve: ctx.reserve }, ctx.options.checkCrc);
  let bigEndian = false;
  const bo = entries.get(`${prefix}byteorder`);
  if (bo) {
    const text = new TextDecoder().decode(read(bo)).trim();
    if (text !== 'little' && text !== 'big')
      fail(`byteorder record reads ${quoteValue(text)}, expected 'little' or 'big'`);
    bigEndian = text === 'big';
  }
  const storages = new Map<string, PthStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const t = pidTuple(pid, 4, fail);
    const [type, key, location, numel] = t;
    const dtype = storageDtype(type, fail);
    if (typeof key !== 'string')
      return fail(`storage key must be a string, got ${pyTypeName(key)}`);
    const n = checkNumel(numel, key, fail);
    const cached = storages.get(key);
    if (cached) {
      if (cached.dtype !== dtype || cached.numel !== n) {
        fail(
          `storage ${quoteValue(key)} is referenced as ${cached.dtype}×${cached.numel} and as ${dtype}×${n}`,
        );
      }
      return cached;
    }
    const entry = entries.get(`${prefix}data/${key}`);
    if (entry == null)
      fail(
        `storage ${quoteValue(key)} has no record ${quoteValue(`${prefix}data/${key}`)} (truncated or edited archive?)`,
      );
    const nbytes = n * DTYPE_SIZES[dtype];
    if (entry!.size !== nbytes) {
      fail(
        `storage ${quoteValue(key)} holds ${n} ${dtype} elements (${nbytes} bytes) but its record is ${entry!.size} bytes`,
      );
    }
    const s = new PthStorage(key, dtype, n, typeof location === 'string' ? location : 'cpu', () =>
      read(entry!),
    );
    storages.set(key, s);
    return s;
  };
  const data = read(entries.get(pkl)!);
  const { value } = unpickle(
    data,
    { global: (m, n) => torchGlobal(m, n, globalsOf(ctx)), persistentLoad },
    vmOptions(ctx, pkl),
  );
  return { root: value, bigEndian };
}

// ---------------------------------------------------------------- legacy (torch < 1.6 format)

function readLegacyPickle(bytes: Uint8Array, ctx: Ctx): { root: PyValue; bigEndian: boolean } {
  const { fail } = ctx;
  const noGlobals = {
    global: (m: string, n: string): PyValue =>
      fail(
        `legacy header pickle names the global ${quoteValue(`${m}.${n}`)}; a torch.save header holds none`,
      ),
    persistentLoad: (): PyValue => fail('legacy header pickle asks for a persistent id'),
  };
  const magic = unpickle(bytes, noGlobals, vmOptions(ctx, 'magic number', 0));
  if (magic.value !== LEGACY_MAGIC) {
    fail(
      `a pickle, but not a torch.save file: its first value is ${quoteValue(typeof magic.value === 'object' ? pyTypeName(magic.value) : String(magic.value))}, not PyTorch's magic number (plain pickles are not read)`,
    );
  }
  const proto = unpickle(bytes, noGlobals, vmOptions(ctx, 'protocol version', magic.end));
  if (proto.value !== LEGACY_PROTOCOL)
    fail(`legacy protocol version ${quoteValue(String(proto.value))}, expected ${LEGACY_PROTOCOL}`);
  const info = unpickle(bytes, noGlobals, vmOptions(ctx, 'system info', proto.end));
  let bigEndian = false;
  if (info.value instanceof PyDict) {
    const le = info.value.get('little_endian');
    if (le === false) bigEndian = true;
    const sizes = info.value.get('type_sizes');
    if (
      sizes instanceof PyDict &&
      sizes.get('long') !== undefined &&
      sizes.get('long') !== 4 &&
      sizes.get('long') !== 8
    ) {
      fail(`legacy system info gives sizeof(long) = ${quoteValue(String(sizes.get('long')))}`);
    }
  } else fail(`legacy system info is a ${pyTypeName(info.value)}, expected a dict`);

  const roots = new Map<string, PthStorage>();
  const views = new Map<string, PthStorage>();
  const persistentLoad = (pid: PyValue): PyValue => {
    const t = pidTuple(pid, 5, fail);
    const [type, key, location, numel, view] = t;
    const dtype = storageDtype(type, fail);
    if (typeof key !== 'string')
      return fail(`storage key must be a string, got ${pyTypeName(key)}`);
    const n = checkNumel(numel, key, fail);
    let root = roots.get(key);
    if (root == null) {
      root = new PthStorage(key, dtype, n, typeof location === 'string' ? location : 'cpu', () =>
        fail(`storage ${quoteValue(key)} is used but the file holds no data for it (truncated?)`),
      );
      roots.set(key, root);
    } else if (root.dtype !== dtype || root.numel !== n) {
      fail(
        `storage ${quoteValue(key)} is referenced as ${root.dtype}×${root.numel} and as ${dtype}×${n}`,
      );
    }
    if (view == null) return root;
    if (!(view instanceof PyTuple) || view.items.length !== 3)
      fail('storage view metadata must be (key, offset, size)');
    const [vkey, off, size] = (view as PyTuple).items;
    if (typeof vkey !== 'string') return fail('storage view key must be a string');
    const o = checkNumel(off, vkey, fail);
    const s = checkNumel(size, vkey, fail);
    if (o + s > root.numel)
      fail(
        `storage view ${quoteValue(vkey)} [${o}, ${o + s}) lies outside its ${root.numel}-element storage`,
      );
    let v = views.get(vkey);
    if (v == null) {
      const es = DTYPE_SIZES[dtype];
      const parent = root;
      v = new PthStorage(vkey, dtype, s, parent.location, () =>
        parent.load().subarray(o * es, (o + s) * es),
      );
      views.set(vkey, v);
    }
    return v;
  };
  const main = unpickle(
    bytes,
    { global: (m, n) => torchGlobal(m, n, globalsOf(ctx)), persistentLoad },
    vmOptions(ctx, 'data pickle', info.end),
  );
  const keys = unpickle(bytes, noGlobals, vmOptions(ctx, 'storage key list', main.end));
  if (!Array.isArray(keys.value))
    fail(`legacy storage key list is a ${pyTypeName(keys.value)}, expected a list`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = keys.end;
  for (const k of keys.value as PyValue[]) {
    if (typeof k !== 'string') fail(`legacy storage key is a ${pyTypeName(k)}, expected a string`);
    const s = roots.get(k as string);
    if (s == null) fail(`legacy storage key ${quoteValue(k)} names no storage of the data pickle`);
    if (at + 8 > bytes.length)
      fail(
        `legacy storage ${quoteValue(k)}: its size field lies past the ${bytes.length}-byte file (truncated?)`,
      );
    const count = view.getBigInt64(at, !bigEndian);
    if (count !== BigInt(s!.numel)) {
      fail(
        `legacy storage ${quoteValue(k)} records ${count} elements, the pickle says ${s!.numel}`,
      );
    }
    const nbytes = s!.numel * DTYPE_SIZES[s!.dtype];
    const start = at + 8;
    if (start + nbytes > bytes.length) {
      fail(
        `legacy storage ${quoteValue(k)} needs bytes [${start}, ${start + nbytes}) of a ${bytes.length}-byte file (truncated?)`,
      );
    }
    const region = bytes.subarray(start, start + nbytes);
    s!.load = () => region;
    at = start + nbytes;
  }
  return { root: main.value, bigEndian };
}

// ---------------------------------------------------------------- shared helpers

function globalsOf(ctx: Ctx) {
  return { fail: ctx.fail, unknownGlobals: ctx.options.unknownGlobals, skipped: ctx.skipped };
}

function vmOptions(ctx: Ctx, what: string, start = 0) {
  return {
    start,
    maxObjects: ctx.options.maxObjects,
    maxMarkDepth: Math.max(ctx.options.maxDepth, 64),
    fail: (msg: string, at?: number): never =>
      ctx.fail(`${what}${at === undefined ? '' : ` at byte ${at}`}: ${msg}`),
  };
}

/** The fields after `'storage'` of a persistent id: 4 in the zip format, 5 in the legacy one. */
function pidTuple(pid: PyValue, fields: 4 | 5, fail: (w: string) => never): PyValue[] {
  if (!(pid instanceof PyTuple) || pid.items.length === 0) {
    return fail(
      `persistent id must be a ('storage', ...) tuple, got ${pyTypeName(pid)} ${typeof pid === 'string' ? quoteValue(pid) : ''}`,
    );
  }
  const [tag, ...rest] = pid.items;
  const t = tag instanceof Uint8Array ? new TextDecoder().decode(tag) : tag;
  if (t === 'module') {
    fail('the file pickles a whole nn.Module (torch.save(model)); save model.state_dict() instead');
  }
  if (t !== 'storage')
    fail(`persistent id of kind ${quoteValue(String(t))} is not allowed (only 'storage')`);
  if (rest.length !== fields) {
    fail(`storage persistent id has ${rest.length} fields after 'storage', expected ${fields}`);
  }
  return rest;
}

function storageDtype(type: PyValue | undefined, fail: (w: string) => never): SafetensorsDtype {
  const name =
    type instanceof PyConstant ? type.qualname.replace(/^torch\.(cuda\.)?/, '') : undefined;
  const dtype = name === undefined ? undefined : PTH_STORAGE_DTYPES[name];
  if (dtype === undefined)
    return fail(`storage type must be an allowed storage class, got ${pyTypeName(type)}`);
  return dtype;
}

function checkNumel(v: PyValue | undefined, key: string, fail: (w: string) => never): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    return fail(
      `storage ${quoteValue(key)}: size ${typeof v === 'number' || typeof v === 'bigint' ? v : pyTypeName(v)} is not a non-negative integer`,
    );
  }
  return v;
}

function assemble(root: PyValue, format: PthFormat, bigEndian: boolean, ctx: Ctx): PthFile {
  const { fail } = ctx;
  if (!(root instanceof PyDict)) {
    fail(
      root instanceof PySkipped
        ? `the top-level object is ${root.qualname} (torch.save(model) pickles the module's class): save model.state_dict() instead`
        : `the top-level object is a ${pyTypeName(root)}, not a dict of tensors or a checkpoint dict`,
    );
  }
  const top = root as PyDict;
  const want = ctx.options.stateDictKey;
  let sdKey = '';
  let sd: PyDict = top;
  const topKeys = () => quoteValue([...top.entries.values()].map(([k]) => String(k)).join(', '));
  if (want === 'auto') {
    for (const k of ['state_dict', 'model']) {
      const v = top.get(k);
      if (v instanceof PyDict) {
        sdKey = k;
        sd = v;
        break;
      }
    }
  } else {
    let v: PyValue | undefined = top.get(want);
    if (v === undefined) {
      v = top;
      for (const part of want.split('.')) v = v instanceof PyDict ? v.get(part) : undefined;
    }
    if (!(v instanceof PyDict)) {
      fail(
        `stateDictKey ${quoteValue(want)} names ${v === undefined ? 'no entry' : `a ${pyTypeName(v)}`}; the top-level keys are ${topKeys()}`,
      );
    }
    sdKey = want;
    sd = v as PyDict;
  }
  const tensors = new Map<string, TensorEntry>();
  const nonTensorKeys: string[] = [];
  for (const [k, v] of sd.entries.values()) {
    if (v instanceof PthTensor) {
      if (typeof k !== 'string')
        fail(`state dict key ${quoteValue(String(k))} is a ${pyTypeName(k)}, expected a string`);
      tensors.set(k as string, materialize(v, bigEndian, k as string, ctx));
    } else if (v instanceof PySkipped) {
      fail(
        `state dict entry ${quoteValue(String(k))} is ${v.qualname}, which is not read (only tensors)`,
      );
    } else nonTensorKeys.push(String(k));
  }
  if (tensors.size === 0) {
    fail(
      `found no tensors in ${sdKey ? `'${sdKey}'` : 'the top-level dict'} (top-level keys: ${topKeys()}); pass stateDictKey to name the entry that holds the weights`,
    );
  }
  const extras: Record<string, unknown> = {};
  if (sd !== top) {
    const rest = new PyDict();
    for (const [k, v] of top.entries.values()) if (v !== sd) rest.set(k, v, fail);
    measurePyValue(rest, {
      maxDepth: ctx.options.maxDepth,
      maxValues: ctx.options.maxObjects,
      fail,
    });
    for (const [k, v] of rest.entries.values()) extras[String(k)] = toPlainValue(v);
  }
  return {
    format,
    tensors,
    stateDictKey: sdKey,
    extras,
    nonTensorKeys,
    skippedGlobals: [...ctx.skipped],
  };
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expect = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect) return false;
    expect *= shape[i]!;
  }
  return true;
}

/** Copies a (possibly strided) view into a new contiguous little-endian tensor. */
function materialize(t: PthTensor, bigEndian: boolean, name: string, ctx: Ctx): TensorEntry {
  const es = DTYPE_SIZES[t.dtype];
  const n = t.numel;
  ctx.reserve(n * es, `tensor ${quoteValue(name)} (${n} ${t.dtype} elements)`);
  const src = t.storage.load();
  if (src.length !== t.storage.numel * es) {
    ctx.fail(
      `storage ${quoteValue(t.storage.key)} gives ${src.length} bytes, expected ${t.storage.numel * es}`,
    );
  }
  let data: TensorEntry['data'];
  if (n === 0) data = typedArrayFromBytes(t.dtype, new Uint8Array(0));
  else if (isContiguous(t.shape, t.stride)) {
    data = typedArrayFromBytes(
      t.dtype,
      src.subarray(t.storageOffset * es, (t.storageOffset + n) * es),
    );
  } else {
    const out = new Uint8Array(n * es);
    const dims = t.shape.length;
    const idx = new Array<number>(dims).fill(0);
    let at = t.storageOffset;
    for (let i = 0; i < n; i++) {
      const s = at * es;
      for (let b = 0; b < es; b++) out[i * es + b] = src[s + b]!;
      for (let d = dims - 1; d >= 0; d--) {
        idx[d]!++;
        at += t.stride[d]!;
        if (idx[d]! < t.shape[d]!) break;
        at -= t.stride[d]! * t.shape[d]!;
        idx[d] = 0;
      }
    }
    data = typedArrayFromBytes(t.dtype, out);
  }
  if (bigEndian && es > 1) {
    const b = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < b.length; i += es) b.subarray(i, i + es).reverse();
  }
  return { dtype: t.dtype, shape: [...t.shape], data };
}
