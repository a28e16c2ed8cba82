// A restricted pickle virtual machine. It decodes the opcodes of protocols 0-5 into inert
// values (numbers, strings, lists, tuples, dicts, sets, bytes) and hands every GLOBAL to the
// host, which returns a value for the few names it allows or refuses. REDUCE/NEWOBJ call only
// host-built functions (`PyCallable`), never anything looked up by name: nothing in a pickle
// can run code. The work is linear in the input and bounded by `maxObjects` and `maxMarkDepth`.

/** A Python tuple (kept distinct from lists for the host's argument checks). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A Python dict or `collections.OrderedDict`; keys are primitives or tuples of primitives. */
export class PyDict {
  readonly entries = new Map<unknown, [PyValue, PyValue]>();
  constructor(readonly kind: 'dict' | 'OrderedDict' = 'dict') {}
  set(key: PyValue, value: PyValue, fail: (what: string) => never): void {
    this.entries.set(dictKey(key, fail), [key, value]);
  }
  get(key: string): PyValue | undefined {
    return this.entries.get(key)?.[1];
  }
  has(key: string): boolean {
    return this.entries.has(key);
  }
}

/** A Python set or frozenset (items in insertion order; no deduplication of unhashables). */
export class PySet {
  constructor(readonly items: PyValue[]) {}
}

/** A function or class the host allows; REDUCE and NEWOBJ call `fn` with the arguments. */
export class PyCallable {
  constructor(
    readonly qualname: string,
    readonly fn: (args: PyValue[], how: 'reduce' | 'newobj') => PyValue,
  ) {}
}

/** A named constant the host allows as a value (e.g. `torch.float32`); not callable. */
export class PyConstant {
  constructor(readonly qualname: string) {}
}

/**
 * Stands in for a global the host chose to skip (`unknownGlobals: 'skip'`) and for anything
 * built from it. It holds only the name: the arguments are dropped, nothing is called.
 */
export class PySkipped {
  constructor(readonly qualname: string) {}
}

/** Objects the host creates (tensors, storages); BUILD on them is refused. */
export interface PyHostObject {
  readonly pyType: string;
  /** What `toPlainValue` gives for it (e.g. a tensor's `{ dtype, shape }`). */
  plain(): unknown;
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyCallable
  | PyConstant
  | PySkipped
  | PyHostObject;

export interface PickleHost {
  /** GLOBAL / STACK_GLOBAL / INST / OBJ: a value for `module.name`, or throw. */
  global(module: string, name: string): PyValue;
  /** BINPERSID / PERSID. */
  persistentLoad(pid: PyValue): PyValue;
}

export interface UnpickleOptions {
  /** First byte of the pickle (several pickles may follow each other). */
  start?: number;
  /** Containers and host objects built at most (a memo/"billion laughs" bomb hits this). */
  maxObjects: number;
  /** MARK nesting at most. */
  maxMarkDepth: number;
  /** Throws; `what` is the message, `at` the byte offset. */
  fail: (what: string, at?: number) => never;
}

export interface UnpickleResult {
  value: PyValue;
  /** Offset just after the STOP opcode. */
  end: number;
  /** Highest protocol announced by PROTO (0 when none). */
  protocol: number;
}

/** Python's name for a value's type, for error messages. */
export function pyTypeName(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return v.kind;
  if (v instanceof PySet) return 'set';
  if (v instanceof PyCallable) return v.qualname;
  if (v instanceof PyConstant) return v.qualname;
  if (v instanceof PySkipped) return `skipped ${v.qualname}`;
  return (v as PyHostObject).pyType;
}

/** Elements a tuple dict key may hold in all (nested keys are tiny in real pickles). */
const MAX_KEY_PARTS = 4096;

function dictKey(key: PyValue, fail: (what: string) => never): unknown {
  if (key === null || typeof key !== 'object') return key;
  let parts = 0;
  const walk = (k: PyValue, depth: number): string => {
    if (++parts > MAX_KEY_PARTS || depth > 32) {
      fail(
        `a dict key is a tuple nesting deeper than 32 levels or holding over ${MAX_KEY_PARTS} items`,
      );
    }
    if (k === null || typeof k !== 'object')
      return typeof k === 'bigint' ? `${k}n` : JSON.stringify(k);
    if (k instanceof PyTuple) return `(${k.items.map((x) => walk(x, depth + 1)).join(',')})`;
    if (k instanceof Uint8Array) return `b(${k.join(',')})`;
    if (k instanceof PyConstant || k instanceof PySkipped) return `g(${k.qualname})`;
    return fail(`unhashable dict key of type ${pyTypeName(k)}`);
  };
  return `\u0000${walk(key, 0)}`;
}

const MAX_TEXT_LINE = 1 << 16;
/** Longest integer accepted from LONG/LONG1/LONG4 (bytes); checkpoints hold small ints. */
const MAX_LONG_BYTES = 1024;

function decodeLong(b: Uint8Array): number | bigint {
  const n = b.length;
  if (n === 0) return 0;
  if (n <= 6) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[i]!;
    if (b[n - 1]! & 0x80) v -= 2 ** (8 * n);
    return v;
  }
  let hex = '';
  for (let i = n - 1; i >= 0; i--) hex += b[i]!.toString(16).padStart(2, '0');
  let v = BigInt(`0x${hex}`);
  if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
  return normInt(v);
}

function normInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;
}

const utf8 = new TextDecoder('utf-8');

/** Opcodes followed by a length (of 1, 4 or 8 bytes) and that many bytes: str or bytes. */
const SIZED_OPS: Record<number, [name: string, width: 1 | 4 | 8, text: boolean]> = {
  88: ['BINUNICODE', 4, true],
  140: ['SHORT_BINUNICODE', 1, true],
  141: ['BINUNICODE8', 8, true],
  85: ['SHORT_BINSTRING', 1, true],
  67: ['SHORT_BINBYTES', 1, false],
  66: ['BINBYTES', 4, false],
  142: ['BINBYTES8', 8, false],
  150: ['BYTEARRAY8', 8, false],
};
const latin1 = new TextDecoder('latin1');

/** Decodes a Python 2 `repr` string literal (protocol 0 STRING). */
function unescapeRepr(s: string, fail: (what: string) => never): string {
  const q = s[0];
  if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) {
    fail(`STRING argument ${JSON.stringify(s.slice(0, 200))} is not quoted`);
  }
  const body = s.slice(1, -1);
  const simple: Record<string, string> = {
    n: '\n',
    t: '\t',
    r: '\r',
    '\\': '\\',
    "'": "'",
    '"': '"',
    '0': '\0',
  };
  return body.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) =>
    e.length === 3 ? String.fromCharCode(Number.parseInt(e.slice(1), 16)) : (simple[e] ?? `\\${e}`),
  );
}

/** Decodes `raw-unicode-escape` (protocol 0 UNICODE). */
function unescapeRawUnicode(bytes: Uint8Array): string {
  return latin1
    .decode(bytes)
    .replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u4?: string, u8?: string) =>
      String.fromCodePoint(Number.parseInt((u4 ?? u8)!, 16)),
    );
}

/** Runs the pickle at `options.start` to its STOP opcode. */
export function unpickle(
  bytes: Uint8Array,
  host: PickleHost,
  options: UnpickleOptions,
): UnpickleResult {
  const { fail, maxObjects, maxMarkDepth } = options;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  let pos = options.start ?? 0;
  let op = pos;
  let protocol = 0;
  let objects = 0;
  let stack: PyValue[] = [];
  const metastack: (typeof stack)[] = [];
  const memo = new Map<number, PyValue>();

  const err = (what: string): never => fail(what, op);
  const count = (k = 1) => {
    objects += k;
    if (objects > maxObjects) {
      err(
        `the pickle builds more than ${maxObjects} objects (a memo or reference bomb?); raise maxObjects if the file is genuine`,
      );
    }
  };
  const need = (k: number, what: string) => {
    if (pos + k > n) err(`${what} needs ${k} bytes but the pickle ends (truncated file?)`);
  };
  const u8 = () => {
    need(1, 'opcode argument');
    return bytes[pos++]!;
  };
  const u16 = () => {
    need(2, 'opcode argument');
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4, 'opcode argument');
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8, 'opcode argument');
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(n)) err(`length ${v} is larger than the ${n}-byte file`);
    return Number(v);
  };
  /** A 4-byte signed length (LONG4, BINSTRING). */
  const signedLength = (what: string) => {
    need(4, what);
    const k = view.getInt32(pos, true);
    pos += 4;
    if (k < 0) err(`${what} with a negative length`);
    return k;
  };
  const take = (k: number, what: string) => {
    need(k, what);
    const b = bytes.subarray(pos, pos + k);
    pos += k;
    return b;
  };
  const line = (): string => {
    const limit = Math.min(n, pos + MAX_TEXT_LINE);
    let e = pos;
    while (e < limit && bytes[e] !== 0x0a) e++;
    if (e >= limit) err('text argument has no end of line (truncated or malformed pickle)');
    const s = latin1.decode(bytes.subarray(pos, e));
    pos = e + 1;
    return s;
  };
  const push = (v: PyValue) => stack.push(v);
  const pop = (): PyValue => {
    if (stack.length === 0) err('stack underflow (malformed pickle)');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) err('stack underflow (malformed pickle)');
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = metastack.pop();
    if (prev === undefined) err('no MARK to pop to (malformed pickle)');
    stack = prev!;
    return items;
  };
  const longOf = (b: Uint8Array) => {
    if (b.length > MAX_LONG_BYTES)
      err(`integer of ${b.length} bytes is too large (limit ${MAX_LONG_BYTES})`);
    return decodeLong(b);
  };
  const call = (fnv: PyValue, args: PyValue, how: 'reduce' | 'newobj'): PyValue => {
    if (fnv instanceof PySkipped) return fnv;
    if (!(fnv instanceof PyCallable)) {
      return err(
        `${how === 'reduce' ? 'REDUCE' : 'NEWOBJ'} on ${pyTypeName(fnv)}, which is not an allowed callable`,
      );
    }
    if (!(args instanceof PyTuple))
      return err(`arguments of ${fnv.qualname} must be a tuple, got ${pyTypeName(args)}`);
    count();
    return fnv.fn(args.items, how);
  };
  const setItem = (d: PyValue, k: PyValue, v: PyValue) => {
    if (d instanceof PySkipped) return;
    if (!(d instanceof PyDict)) err(`SETITEM on ${pyTypeName(d)} (only dicts take items)`);
    (d as PyDict).set(k, v, err);
  };
  const appendTo = (l: PyValue, items: PyValue[]) => {
    if (l instanceof PySkipped) return;
    if (!Array.isArray(l)) err(`APPEND on ${pyTypeName(l)} (only lists take appends)`);
    for (const it of items) (l as PyValue[]).push(it);
  };
  const global = (module: string, name: string) => {
    count();
    return host.global(module, name);
  };

  for (;;) {
    op = pos;
    if (pos >= n) err('the pickle ends without a STOP opcode (truncated file?)');
    const code = bytes[pos++]!;
    switch (code) {
      case 0x80: // PROTO
        protocol = Math.max(protocol, u8());
        if (protocol > 5) err(`pickle protocol ${protocol} is not supported (0-5)`);
        break;
      case 0x95: // FRAME: a length hint only
        u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos, protocol };
      // ---- stack manipulation
      case 0x28: // MARK
        if (metastack.length >= maxMarkDepth) err(`MARK nesting deeper than ${maxMarkDepth}`);
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length === 0) popMark();
        else stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      // ---- memo
      case 0x71: // BINPUT
      case 0x72: // LONG_BINPUT
      case 0x94: // MEMOIZE
      case 0x70: {
        // PUT
        const index: Record<number, () => number> = {
          113: u8,
          114: u32,
          148: () => memo.size,
          112: () => Number.parseInt(line(), 10),
        };
        const i = index[code]!();
        if (!Number.isSafeInteger(i) || i < 0) err('PUT index is not a non-negative integer');
        memo.set(i, top());
        break;
      }
      case 0x68: // BINGET
      case 0x6a: // LONG_BINGET
      case 0x67: {
        // GET
        const i = code === 0x68 ? u8() : code === 0x6a ? u32() : Number.parseInt(line(), 10);
        const v = memo.get(i);
        if (v === undefined) err(`memo index ${i} was never stored (malformed or hostile pickle)`);
        push(v!);
        break;
      }
      // ---- constants and numbers
      case 0x4e: // NONE
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
        push(code === 0x4e ? null : code === 0x88);
        break;
      case 0x4a: // BININT
        need(4, 'BININT');
        push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(longOf(take(u8(), 'LONG1')));
        break;
      case 0x8b: // LONG4
        push(longOf(take(Math.min(signedLength('LONG4'), MAX_LONG_BYTES + 1), 'LONG4')));
        break;
      case 0x49: {
        // INT
        const s = line().trim();
        if (s === '00') push(false);
        else if (s === '01') push(true);
        else {
          if (!/^[-+]?\d{1,300}$/.test(s))
            err(`INT argument ${JSON.stringify(s.slice(0, 200))} is not an integer`);
          push(normInt(BigInt(s)));
        }
        break;
      }
      case 0x4c: {
        // LONG
        const s = line().trim().replace(/L$/, '');
        if (!/^[-+]?\d{1,2500}$/.test(s))
          err(`LONG argument ${JSON.stringify(s.slice(0, 200))} is not an integer`);
        push(normInt(BigInt(s)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8, 'BINFLOAT');
        push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x46: {
        // FLOAT (Python's repr, which also writes inf, -inf and nan)
        const s = line().trim();
        const lower = s.toLowerCase();
        const v = /^[-+]?inf$/.test(lower) ? (lower[0] === '-' ? -Infinity : Infinity) : Number(s);
        if (s === '' || (Number.isNaN(v) && !/^[-+]?nan$/.test(lower))) {
          err(`FLOAT argument ${JSON.stringify(s.slice(0, 200))} is not a number`);
        }
        push(v);
        break;
      }
      // ---- strings and bytes
      case 0x58: // BINUNICODE
      case 0x8c: // SHORT_BINUNICODE
      case 0x8d: // BINUNICODE8
      case 0x55: // SHORT_BINSTRING (Python 2 str)
      case 0x43: // SHORT_BINBYTES
      case 0x42: // BINBYTES
      case 0x8e: // BINBYTES8
      case 0x96: {
        // BYTEARRAY8
        const [name, width, text] = SIZED_OPS[code]!;
        const b = take(width === 1 ? u8() : width === 4 ? u32() : u64(), name);
        push(text ? utf8.decode(b) : b.slice());
        break;
      }
      case 0x56: // UNICODE
        push(unescapeRawUnicode(latin1Bytes(line())));
        break;
      case 0x54: // BINSTRING
        push(utf8.decode(take(signedLength('BINSTRING'), 'BINSTRING')));
        break;
      case 0x53: // STRING
        push(unescapeRepr(line().trim(), err));
        break;
      // ---- containers
      case 0x29: // EMPTY_TUPLE
        push(new PyTuple([]));
        break;
      case 0x85: // TUPLE1
        count();
        push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        count();
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        count();
        const c = pop();
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b, c]));
        break;
      }
      case 0x74: // TUPLE
        count();
        push(new PyTuple(popMark()));
        break;
      case 0x5d: // EMPTY_LIST
        count();
        push([]);
        break;
      case 0x6c: // LIST
        count();
        push(popMark());
        break;
      case 0x7d: // EMPTY_DICT
        count();
        push(new PyDict());
        break;
      case 0x64: {
        // DICT
        count();
        const items = popMark();
        if (items.length % 2) err('DICT with an odd number of items');
        const d = new PyDict();
        for (let i = 0; i < items.length; i += 2) d.set(items[i]!, items[i + 1]!, err);
        push(d);
        break;
      }
      case 0x8f: // EMPTY_SET
        count();
        push(new PySet([]));
        break;
      case 0x91: // FROZENSET
        count();
        push(new PySet(popMark()));
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof PySet)) err(`ADDITEMS on ${pyTypeName(s)} (only sets take items)`);
        for (const it of items) (s as PySet).items.push(it);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        appendTo(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendTo(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItem(top(), k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2) err('SETITEMS with an odd number of items');
        const d = top();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i]!, items[i + 1]!);
        break;
      }
      // ---- globals and calls: only what the host returns
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        push(global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          err('STACK_GLOBAL needs two strings');
        push(global(module as string, name as string));
        break;
      }
      case 0x52: // REDUCE
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const fnv = pop();
        push(call(fnv, args, code === 0x52 ? 'reduce' : 'newobj'));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(kwargs instanceof PyDict) || kwargs.entries.size > 0) {
          if (!(cls instanceof PySkipped))
            err(`NEWOBJ_EX with keyword arguments for ${pyTypeName(cls)} is not supported`);
        }
        push(call(cls, args, 'newobj'));
        break;
      }
      case 0x69: {
        // INST: module, name, then the MARKed arguments
        const module = line();
        const name = line();
        const args = popMark();
        push(call(global(module, name), new PyTuple(args), 'newobj'));
        break;
      }
      case 0x6f: {
        // OBJ: class and arguments after MARK
        const items = popMark();
        if (items.length === 0) err('OBJ without a class');
        push(call(items[0]!, new PyTuple(items.slice(1)), 'newobj'));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PySkipped) break;
        // OrderedDict state (e.g. a state dict's `_metadata`) is attribute data: dropped.
        if (
          obj instanceof PyDict &&
          (state instanceof PyDict || state === null || state instanceof PyTuple)
        )
          break;
        err(`BUILD (setting state) on ${pyTypeName(obj)} is not allowed`);
        break;
      }
      case 0x51: // BINPERSID
        count();
        push(host.persistentLoad(pop()));
        break;
      case 0x50: // PERSID
        count();
        push(host.persistentLoad(line()));
        break;
      case 0x82:
      case 0x83:
      case 0x84:
        err('EXT opcodes (the copyreg extension registry) are not allowed');
        break;
      case 0x97:
      case 0x98:
        err('out-of-band buffers (NEXT_BUFFER/READONLY_BUFFER) are not allowed');
        break;
      default:
        err(
          `unknown pickle opcode 0x${code.toString(16).padStart(2, '0')} (not a pickle, or a corrupt one)`,
        );
    }
  }
}

function latin1Bytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

function childrenOf(v: PyValue): PyValue[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple || v instanceof PySet) return v.items;
  if (v instanceof PyDict) return [...v.entries.values()].flat();
  return undefined;
}

export interface MeasureLimits {
  maxDepth: number;
  /** Values the expanded copy may hold. */
  maxValues: number;
  fail: (what: string) => never;
}

/**
 * Checks that a plain copy of `v` stays within `limits`, visiting each shared container once:
 * a "billion laughs" of shared references, a reference cycle or deep nesting is refused
 * before any copy is built. Returns the copy's size in values.
 */
export function measurePyValue(v: PyValue, limits: MeasureLimits): number {
  const seen = new Map<object, { size: number; height: number }>();
  const open = new Set<object>();
  const { maxDepth, maxValues, fail } = limits;
  const deep = () =>
    fail(
      `containers nest deeper than ${maxDepth} levels (a recursion bomb?); raise maxDepth if the file is genuine`,
    );
  const walk = (x: PyValue, depth: number): { size: number; height: number } => {
    if (depth > maxDepth) deep();
    const kids = childrenOf(x);
    if (kids === undefined) return { size: 1, height: 0 };
    const o = x as object;
    const known = seen.get(o);
    if (known) {
      if (depth + known.height > maxDepth) deep();
      return known;
    }
    if (open.has(o))
      fail('a container contains itself (a reference cycle), which a checkpoint never holds');
    open.add(o);
    let size = 1;
    let height = 0;
    for (const k of kids) {
      const m = walk(k, depth + 1);
      size += m.size;
      height = Math.max(height, m.height + 1);
      if (size > maxValues) {
        fail(
          `the checkpoint's other entries expand to more than ${maxValues} values (shared references: a "billion laughs" pickle?); raise maxObjects if the file is genuine`,
        );
      }
    }
    open.delete(o);
    const r = { size, height };
    seen.set(o, r);
    return r;
  };
  return walk(v, 0).size;
}

/**
 * A plain JavaScript copy: dicts with string keys become objects (other keys: a `Map`),
 * tuples, lists and sets arrays, allowed constants their name, skipped globals
 * `{ skippedGlobal: name }`, host objects their `plain()`. Check it with `measurePyValue` first.
 */
export function toPlainValue(v: PyValue): unknown {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(toPlainValue);
  if (v instanceof PyTuple || v instanceof PySet) return v.items.map(toPlainValue);
  if (v instanceof PyDict) {
    const pairs = [...v.entries.values()];
    if (pairs.every(([k]) => typeof k === 'string')) {
      return Object.fromEntries(pairs.map(([k, x]) => [k, toPlainValue(x)]));
    }
    return new Map(pairs.map(([k, x]) => [toPlainValue(k), toPlainValue(x)]));
  }
  if (v instanceof PySkipped) return { skippedGlobal: v.qualname };
  if (v instanceof PyConstant || v instanceof PyCallable) return v.qualname;
  return (v as PyHostObject).plain();
}
