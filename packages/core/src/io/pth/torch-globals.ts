// The globals a `.pth` may name, like `torch.load(weights_only=True)`: tensor rebuild
// functions, storage types, OrderedDict and a few builtins that protocol 2 needs for sets and
// bytes. Each is implemented here on inert values; no name is ever looked up anywhere else.
import { DTYPE_SIZES, type SafetensorsDtype } from '../tensor-entry.js';
import {
  PyCallable,
  PyConstant,
  PyDict,
  type PyHostObject,
  PySet,
  PySkipped,
  PyTuple,
  type PyValue,
  pyTypeName,
} from './pickle.js';

/** A storage a tensor views: its dtype, element count and (once known) bytes. */
export class PthStorage implements PyHostObject {
  readonly pyType = 'torch.storage';
  constructor(
    readonly key: string,
    readonly dtype: SafetensorsDtype,
    readonly numel: number,
    readonly location: string,
    /** Returns the storage's bytes (numel × element size); read only when a tensor needs them. */
    public load: () => Uint8Array,
  ) {}
  plain(): unknown {
    return { storage: this.dtype, numel: this.numel };
  }
}

/** A tensor as pickled: a strided view into a storage (not copied until it is needed). */
export class PthTensor implements PyHostObject {
  readonly pyType = 'torch.Tensor';
  constructor(
    readonly storage: PthStorage,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
  get dtype(): SafetensorsDtype {
    return this.storage.dtype;
  }
  /** A tensor outside the state dict is summarised, not read. */
  plain(): { dtype: SafetensorsDtype; shape: number[] } {
    return { dtype: this.dtype, shape: [...this.shape] };
  }
  get numel(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }
}

/** Storage classes (`torch.FloatStorage`, ...) and the dtype each holds. */
export const PTH_STORAGE_DTYPES: Readonly<Record<string, SafetensorsDtype>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  UntypedStorage: 'U8',
};

/** Known torch names facepar refuses on purpose, with the reason. */
const UNSUPPORTED_TORCH: Readonly<Record<string, string>> = {
  'torch._utils._rebuild_sparse_tensor': 'sparse tensors are not supported',
  'torch._utils._rebuild_sparse_csr_tensor': 'sparse tensors are not supported',
  'torch._utils._rebuild_meta_tensor_no_storage': 'meta tensors hold no data',
  'torch._utils._rebuild_qtensor': 'quantized tensors are not supported',
  'torch._utils._rebuild_nested_tensor': 'nested tensors are not supported',
  'torch._utils._rebuild_wrapper_subclass': 'tensor subclasses are not supported',
  'torch._utils._rebuild_device_tensor_from_numpy': 'numpy-backed device tensors are not supported',
  'torch._utils._rebuild_xla_tensor': 'XLA tensors are not supported',
  'torch._utils._rebuild_mlc_tensor': 'MLC tensors are not supported',
};

/** Modules and names that only a hostile pickle names; refused even with `unknownGlobals: 'skip'`. */
const DANGEROUS_MODULES = new Set([
  'os',
  'posix',
  'nt',
  'subprocess',
  'sys',
  'importlib',
  'runpy',
  'socket',
  'shutil',
  'pickle',
  '_pickle',
  'marshal',
  'code',
  'codeop',
  'pty',
  'commands',
  'webbrowser',
  'ctypes',
  'platform',
  'multiprocessing',
  'threading',
  'asyncio',
  'signal',
  'types',
  'functools',
  'operator',
  'copyreg',
  'copy_reg',
  'inspect',
  'tempfile',
  'pathlib',
  'glob',
  'urllib',
  'http',
  'requests',
  'ftplib',
  'smtplib',
  'telnetlib',
  'timeit',
  'pdb',
  'bdb',
  'trace',
  'profile',
  'cProfile',
  'site',
  'distutils',
  'setuptools',
  'pip',
]);
const DANGEROUS_TORCH = /^torch\.(hub|jit|_C|ops|_ops|package|utils\.cpp_extension)(\.|$)/;
const DANGEROUS_BUILTINS = new Set([
  'eval',
  'exec',
  'execfile',
  'compile',
  'open',
  'file',
  'input',
  'raw_input',
  'getattr',
  'setattr',
  'delattr',
  'globals',
  'locals',
  'vars',
  '__import__',
  'breakpoint',
  'apply',
  'reload',
  'exit',
  'quit',
  'help',
]);

/** The globals that read as data (everything else is refused or, when asked, skipped). */
export const PTH_ALLOWED_GLOBALS: readonly string[] = [
  'collections.OrderedDict',
  'builtins.set',
  'builtins.frozenset',
  'builtins.bytes',
  'builtins.bytearray',
  '_codecs.encode',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._tensor._rebuild_from_type',
  'torch._tensor._rebuild_from_type_v2',
  'torch.nn.parameter.Parameter',
  'torch.Tensor',
  'torch.Size',
  'torch.device',
  ...Object.keys(PTH_STORAGE_DTYPES).map((s) => `torch.${s}`),
  ...Object.keys(PTH_STORAGE_DTYPES)
    .filter((s) => s !== 'UntypedStorage')
    .map((s) => `torch.cuda.${s}`),
  ...[
    'float64',
    'float32',
    'float16',
    'bfloat16',
    'int64',
    'int32',
    'int16',
    'int8',
    'uint8',
    'bool',
    'complex64',
    'complex128',
  ].map((d) => `torch.${d}`),
  'torch.strided',
  'torch.contiguous_format',
  'torch.channels_last',
  'torch.preserve_format',
];

export interface TorchGlobalsContext {
  fail: (what: string) => never;
  /** What to do with a global that is not allowed: refuse (default) or build an inert stand-in. */
  unknownGlobals: 'error' | 'skip';
  /** Names skipped so far (filled in `skip` mode). */
  skipped: Set<string>;
}

function isTensor(v: PyValue | undefined): v is PthTensor {
  return v instanceof PthTensor;
}

/** Integer list (tuple, list or `torch.Size`) of non-negative safe integers. */
function intList(v: PyValue | undefined, what: string, fail: (w: string) => never): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : undefined;
  if (items === undefined) return fail(`${what} must be a tuple of integers, got ${pyTypeName(v)}`);
  if (items.length > 64) fail(`${what} has ${items.length} dimensions (more than 64)`);
  return items.map((x, i) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) {
      fail(
        `${what}[${i}] must be a non-negative integer, got ${typeof x === 'bigint' ? `${x}` : pyTypeName(x)}${typeof x === 'number' ? ` ${x}` : ''}`,
      );
    }
    return x as number;
  });
}

/** Validates a strided view against its storage (no overflow, no read past the end). */
export function checkTensorView(
  storage: PthStorage,
  offset: PyValue | undefined,
  size: PyValue | undefined,
  stride: PyValue | undefined,
  fail: (what: string) => never,
): PthTensor {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    fail(
      `tensor storage offset must be a non-negative integer, got ${pyTypeName(offset)} ${String(offset)}`,
    );
  }
  const shape = intList(size, 'tensor size', fail);
  const strides = intList(stride, 'tensor stride', fail);
  if (shape.length !== strides.length) {
    fail(`tensor size [${shape.join(', ')}] and stride [${strides.join(', ')}] differ in length`);
  }
  let numel = 1;
  let last = offset as number;
  for (let i = 0; i < shape.length; i++) {
    numel *= shape[i]!;
    if (!Number.isSafeInteger(numel)) fail(`tensor size [${shape.join(', ')}] overflows`);
  }
  if (numel > 0) {
    for (let i = 0; i < shape.length; i++) {
      last += (shape[i]! - 1) * strides[i]!;
      if (!Number.isSafeInteger(last)) fail(`tensor stride [${strides.join(', ')}] overflows`);
    }
    if (last >= storage.numel) {
      fail(
        `tensor of size [${shape.join(', ')}], stride [${strides.join(', ')}] at offset ${offset} reads element ${last} of a ${storage.numel}-element storage`,
      );
    }
  } else if ((offset as number) > storage.numel) {
    fail(`tensor offset ${offset} lies past its ${storage.numel}-element storage`);
  }
  return new PthTensor(storage, offset as number, shape, strides);
}

function dangerous(module: string, name: string): boolean {
  if (DANGEROUS_MODULES.has(module) || DANGEROUS_MODULES.has(module.split('.')[0]!)) return true;
  if (DANGEROUS_TORCH.test(module)) return true;
  return module === 'builtins' && DANGEROUS_BUILTINS.has(name);
}

/** Resolves a GLOBAL for the torch unpickler; see `PTH_ALLOWED_GLOBALS`. */
export function torchGlobal(module: string, name: string, ctx: TorchGlobalsContext): PyValue {
  const { fail } = ctx;
  const q = `${module}.${name}`;
  const mod =
    module === '__builtin__' ? 'builtins' : module === 'torch.tensor' ? 'torch._tensor' : module;
  const key = `${mod}.${name}`;
  const rebuildTensor = (args: PyValue[], fn: string) => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof PthStorage))
      fail(`${fn}: first argument must be a storage, got ${pyTypeName(storage)}`);
    return checkTensorView(storage as PthStorage, offset, size, stride, fail);
  };
  const tensorArg = (v: PyValue | undefined, fn: string): PthTensor => {
    if (!isTensor(v)) fail(`${fn}: expected a tensor, got ${pyTypeName(v)}`);
    return v as PthTensor;
  };
  switch (key) {
    case 'collections.OrderedDict':
      return new PyCallable(key, (args) => {
        const d = new PyDict('OrderedDict');
        const init = args[0];
        if (args.length > 1) fail('OrderedDict takes at most one argument');
        if (init != null) {
          const pairs = Array.isArray(init)
            ? init
            : init instanceof PyTuple
              ? init.items
              : undefined;
          if (pairs === undefined)
            fail(`OrderedDict argument must be a list of pairs, got ${pyTypeName(init)}`);
          for (const p of pairs!) {
            const kv = p instanceof PyTuple ? p.items : Array.isArray(p) ? p : [];
            if (kv.length !== 2) fail('OrderedDict items must be (key, value) pairs');
            d.set(kv[0]!, kv[1]!, fail);
          }
        }
        return d;
      });
    case 'builtins.set':
    case 'builtins.frozenset':
      return new PyCallable(key, (args) => {
        const init = args[0];
        if (init == null) return new PySet([]);
        const items = Array.isArray(init) ? init : init instanceof PyTuple ? init.items : undefined;
        if (items === undefined) fail(`${name}() argument must be a list, got ${pyTypeName(init)}`);
        return new PySet([...items!]);
      });
    case 'builtins.bytes':
    case 'builtins.bytearray':
      return new PyCallable(key, (args) => {
        if (args.length === 0) return new Uint8Array(0);
        if (args[0] instanceof Uint8Array) return args[0].slice();
        return latin1Encode(args, name, fail);
      });
    case '_codecs.encode':
      return new PyCallable(key, (args) => latin1Encode(args, '_codecs.encode', fail));
    case 'torch._utils._rebuild_tensor':
      return new PyCallable(key, (args) => rebuildTensor(args, name));
    case 'torch._utils._rebuild_tensor_v2':
      return new PyCallable(key, (args) => {
        if (args.length < 6 || args.length > 7)
          fail(`${name} takes 6 or 7 arguments, got ${args.length}`);
        return rebuildTensor(args, name);
      });
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return new PyCallable(key, (args) => tensorArg(args[0], name));
    case 'torch._tensor._rebuild_from_type':
    case 'torch._tensor._rebuild_from_type_v2':
      return new PyCallable(key, (args) => {
        const [fn, type, fnArgs] = args;
        if (!(fn instanceof PyCallable))
          fail(
            `${name}: first argument must be an allowed rebuild function, got ${pyTypeName(fn)}`,
          );
        const t = type instanceof PyCallable ? type.qualname : pyTypeName(type);
        if (t !== 'torch.Tensor' && t !== 'torch.nn.parameter.Parameter') {
          fail(`${name}: tensor subclass ${t} is not supported`);
        }
        if (!(fnArgs instanceof PyTuple)) fail(`${name}: arguments must be a tuple`);
        return tensorArg((fn as PyCallable).fn((fnArgs as PyTuple).items, 'reduce'), name);
      });
    case 'torch.nn.parameter.Parameter':
      return new PyCallable(key, (args) => tensorArg(args[0], 'Parameter'));
    case 'torch.Tensor':
      return new PyCallable(key, () => fail('constructing torch.Tensor directly is not supported'));
    case 'torch.Size':
      return new PyCallable(
        key,
        (args) => new PyTuple(intList(args[0] ?? new PyTuple([]), 'torch.Size', fail)),
      );
    case 'torch.device':
      return new PyCallable(key, (args) => {
        const [type, index] = args;
        if (typeof type !== 'string')
          fail(`torch.device type must be a string, got ${pyTypeName(type)}`);
        return index == null ? (type as string) : `${type}:${String(index)}`;
      });
    default:
  }
  if ((mod === 'torch' || mod === 'torch.cuda') && PTH_STORAGE_DTYPES[name] != null) {
    if (mod === 'torch.cuda' && name === 'UntypedStorage') fail(`unsupported global ${q}`);
    return new PyConstant(`torch.${name}`);
  }
  if (PTH_ALLOWED_GLOBALS.includes(key)) return new PyConstant(key);
  if (mod === 'torch' && /Storage$/.test(name)) {
    return fail(
      `global ${quoteName(q)}: ${name} tensors are not supported (facepar reads ${Object.keys(DTYPE_SIZES).join(', ')})`,
    );
  }
  if (UNSUPPORTED_TORCH[key]) return fail(`global ${quoteName(q)}: ${UNSUPPORTED_TORCH[key]}`);
  if (dangerous(mod, name)) {
    return fail(
      `refused global ${quoteName(q)}: the pickle asks to call code, which a weights file never needs (the file is hostile or not a checkpoint); nothing was run`,
    );
  }
  if (ctx.unknownGlobals === 'skip') {
    ctx.skipped.add(q);
    return new PySkipped(q);
  }
  return fail(
    `refused global ${quoteName(q)}: only tensors, storages, OrderedDict and plain containers are read (like torch.load(weights_only=True)); nothing was run. If it sits outside the weights (e.g. in 'meta'), pass unknownGlobals: 'skip' to read around it`,
  );
}

function quoteName(q: string): string {
  return q.length > 200 ? `${q.slice(0, 200)}…` : q;
}

function latin1Encode(args: PyValue[], fn: string, fail: (w: string) => never): Uint8Array {
  const [s, enc] = args;
  if (typeof s !== 'string') return fail(`${fn}: expected a string, got ${pyTypeName(s)}`);
  if (enc !== 'latin1' && enc !== 'latin-1') {
    return fail(
      `${fn}: only the latin1 encoding is read, got ${pyTypeName(enc)} ${JSON.stringify(String(enc).slice(0, 200))}`,
    );
  }
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) fail(`${fn}: character U+${c.toString(16)} is not latin1`);
    b[i] = c;
  }
  return b;
}
