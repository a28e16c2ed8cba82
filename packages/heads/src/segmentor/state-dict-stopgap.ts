// STOPGAP (reported): a private copy of the state-dict rule that docs/CONTRACTS.md assigns to
// @facepar/core (`loadStateDict` / `exportStateDict`), which had not landed when the parity tests
// were written. Replace the two functions below with core's once it exports them.
import type { TensorEntry } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface StateDictReport {
  /** Model keys the file did not provide. */
  missing: string[];
  /** File keys no layer owns (after renaming; `num_batches_tracked` never counts). */
  unexpected: string[];
  /** Keys present on both sides with different element counts/shapes. */
  mismatched: { key: string; expected: number[]; got: number[] }[];
  /** Number of tensors loaded. */
  loaded: number;
}

interface Slot {
  key: string;
  variable: tfl.LayerVariable;
  kind: 'conv' | 'depthwise' | 'vector';
}

/** The PyTorch keys a model's layers own, by the rule in docs/CONTRACTS.md. */
function slots(model: tfl.LayersModel): Slot[] {
  const out: Slot[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const w = layer.weights;
    if (w.length === 0) continue;
    if (cls === 'Conv2d' || cls === 'DepthwiseConv2d') {
      const kind = cls === 'Conv2d' ? 'conv' : 'depthwise';
      out.push({ key: `${layer.name}.weight`, variable: w[0]!, kind });
      if (w[1]) out.push({ key: `${layer.name}.bias`, variable: w[1], kind: 'vector' });
    } else if (cls === 'BatchNorm2d') {
      ['weight', 'bias', 'running_mean', 'running_var'].forEach((n, i) => {
        out.push({ key: `${layer.name}.${n}`, variable: w[i]!, kind: 'vector' });
      });
    } else {
      throw new Error(`state dict: no rule for layer ${layer.name} of class ${cls}`);
    }
  }
  return out;
}

/** Torch shape of a slot's variable. */
function torchShape(s: Slot): number[] {
  const sh = s.variable.shape as number[];
  if (s.kind === 'conv') return [sh[3]!, sh[2]!, sh[0]!, sh[1]!];
  if (s.kind === 'depthwise') return [sh[2]! * sh[3]!, 1, sh[0]!, sh[1]!];
  return sh;
}

function toTf(s: Slot, data: Float32Array): tf.Tensor {
  return tf.tidy(() => {
    const sh = s.variable.shape as number[];
    if (s.kind === 'conv')
      return tf.transpose(
        tf.tensor4d(data, torchShape(s) as [number, number, number, number]),
        [2, 3, 1, 0],
      );
    if (s.kind === 'depthwise') {
      return tf.transpose(tf.tensor4d(data, [sh[2]!, sh[3]!, sh[0]!, sh[1]!]), [2, 3, 0, 1]);
    }
    return tf.tensor(data, sh);
  });
}

function toTorch(s: Slot): tf.Tensor {
  return tf.tidy(() => {
    const v = s.variable.read();
    if (s.kind === 'conv') return tf.transpose(v, [3, 2, 0, 1]);
    if (s.kind === 'depthwise') return tf.reshape(tf.transpose(v, [2, 3, 0, 1]), torchShape(s));
    return tf.clone(v);
  });
}

function asFloat32(e: TensorEntry): Float32Array {
  if (e.dtype === 'F32') return e.data as Float32Array;
  return Float32Array.from(e.data as ArrayLike<number>);
}

export function loadStateDictStopgap(
  model: tfl.LayersModel,
  tensors: Map<string, TensorEntry>,
  options: {
    strict: boolean;
    rename?: (key: string) => string | null;
    expect?: (key: string) => boolean;
  },
): StateDictReport {
  const all = slots(model);
  const wanted = options.expect ? all.filter((s) => options.expect!(s.key)) : all;
  const byKey = new Map(all.map((s) => [s.key, s]));
  const report: StateDictReport = { missing: [], unexpected: [], mismatched: [], loaded: 0 };
  const given = new Map<string, TensorEntry>();
  for (const [k, v] of tensors) {
    if (k.endsWith('num_batches_tracked')) continue;
    const nk = options.rename ? options.rename(k) : k;
    if (nk == null) continue;
    given.set(nk, v);
    if (!byKey.has(nk)) report.unexpected.push(k);
  }
  const assign: [Slot, Float32Array][] = [];
  for (const s of wanted) {
    const e = given.get(s.key);
    if (e == null) {
      report.missing.push(s.key);
      continue;
    }
    const expected = torchShape(s);
    if (expected.length !== e.shape.length || expected.some((d, i) => d !== e.shape[i])) {
      report.mismatched.push({ key: s.key, expected, got: [...e.shape] });
      continue;
    }
    assign.push([s, asFloat32(e)]);
  }
  const bad = report.missing.length + report.unexpected.length + report.mismatched.length;
  if (options.strict && bad > 0) {
    const show = (xs: unknown[]) =>
      xs.length > 8 ? `${JSON.stringify(xs.slice(0, 8))} ... (${xs.length})` : JSON.stringify(xs);
    throw new Error(
      `state dict does not match the model (strict): missing ${show(report.missing)}, unexpected ${show(report.unexpected)}, mismatched ${show(report.mismatched)}`,
    );
  }
  for (const [s, data] of assign) {
    const t = toTf(s, data);
    s.variable.write(t);
    t.dispose();
    report.loaded++;
  }
  return report;
}

/** The model's weights as a PyTorch state dict (OIHW convs), float32. */
export function exportStateDictStopgap(model: tfl.LayersModel): Map<string, TensorEntry> {
  const out = new Map<string, TensorEntry>();
  for (const s of slots(model)) {
    const t = toTorch(s);
    out.set(s.key, { dtype: 'F32', shape: t.shape, data: t.dataSync() as Float32Array });
    t.dispose();
  }
  return out;
}
