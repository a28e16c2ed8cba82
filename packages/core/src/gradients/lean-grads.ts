import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.variableGrads` with a backward pass that frees memory as it goes.
 *
 * Why: tfjs-core 4.22's `engine.gradients` keeps every tape node's saved tensors and every
 * intermediate gradient until the whole backward pass ends, so a training step peaks at all the
 * saved activations plus the gradients of all of them; and on wasm every saved tensor is a copy.
 * Here, during the call only:
 * - saved tensors share their source's buffer instead of copying it (`shareSavedTensors`);
 * - the saved tensors of nodes that cannot reach the loss (accuracy, running statistics) are
 *   disposed when the forward pass ends;
 * - each node's saved tensors, the gradients of its outputs, the partial sums of accumulated
 *   gradients and whatever its gradient function allocated are disposed as soon as the backward
 *   walk has moved past that node.
 * Gradients are the same kernels on the same tensors in the same order: bit-identical results.
 *
 * tfjs-core internals relied on (tfjs-core 4.22.0 `engine.ts` / `tape.ts`; the version and the
 * shapes are checked at every call, and a mismatch throws instead of computing something else):
 * - `engine.startTape()` / `engine.endTape()` (private): record a tape while `f` runs;
 * - `engine.state.activeTape`: the recorded nodes `{ id, kernelName, inputs, outputs, gradient,
 *   saved }`; `gradient(dys)` returns one thunk per input name; `saved` are engine-made tensors
 *   marked `kept`, read by that node's gradient only; disposed and set to null after the call;
 * - `engine.state.gradientDepth` / `kernelDepth`: both 0 is the only case handled here
 *   (higher-order gradients need the tape intact, so a call nested in another gradient
 *   computation or a kernel defers to `tf.variableGrads`);
 * - `engine.clone` (private; what `saveTensorsForBackwardMode` and `customGrad`'s save call),
 *   shadowed by an own property for the forward pass and deleted in `finally`; the replacement
 *   uses `engine.runKernel('Reshape')`, `engine.addTapeNode` (private) and
 *   `engine.state.activeScope`, as the original does with `Identity`;
 * - `tape.ts` `getFilteredNodesXToY` and `backpropagateGradients`, re-implemented below with the
 *   same node order, the same per-gradient `tidy`, the same checks and the same `add` order.
 *
 * Never disposed: the variables and any input of `f`, the value `f` returns, tensors created
 * before the backward pass or marked with `tf.keep`, and the returned gradients. On an exception
 * (in `f` or in a gradient) the tape's saved tensors are disposed and the engine restored (tfjs
 * 4.22 itself leaks the saved tensors in that case).
 */

/** The tfjs-core version whose engine internals this file was written against and tested on. */
export const LEAN_GRADS_TFJS_VERSION = '4.22.0';

export interface LeanVariableGradsOptions {
  /** The loss: must return a scalar. Runs with the tape on, like `tf.variableGrads`' `f`. */
  f: () => tf.Scalar;
  /** Variables to differentiate; default all registered variables. Non-trainable ones get null. */
  varList?: tf.Variable[];
}

export interface LeanVariableGradsResult {
  /** The loss `f` returned; the caller owns it. */
  value: tf.Scalar;
  /** Gradient per variable name (null for listed non-trainable variables); the caller owns them. */
  grads: tf.NamedTensorMap;
}

type GradientThunks = Record<string, () => tf.Tensor>;

/** A tape node as tfjs-core 4.22's `engine.addTapeNode` records it. */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => GradientThunks;
  saved?: tf.Tensor[];
}

interface EngineInternals {
  state: {
    activeTape: TapeNode[] | null;
    gradientDepth: number;
    kernelDepth: number;
    activeScope: { name: string } | null;
  };
  registeredVariables: Record<string, tf.Variable>;
  startTape(): void;
  endTape(): void;
  tidy<T>(name: string, fn: () => T): T;
  clone(x: tf.Tensor): tf.Tensor;
  addTapeNode(
    kernelName: string,
    inputs: Record<string, tf.Tensor>,
    outputs: tf.Tensor[],
    gradientsFunc: (dy: tf.Tensor) => GradientThunks,
    saved: tf.Tensor[],
    attrs: tf.NamedAttrMap,
  ): void;
  runKernel(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: tf.NamedAttrMap): unknown;
}

function internalsError(what: string): Error {
  return new Error(
    `leanVariableGrads: ${what}. It relies on tfjs-core ${LEAN_GRADS_TFJS_VERSION} engine ` +
      `internals (startTape/endTape, clone, addTapeNode, runKernel, state.activeTape, ` +
      `state.gradientDepth, state.kernelDepth, state.activeScope, tape nodes {id, kernelName, ` +
      `inputs, outputs, gradient, saved}); use tf.variableGrads instead, or ` +
      `re-verify lean-grads.ts against this tfjs-core version.`,
  );
}

/** The engine, typed by the internals used here, after checking that it has them. */
function engineInternals(): EngineInternals {
  if (tf.version_core !== LEAN_GRADS_TFJS_VERSION) {
    throw internalsError(`found tfjs-core ${tf.version_core}`);
  }
  const engine = tf.engine() as unknown as Partial<EngineInternals>;
  const state = engine.state as Partial<EngineInternals['state']> | undefined;
  for (const name of [
    'startTape',
    'endTape',
    'tidy',
    'clone',
    'addTapeNode',
    'runKernel',
  ] as const) {
    if (typeof engine[name] !== 'function')
      throw internalsError(`engine.${name} is not a function`);
  }
  if (
    state == null ||
    typeof state.gradientDepth !== 'number' ||
    typeof state.kernelDepth !== 'number' ||
    // unset until the first gradient computation, null after one, an array during one
    !(state.activeTape == null || Array.isArray(state.activeTape))
  ) {
    throw internalsError('engine.state lacks gradientDepth, kernelDepth or activeTape');
  }
  return engine as EngineInternals;
}

function assertTape(tape: unknown): asserts tape is TapeNode[] {
  if (!Array.isArray(tape)) throw internalsError('engine.state.activeTape is not an array after f');
  for (const node of tape as Partial<TapeNode>[]) {
    const ok =
      typeof node.id === 'number' &&
      typeof node.kernelName === 'string' &&
      node.inputs != null &&
      typeof node.inputs === 'object' &&
      Array.isArray(node.outputs) &&
      (node.saved === undefined || Array.isArray(node.saved)) &&
      (node.gradient === undefined || typeof node.gradient === 'function');
    if (!ok) throw internalsError(`tape node ${String(node.kernelName)} has an unexpected shape`);
  }
}

/**
 * Makes the engine's saved tensors share their source's buffer until the returned function is
 * called. tfjs-core 4.22 `engine.clone` (its only callers: the saves of registered kernels and of
 * `customGrad`) copies through the `Identity` kernel, which is a full copy on wasm (cpu only
 * adds a reference), so every saved activation existed twice until the forward scope ended.
 * This clone shares through `Reshape` (a reference on cpu and wasm; tensors are immutable, and
 * `Variable.assign` rebinds rather than writes) and records the same tape node as the original.
 */
function shareSavedTensors(engine: EngineInternals): () => void {
  // Already overridden (by whom?): leave it alone, saved tensors are then copied as usual.
  if (Object.hasOwn(engine, 'clone')) return () => {};
  const original = engine.clone;
  engine.clone = (x: tf.Tensor) => {
    // Saves run inside a kernel, where Reshape is not taped; anything else keeps the original.
    if (engine.state.kernelDepth === 0) return original.call(engine, x);
    const y = engine.runKernel('Reshape', { x }, { shape: x.shape }) as tf.Tensor;
    const grad = (dy: tf.Tensor) => ({
      x: () => engine.runKernel('Cast', { x: dy }, { dtype: 'float32' }) as tf.Tensor,
    });
    engine.addTapeNode(engine.state.activeScope?.name ?? '', { x }, [y], grad, [], {});
    return y;
  };
  return () => {
    delete (engine as Partial<EngineInternals>).clone;
  };
}

/**
 * The nodes on a path from `xs` to `y`, in tape order, inputs pruned to those that depend on
 * `xs` (tfjs-core 4.22 `tape.ts` `getFilteredNodesXToY`).
 */
function filterTape(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    for (const name in node.inputs) {
      if (fromX.has((node.inputs[name] as tf.Tensor).id)) {
        for (const o of node.outputs) fromX.add(o.id);
        nodesFromX.add(node.id);
        break;
      }
    }
  }
  const leadToY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i] as TapeNode;
    if (node.outputs.some((o) => leadToY.has(o.id))) {
      for (const name in node.inputs) {
        leadToY.add((node.inputs[name] as tf.Tensor).id);
        nodesToY.add(node.id);
      }
    }
  }
  const filtered: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromX.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const name in node.inputs) {
      const input = node.inputs[name] as tf.Tensor;
      if (fromX.has(input.id)) inputs[name] = input;
    }
    filtered.push({ ...node, inputs });
  }
  return filtered;
}

/**
 * Walks `filtered` backwards from `seed` (dy of `y`), like tfjs-core 4.22 `backpropagateGradients`,
 * disposing what no later step can read. Returns the accumulated gradient per tensor id; only the
 * entries of `xs` remain.
 */
function backpropagate(
  engine: EngineInternals,
  filtered: TapeNode[],
  y: tf.Tensor,
  seed: tf.Tensor,
  xIds: Set<number>,
): Map<number, tf.Tensor> {
  const grads = new Map<number, tf.Tensor>();
  // How many `grads` entries hold each tensor: a gradient may pass dy through unchanged, so one
  // tensor can be the gradient of several tensors at once.
  const refs = new Map<tf.Tensor, number>();
  // Everything disposed here was created during the backward pass (ids are increasing).
  const firstBackwardId = seed.id;
  const hold = (id: number, t: tf.Tensor) => {
    grads.set(id, t);
    refs.set(t, (refs.get(t) ?? 0) + 1);
  };
  const drop = (id: number): tf.Tensor | undefined => {
    const t = grads.get(id);
    if (t === undefined) return undefined;
    grads.delete(id);
    const n = (refs.get(t) as number) - 1;
    if (n === 0) refs.delete(t);
    else refs.set(t, n);
    return t;
  };
  const release = (t: tf.Tensor | undefined) => {
    if (t === undefined || t.isDisposed || refs.has(t) || t.kept || t.id < firstBackwardId) return;
    t.dispose();
  };
  hold(y.id, seed);

  for (let i = filtered.length - 1; i >= 0; i--) {
    const node = filtered[i] as TapeNode;
    const dys = node.outputs.map((o) => grads.get(o.id) ?? null);
    const gradient = node.gradient;
    if (gradient == null) {
      throw new Error(
        `Cannot compute gradient: gradient function not found for ${node.kernelName}.`,
      );
    }
    const names = Object.keys(node.inputs);
    // One scope per node: what its gradient function allocates besides the input gradients
    // (customGrad intermediates, zeros for unused outputs) dies with the node.
    const dxs = engine.tidy(`lean-backward ${node.kernelName}`, () => {
      const thunks = gradient(dys);
      return names.map((name) => {
        if (!(name in thunks)) {
          throw new Error(
            `Cannot backprop through input ${name}. Available gradients found: ${Object.keys(thunks)}.`,
          );
        }
        const dx = tf.tidy(() => (thunks[name] as () => tf.Tensor)());
        const x = node.inputs[name] as tf.Tensor;
        if (dx.dtype !== 'float32') {
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`,
          );
        }
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(
            `Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`,
          );
        }
        return dx;
      });
    });

    const garbage: (tf.Tensor | undefined)[] = [];
    names.forEach((name, k) => {
      const x = node.inputs[name] as tf.Tensor;
      const dx = dxs[k] as tf.Tensor;
      const current = grads.get(x.id);
      if (current === undefined) {
        hold(x.id, dx);
      } else {
        const sum = tf.add(current, dx);
        drop(x.id);
        hold(x.id, sum);
        garbage.push(current, dx);
      }
    });
    // This node produced its outputs: nothing before it in the tape reads their gradients.
    for (const o of node.outputs) if (!xIds.has(o.id)) garbage.push(drop(o.id));
    for (const t of garbage) release(t);
    for (const s of node.saved ?? []) if (!refs.has(s)) s.dispose();
  }
  return grads;
}

/** Value and gradients of `f` with respect to `xs`, with the lean backward pass. */
function leanGradients(
  engine: EngineInternals,
  f: () => tf.Tensor,
  xs: tf.Variable[],
): { value: tf.Tensor; grads: (tf.Tensor | null)[] } {
  const returned = new Set<tf.Tensor>();
  const unshare = shareSavedTensors(engine);
  try {
    engine.startTape();
    let y: tf.Tensor;
    try {
      y = engine.tidy('forward', f);
    } finally {
      engine.endTape();
      unshare();
    }
    if (!(y instanceof tf.Tensor))
      throw new Error('The result y returned by f() must be a tensor.');
    if (y.rank !== 0) {
      throw new Error(
        `The f passed in leanVariableGrads must return a scalar, but it returned a rank-${y.rank} tensor`,
      );
    }
    const tape = engine.state.activeTape;
    assertTape(tape);
    const filtered = filterTape(tape, xs, y);
    // First-order only: nodes off the x→y paths never run their gradient.
    const used = new Set(filtered.map((n) => n.id));
    for (const node of tape) if (!used.has(node.id)) for (const s of node.saved ?? []) s.dispose();

    return engine.tidy('backward', () => {
      const seed = tf.ones(y.shape);
      const grads = backpropagate(engine, filtered, y, seed, new Set(xs.map((x) => x.id)));
      const out = xs.map((x) => grads.get(x.id) ?? null);
      for (const g of out) if (g != null) returned.add(g);
      return { value: y, grads: out };
    });
  } finally {
    unshare(); // idempotent: already done unless startTape threw
    // As engine.gradients at depth 0: the tape and its saved tensors die with the call.
    const tape = engine.state.activeTape;
    if (engine.state.gradientDepth === 0 && tape != null) {
      for (const node of tape) for (const s of node.saved ?? []) if (!returned.has(s)) s.dispose();
      engine.state.activeTape = null;
    }
  }
}

function resolveLeanVariableGradsOptions(options: LeanVariableGradsOptions): {
  f: () => tf.Scalar;
  varList: tf.Variable[] | undefined;
} {
  const { f, varList } = options ?? ({} as LeanVariableGradsOptions);
  if (typeof f !== 'function') {
    throw new Error(`leanVariableGrads: f must be a function returning a scalar, got ${typeof f}`);
  }
  if (varList !== undefined) {
    if (!Array.isArray(varList)) {
      throw new Error(
        `leanVariableGrads: varList must be an array of tf.Variable, got ${typeof varList}`,
      );
    }
    const bad = varList.findIndex((v) => !(v instanceof tf.Variable));
    if (bad >= 0) throw new Error(`leanVariableGrads: varList[${bad}] is not a tf.Variable`);
  }
  return { f, varList };
}

/**
 * Same result as `tf.variableGrads(f, varList)` (bit-identical values, same names and nulls),
 * with a backward pass whose peak memory is the saved activations plus the gradients in flight
 * instead of all of them at once (see the file comment for how and which tfjs internals).
 * Inside another gradient computation (higher-order) it simply calls `tf.variableGrads`.
 * The caller owns `value` and every gradient.
 */
export function leanVariableGrads(options: LeanVariableGradsOptions): LeanVariableGradsResult {
  const { f, varList } = resolveLeanVariableGradsOptions(options);
  const engine = engineInternals();
  if (engine.state.gradientDepth > 0 || engine.state.kernelDepth > 0) {
    return tf.variableGrads(f, varList) as LeanVariableGradsResult;
  }
  const all = varList ?? Object.values(engine.registeredVariables);
  const trainable = all.filter((v) => v.trainable);
  if (trainable.length === 0) {
    throw new Error(
      `leanVariableGrads: none of the ${all.length} variables is trainable; at least one must be`,
    );
  }
  const { value, grads } = leanGradients(engine, f, trainable);
  if (grads.every((g) => g == null)) {
    throw new Error(
      'leanVariableGrads: no variable is connected to the result of f; make sure the ' +
        'operations that use the variables run inside f',
    );
  }
  const named: tf.NamedTensorMap = {};
  trainable.forEach((v, i) => {
    const g = grads[i];
    if (g != null) named[v.name] = g;
  });
  if (varList !== undefined) {
    for (const v of varList)
      if (!v.trainable) (named as Record<string, tf.Tensor | null>)[v.name] = null;
  }
  return { value: value as tf.Scalar, grads: named };
}
