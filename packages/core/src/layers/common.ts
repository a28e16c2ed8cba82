import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Constructor arguments of `tfl.layers.Layer` (not exported from the tfjs-layers root). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
/** Keyword arguments of `Layer.call` (`training`, ...). */
export type Kwargs = Parameters<tfl.layers.Layer['call']>[1];
/** A tfjs-layers initializer instance (e.g. `tfl.initializers.zeros()`). */
export type Initializer = ReturnType<typeof tfl.initializers.zeros>;
/** An int or an `[h, w]` pair, as PyTorch's `_pair`. */
export type IntPair = number | [number, number];

/** Expands `value` to `[h, w]`, checking that both are integers `>= min`. */
export function toPair(value: IntPair, what: string, min: number): [number, number] {
  const pair: [number, number] = typeof value === 'number' ? [value, value] : value;
  if (
    !Array.isArray(pair) ||
    pair.length !== 2 ||
    !pair.every((v) => Number.isInteger(v) && v >= min)
  ) {
    throw new Error(
      `${what} must be an integer >= ${min} or a pair [h, w] of such integers, got ${JSON.stringify(value)}`,
    );
  }
  return [pair[0], pair[1]];
}

/** The single tensor of `inputs`, or an error naming the layer. */
export function oneTensor(inputs: tf.Tensor | tf.Tensor[], layer: string): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) {
      throw new Error(`layer ${layer} expects one input tensor, got ${inputs.length}`);
    }
    return inputs[0]!;
  }
  return inputs;
}

/** Expects a rank-4 NHWC shape and returns it. */
export function nhwcShape(shape: tfl.Shape | tfl.Shape[], layer: string): tfl.Shape {
  const s = (Array.isArray(shape[0]) ? shape[0] : shape) as tfl.Shape;
  if (s.length !== 4) {
    throw new Error(`layer ${layer} expects an NHWC input of rank 4, got shape [${s.join(', ')}]`);
  }
  return s;
}

/** Output size of a PyTorch conv/pool along one axis (`null` stays `null`). */
export function convOutSize(
  size: number | null,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
): number | null {
  if (size == null) return null;
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** JSON form of an initializer (`{ className, config }`), or null. */
export function serializeInitializer(
  init: Initializer | undefined,
): tf.serialization.ConfigDict | null {
  if (init == null) return null;
  return { className: init.getClassName(), config: init.getConfig() };
}

/** Inverse of `serializeInitializer`; accepts an instance too. */
export function deserializeInitializer(value: unknown): Initializer | undefined {
  if (value == null) return undefined;
  if (value instanceof tf.serialization.Serializable) return value as Initializer;
  const { className, config } = value as { className: string; config: tf.serialization.ConfigDict };
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry == null) throw new Error(`unknown initializer class '${className}'`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, config) as unknown as Initializer;
}

/**
 * mmcv `kaiming_init(mode='fan_out', nonlinearity='relu', distribution='normal')`: a plain
 * (not truncated) normal with std sqrt(2 / fan_out), fan_out as PyTorch computes it.
 */
export function kaimingNormalFanOut(fanOut: number, seed?: number): Initializer {
  return tfl.initializers.randomNormal({
    mean: 0,
    stddev: Math.sqrt(2 / fanOut),
    seed: tfjsSeed(seed),
  });
}

/**
 * The seed to hand to a tfjs random op or initializer. tfjs draws from `seed ? seed :
 * Math.random()`, so a seed of 0 silently means "unseeded"; 0 maps to a distinct non-zero
 * seed, every other value passes through.
 */
export function tfjsSeed(seed: number | undefined): number | undefined {
  return seed === 0 ? 0.5 : seed;
}

interface EngineState {
  gradientDepth: number;
}

/**
 * Runs `fn` with the gradient tape switched off, so that bookkeeping (BatchNorm running
 * statistics) done inside a training forward pass is neither recorded nor kept alive for the
 * backward pass. tfjs has no public API for this; the engine records only while
 * `state.gradientDepth > 0`, so we zero it for the duration of `fn` and restore it.
 */
export function withoutTape<T>(fn: () => T): T {
  const state = (tf.engine() as unknown as { state?: EngineState }).state;
  if (state == null || typeof state.gradientDepth !== 'number') return fn();
  const saved = state.gradientDepth;
  state.gradientDepth = 0;
  try {
    return fn();
  } finally {
    state.gradientDepth = saved;
  }
}
