import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { readTensor, readTensorSync } from '../backend/read-tensor.js';
import { FileFormatError, quote } from '../io/errors.js';
import { findNonFinite, type TensorEntry, toFloat32 } from '../io/tensor-entry.js';
import { BatchNorm2d } from '../layers/batch-norm2d.js';
import { Conv2d } from '../layers/conv2d.js';
import { DepthwiseConv2d } from '../layers/depthwise-conv2d.js';

/** Anything holding layers: a `tf.LayersModel`, a nested model, or a single layer. */
export type LayerContainer = tfl.LayersModel | tfl.layers.Layer;

export interface LoadStateDictOptions {
  /** Throw (before changing any weight) when a key is missing, unexpected or mismatched. */
  strict?: boolean;
  /** Maps a file key to a model key (e.g. strip `module.`); `null` drops the key silently. */
  rename?: (key: string) => string | null;
  /**
   * Load NaN/±Infinity weights and negative BatchNorm `running_var`s instead of refusing them
   * (default false: such a file is corrupt or comes from a diverged run, and a model built
   * from it predicts NaN everywhere).
   */
  allowNonFinite?: boolean;
  /** The file the tensors came from, named in error messages. */
  source?: string;
}

export const DEFAULT_LOAD_STATE_DICT_OPTIONS = { strict: true, allowNonFinite: false } as const;

export interface ShapeMismatch {
  key: string;
  /** PyTorch-layout shape the model needs. */
  expected: number[];
  got: number[];
  reason: string;
}

export interface LoadStateDictReport {
  /** Model keys that received a value. */
  loaded: string[];
  /** Model keys absent from the file. */
  missing: string[];
  /** File keys (after `rename`) that no layer owns. */
  unexpected: string[];
  mismatched: ShapeMismatch[];
}

export interface ExportStateDictOptions {
  /** Add PyTorch's `L.num_batches_tracked` (I64 scalar, 0) for every BatchNorm2d (default true). */
  numBatchesTracked?: boolean;
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);
const IGNORED_SUFFIX = '.num_batches_tracked';
const RUNNING_VAR_SUFFIX = '.running_var';

/**
 * Refuses, naming the first bad tensor (in file order), weights that are not finite and
 * BatchNorm running variances below zero.
 */
function checkWeightValues(plan: [Slot, TensorEntry, string][], source: string | undefined): void {
  const fail = (problem: string): never => {
    throw new FileFormatError({
      format: 'weights',
      source,
      problem: `${problem}; the file is corrupt or comes from a diverged run (allowNonFinite / --allow-nonfinite loads it anyway)`,
    });
  };
  for (const [slot, entry, fileKey] of plan) {
    const bad = findNonFinite(entry);
    const name = fileKey === slot.key ? quote(fileKey) : `${quote(fileKey)} (${quote(slot.key)})`;
    if (bad) {
      fail(
        `tensor ${name} has ${bad.count} non-finite value${bad.count === 1 ? '' : 's'} of ${entry.data.length} (first: ${bad.value} at index ${bad.index})`,
      );
    }
    if (slot.key.endsWith(RUNNING_VAR_SUFFIX)) {
      const v = entry.dtype === 'F32' || entry.dtype === 'F64' ? entry.data : toFloat32(entry);
      const a = v as ArrayLike<number>;
      for (let i = 0; i < a.length; i++) {
        if (a[i]! < 0) {
          fail(`BatchNorm variance ${name} is negative (${a[i]} at index ${i})`);
        }
      }
    }
  }
}

/**
 * One PyTorch key owned by a layer: its variable, the PyTorch shape, and the layout maps.
 * `toTorch` maps tfjs data (row-major in tfjs layout) to PyTorch layout and `fromTorch` back.
 */
interface Slot {
  key: string;
  variable: tfl.LayerVariable;
  torchShape: number[];
  toTorch: (data: Float32Array) => Float32Array;
  fromTorch: (data: Float32Array) => Float32Array;
}

/** Permutes a row-major 4-D array: out[i_perm...] so that out axis k = in axis perm[k]. */
function permute4(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const out = new Float32Array(data.length);
  const inStrides = [shape[1]! * shape[2]! * shape[3]!, shape[2]! * shape[3]!, shape[3]!, 1];
  const os = perm.map((p) => shape[p]!);
  const [s0, s1, s2, s3] = perm.map((p) => inStrides[p]!) as [number, number, number, number];
  let o = 0;
  for (let a = 0; a < os[0]!; a++) {
    for (let b = 0; b < os[1]!; b++) {
      for (let c = 0; c < os[2]!; c++) {
        const base = a * s0 + b * s1 + c * s2;
        for (let d = 0; d < os[3]!; d++) out[o++] = data[base + d * s3]!;
      }
    }
  }
  return out;
}

const identity = (d: Float32Array) => d;

// Dispatch on the registered class name rather than `instanceof`, so layers built by a second
// copy of this module (source vs dist) still map.
function isClass<T>(
  layer: tfl.layers.Layer,
  cls: { className: string },
): layer is tfl.layers.Layer & T {
  return layer.getClassName() === cls.className;
}

function slotsOf(layer: tfl.layers.Layer): Slot[] {
  const L = layer.name;
  if (isClass<Conv2d>(layer, Conv2d) && layer.kernel != null) {
    const [kh, kw, i, o] = layer.kernel.shape as number[];
    const slots: Slot[] = [
      {
        key: `${L}.weight`,
        variable: layer.kernel,
        torchShape: [o!, i!, kh!, kw!],
        // HWIO -> OIHW and back
        toTorch: (d) => permute4(d, [kh!, kw!, i!, o!], [3, 2, 0, 1]),
        fromTorch: (d) => permute4(d, [o!, i!, kh!, kw!], [2, 3, 1, 0]),
      },
    ];
    if (layer.bias != null) slots.push(vectorSlot(`${L}.bias`, layer.bias));
    return slots;
  }
  if (isClass<DepthwiseConv2d>(layer, DepthwiseConv2d) && layer.kernel != null) {
    const [kh, kw, c, m] = layer.kernel.shape as number[];
    const slots: Slot[] = [
      {
        key: `${L}.weight`,
        variable: layer.kernel,
        torchShape: [c! * m!, 1, kh!, kw!],
        // [kh,kw,C,m] <-> [C,m,kh,kw] (= [C*m,1,kh,kw] row-major)
        toTorch: (d) => permute4(d, [kh!, kw!, c!, m!], [2, 3, 0, 1]),
        fromTorch: (d) => permute4(d, [c!, m!, kh!, kw!], [2, 3, 0, 1]),
      },
    ];
    if (layer.bias != null) slots.push(vectorSlot(`${L}.bias`, layer.bias));
    return slots;
  }
  if (isClass<BatchNorm2d>(layer, BatchNorm2d) && layer.gamma != null) {
    return [
      vectorSlot(`${L}.weight`, layer.gamma),
      vectorSlot(`${L}.bias`, layer.beta!),
      vectorSlot(`${L}.running_mean`, layer.movingMean!),
      vectorSlot(`${L}.running_var`, layer.movingVariance!),
    ];
  }
  return [];
}

function vectorSlot(key: string, variable: tfl.LayerVariable): Slot {
  return {
    key,
    variable,
    torchShape: variable.shape as number[],
    toTorch: identity,
    fromTorch: identity,
  };
}

/** All layers of a model, depth first (nested models included), each once. */
export function flattenLayers(container: LayerContainer): tfl.layers.Layer[] {
  const out: tfl.layers.Layer[] = [];
  const seen = new Set<tfl.layers.Layer>();
  const visit = (layer: tfl.layers.Layer) => {
    if (seen.has(layer)) return;
    seen.add(layer);
    const inner = (layer as { layers?: tfl.layers.Layer[] }).layers;
    if (Array.isArray(inner)) inner.forEach(visit);
    else out.push(layer);
  };
  visit(container as tfl.layers.Layer);
  return out;
}

function collectSlots(model: LayerContainer): Map<string, Slot> {
  const slots = new Map<string, Slot>();
  for (const layer of flattenLayers(model)) {
    for (const slot of slotsOf(layer)) {
      if (slots.has(slot.key)) {
        throw new Error(`state dict: two layers own the key '${slot.key}' (duplicate layer name?)`);
      }
      slots.set(slot.key, slot);
    }
  }
  return slots;
}

/** What `exportStateDict` writes, in order: a slot to read, or a constant entry. */
type ExportItem = { slot: Slot } | { key: string; entry: TensorEntry };

function exportPlan(model: LayerContainer, options: ExportStateDictOptions): ExportItem[] {
  const withTracked = options.numBatchesTracked ?? true;
  const plan: ExportItem[] = [];
  for (const layer of flattenLayers(model)) {
    for (const slot of slotsOf(layer)) plan.push({ slot });
    if (withTracked && isClass<BatchNorm2d>(layer, BatchNorm2d) && layer.gamma != null) {
      plan.push({
        key: `${layer.name}${IGNORED_SUFFIX}`,
        entry: { dtype: 'I64', shape: [], data: new BigInt64Array(1) },
      });
    }
  }
  return plan;
}

function exportEntries(plan: ExportItem[], values: Float32Array[]): Map<string, TensorEntry> {
  const out = new Map<string, TensorEntry>();
  let v = 0;
  for (const item of plan) {
    if ('entry' in item) {
      out.set(item.key, item.entry);
      continue;
    }
    const { slot } = item;
    out.set(slot.key, {
      dtype: 'F32',
      shape: [...slot.torchShape],
      data: slot.toTorch(Float32Array.from(values[v++] as Float32Array)),
    });
  }
  return out;
}

const slotTensors = (plan: ExportItem[]): tf.Tensor[] =>
  plan.flatMap((item) => ('slot' in item ? [item.slot.variable.read()] : []));

/**
 * The PyTorch parameter name (state-dict key, e.g. `backbone.conv1.weight`) of each variable the
 * naming rule covers, keyed by the tfjs variable name. tfjs suffixes variable names (`_1`, `_2`)
 * when another model in the process reuses a layer name, so they differ between processes; the
 * parameter names do not (optimiser state is saved under them).
 */
export function parameterNames(model: LayerContainer): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, slot] of collectSlots(model)) {
    out.set((slot.variable.read() as tf.Variable).name, key);
  }
  return out;
}

/**
 * The model's weights as a PyTorch state dict (F32, PyTorch layout), keyed by rule from the
 * layer names: Conv2d/DepthwiseConv2d `L.weight`, `L.bias`; BatchNorm2d `L.weight`, `L.bias`,
 * `L.running_mean`, `L.running_var` (+ `L.num_batches_tracked`). Data is copied. Reads
 * asynchronously, so it works on every backend (webgpu included).
 */
export async function exportStateDictAsync(
  model: LayerContainer,
  options: ExportStateDictOptions = {},
): Promise<Map<string, TensorEntry>> {
  const plan = exportPlan(model, options);
  // All reads are issued before the first await (a GPU backend queues them together).
  const values = await Promise.all(slotTensors(plan).map((t) => readTensor<'float32'>(t)));
  return exportEntries(plan, values);
}

/**
 * `exportStateDictAsync`, read synchronously: cpu, wasm and tensorflow backends only (throws on
 * webgpu, which cannot read synchronously in Node).
 */
export function exportStateDict(
  model: LayerContainer,
  options: ExportStateDictOptions = {},
): Map<string, TensorEntry> {
  const plan = exportPlan(model, options);
  const values = slotTensors(plan).map((t) =>
    readTensorSync<'float32'>(t, {
      caller: 'exportStateDict()',
      asyncAlternative: 'await exportStateDictAsync()',
    }),
  );
  return exportEntries(plan, values);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function formatReport(r: LoadStateDictReport): string {
  const list = (xs: string[]) => (xs.length === 0 ? 'none' : xs.join(', '));
  const mism =
    r.mismatched.length === 0
      ? 'none'
      : r.mismatched.map((m) => `${m.key} (${m.reason})`).join(', ');
  return `missing keys (${r.missing.length}): ${list(r.missing)}; unexpected keys (${r.unexpected.length}): ${list(r.unexpected)}; mismatched (${r.mismatched.length}): ${mism}`;
}

/**
 * Loads a PyTorch state dict into a built model by the naming rule (see `exportStateDict`),
 * converting OIHW → HWIO and `[C·m,1,kh,kw]` → `[kh,kw,C,m]`; F32/F16/BF16/F64 accepted;
 * `*.num_batches_tracked` ignored. Strict mode (default) throws before changing anything if
 * any key is missing, unexpected or mismatched, listing all three; otherwise it loads what
 * matches and reports the rest. Unless `allowNonFinite`, it also throws (a `FileFormatError`
 * naming the first bad tensor and `source`, before changing anything) when a weight it would
 * load is NaN or ±Infinity, or a BatchNorm `running_var` is negative.
 */
export function loadStateDict(
  model: LayerContainer,
  tensors: Map<string, TensorEntry>,
  options: LoadStateDictOptions = {},
): LoadStateDictReport {
  const strict = options.strict ?? DEFAULT_LOAD_STATE_DICT_OPTIONS.strict;
  if (typeof strict !== 'boolean') {
    throw new Error(`loadStateDict: strict must be true or false, got ${String(strict)}`);
  }
  const slots = collectSlots(model);
  const report: LoadStateDictReport = { loaded: [], missing: [], unexpected: [], mismatched: [] };
  const allowNonFinite = options.allowNonFinite ?? DEFAULT_LOAD_STATE_DICT_OPTIONS.allowNonFinite;
  if (typeof allowNonFinite !== 'boolean') {
    throw new Error(
      `loadStateDict: allowNonFinite must be true or false, got ${String(allowNonFinite)}`,
    );
  }
  const plan: [Slot, TensorEntry, string][] = [];
  const seen = new Set<string>();
  for (const [fileKey, entry] of tensors) {
    const key = options.rename ? options.rename(fileKey) : fileKey;
    if (key == null || key.endsWith(IGNORED_SUFFIX)) continue;
    const slot = slots.get(key);
    if (slot == null) {
      report.unexpected.push(key);
      continue;
    }
    if (seen.has(key)) throw new Error(`loadStateDict: two file keys map to '${key}'`);
    seen.add(key);
    if (!FLOAT_DTYPES.has(entry.dtype)) {
      report.mismatched.push({
        key,
        expected: slot.torchShape,
        got: entry.shape,
        reason: `dtype ${entry.dtype} is not a float type`,
      });
    } else if (!sameShape(entry.shape, slot.torchShape)) {
      report.mismatched.push({
        key,
        expected: slot.torchShape,
        got: entry.shape,
        reason: `shape [${entry.shape.join(', ')}] in file, model needs [${slot.torchShape.join(', ')}]`,
      });
    } else {
      plan.push([slot, entry, fileKey]);
    }
  }
  for (const key of slots.keys()) if (!seen.has(key)) report.missing.push(key);
  if (
    strict &&
    (report.missing.length > 0 || report.unexpected.length > 0 || report.mismatched.length > 0)
  ) {
    const where = options.source === undefined ? '' : ` ${options.source}`;
    throw new Error(`loadStateDict (strict)${where}: ${formatReport(report)}`);
  }
  if (!allowNonFinite) checkWeightValues(plan, options.source);
  for (const [slot, entry] of plan) {
    // copy: the cpu backend keeps the array it is given
    const src = entry.dtype === 'F32' ? (entry.data as Float32Array).slice() : toFloat32(entry);
    const data = slot.fromTorch(src);
    const t = tf.tensor(data, slot.variable.shape as number[], 'float32');
    slot.variable.write(t);
    t.dispose();
    report.loaded.push(slot.key);
  }
  return report;
}

/** One-line summary of a load report (for logs). */
export function formatStateDictReport(report: LoadStateDictReport): string {
  return `loaded ${report.loaded.length}; ${formatReport(report)}`;
}
