import * as tf from '@tensorflow/tfjs-core';

type RunKernel = (name: string, ...rest: unknown[]) => unknown;

/**
 * Runs `fn` and returns how often each kernel was dispatched through the engine (forward ops,
 * the gradients' ops, optimiser ops), by name. Kernels that a backend's kernel implementation
 * calls internally are not seen: they are that backend's business.
 */
export async function recordKernels(fn: () => unknown): Promise<Map<string, number>> {
  const engine = tf.engine() as unknown as { runKernel: RunKernel };
  const counts = new Map<string, number>();
  const hadOwn = Object.hasOwn(engine, 'runKernel');
  const original = engine.runKernel;
  engine.runKernel = function (this: unknown, name: string, ...rest: unknown[]) {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return original.call(this, name, ...rest);
  };
  try {
    await fn();
  } finally {
    if (hadOwn) engine.runKernel = original;
    else delete (engine as Partial<{ runKernel: RunKernel }>).runKernel;
  }
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

/** The kernel names in `names` that `backend` has no kernel for (tfjs' kernel registry). */
export function missingKernels(options: { names: Iterable<string>; backend: string }): string[] {
  return [...options.names].filter((n) => tf.getKernel(n, options.backend) == null);
}

const TFJS = 'tfjs-webgpu';
const FACEPAR = 'facepar (core registerWebGpuTrainingKernels)';

/**
 * Every kernel one training step of deeplabv3plus_r50-d8 dispatches on webgpu (`facepar
 * train`'s step: forward, backward with core's gradients and `leanVariableGrads`, weighted CE,
 * the log's pixel accuracy, one read of the scalars, SGD), recorded on
 * llvmpipe at 296 px (all taps of the dilation-36 branch live) and checked by
 * `webgpu-train-step.test.ts`. `impl` says whose webgpu kernel runs; none is missing and none
 * falls back to the CPU (tfjs-webgpu forwards an op to its CPU code only when every input is
 * still on the CPU and small, e.g. a scalar constant).
 */
export const TRAIN_STEP_KERNELS: readonly { kernel: string; impl: string; use: string }[] = [
  { kernel: 'Add', impl: TFJS, use: 'residual adds, gradient sums, SGD' },
  { kernel: 'AddN', impl: FACEPAR, use: "gradient sums; tfjs' returns stale memory past 7 inputs" },
  { kernel: 'ArgMax', impl: TFJS, use: 'pixel accuracy (the log)' },
  { kernel: 'BatchMatMul', impl: TFJS, use: 'resize gradient, class-weighted sums' },
  { kernel: 'BatchToSpaceND', impl: TFJS, use: 'dilated convs and their gradients' },
  { kernel: 'Cast', impl: TFJS, use: 'loss masks' },
  { kernel: 'Concat', impl: TFJS, use: 'ASPP and decoder concatenation' },
  { kernel: 'Conv2D', impl: TFJS, use: 'convolutions' },
  { kernel: 'Conv2DBackpropFilter', impl: TFJS, use: 'conv weight gradients' },
  { kernel: 'Conv2DBackpropInput', impl: TFJS, use: 'conv input gradients' },
  { kernel: 'DepthToSpace', impl: TFJS, use: 'max-pool gradient (stride-2 phases)' },
  { kernel: 'DepthwiseConv2dNative', impl: TFJS, use: 'separable convs; max-pool gradient taps' },
  { kernel: 'DepthwiseConv2dNativeBackpropFilter', impl: TFJS, use: 'depthwise weight gradients' },
  { kernel: 'DepthwiseConv2dNativeBackpropInput', impl: TFJS, use: 'depthwise input gradients' },
  { kernel: 'Equal', impl: TFJS, use: 'max-pool gradient (first maximum)' },
  { kernel: 'Exp', impl: TFJS, use: 'log-softmax' },
  { kernel: 'FusedBatchNorm', impl: TFJS, use: 'batch norm' },
  { kernel: 'GreaterEqual', impl: TFJS, use: 'loss ignore mask' },
  { kernel: 'Identity', impl: TFJS, use: 'tape copies' },
  { kernel: 'Less', impl: TFJS, use: 'loss ignore mask' },
  { kernel: 'Log', impl: TFJS, use: 'log-softmax' },
  { kernel: 'LogicalAnd', impl: TFJS, use: 'loss ignore mask' },
  { kernel: 'Max', impl: TFJS, use: 'log-softmax' },
  { kernel: 'Maximum', impl: TFJS, use: 'pixel accuracy (labelled-pixel count)' },
  { kernel: 'MaxPool', impl: TFJS, use: 'stem max-pool' },
  { kernel: 'MaxPoolGrad', impl: FACEPAR, use: "tied maxima to the first (PyTorch); tfjs': last" },
  { kernel: 'Mean', impl: TFJS, use: 'batch statistics, loss mean' },
  { kernel: 'Multiply', impl: TFJS, use: 'BN, loss weights, SGD' },
  { kernel: 'Neg', impl: TFJS, use: 'loss, BN gradient' },
  { kernel: 'NotEqual', impl: TFJS, use: 'loss ignore mask' },
  { kernel: 'OneHot', impl: TFJS, use: 'loss targets' },
  { kernel: 'PadV2', impl: TFJS, use: 'PyTorch symmetric padding, dilated-conv bookkeeping' },
  { kernel: 'RealDiv', impl: TFJS, use: 'loss mean, BN gradient' },
  { kernel: 'Relu', impl: TFJS, use: 'activations' },
  { kernel: 'Reshape', impl: TFJS, use: 'layout' },
  { kernel: 'ResizeBilinear', impl: TFJS, use: 'decoder upsampling, logits to label size' },
  { kernel: 'Rsqrt', impl: TFJS, use: 'batch norm' },
  { kernel: 'Slice', impl: TFJS, use: 'conv tap crops, resize gradient' },
  { kernel: 'SpaceToBatchND', impl: TFJS, use: 'dilated convs and their gradients' },
  { kernel: 'SplitV', impl: TFJS, use: 'concat gradients' },
  { kernel: 'Square', impl: TFJS, use: 'batch variance' },
  { kernel: 'Step', impl: TFJS, use: 'ReLU gradient' },
  { kernel: 'Sub', impl: TFJS, use: 'log-softmax, BN, SGD' },
  { kernel: 'Sum', impl: TFJS, use: 'reductions (BN gradients, loss)' },
];
