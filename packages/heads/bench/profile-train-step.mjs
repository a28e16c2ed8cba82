// Kernel-by-kernel profile of one deeplabv3plus_r50-d8 training step on wasm (not part of
// `pnpm bench`; for finding where a step's time goes).
//   node packages/heads/bench/profile-train-step.mjs [--size 128] [--batch 2] [--reps 2]
//        [--threads N]  (wasm threads, default 1 so that kernel times add up to wall time)
// Every wasm kernel is wrapped with a timer; a kernel called from inside another (facepar's
// backprop kernels run tf ops) counts in its caller only. Convolution rows are split by kernel
// size, stride and dilation, with GFLOP/s for the conv and conv-gradient kernels.
import os from 'node:os';
import { activateWasm, leanVariableGrads } from '@facepar/core';
import { createSegmentor, resizeLogits } from '@facepar/heads';
import * as tf from '@tensorflow/tfjs-core';

const args = process.argv.slice(2);
const flag = (n, d) => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? args[i + 1] : d;
};
const size = Number(flag('size', '128'));
const batch = Number(flag('batch', '2'));
const reps = Number(flag('reps', '2'));
console.log(JSON.stringify(await activateWasm({ threads: Number(flag('threads', '1')) })));

const CONV = /^(Conv2D|FusedConv2D|DepthwiseConv2dNative|FusedDepthwiseConv2D)$/;
function key(name, inputs, attrs) {
  if (!CONV.test(name) && !/Backprop(Filter|Input)/.test(name)) return name;
  const f = attrs.filterShape ?? inputs.filter.shape;
  const d = JSON.stringify(attrs.dilations ?? 1);
  return `${name} ${f[0]}x${f[1]} s${JSON.stringify(attrs.strides)} d${d}`;
}
/** 2·MACs of the convolution a conv or conv-gradient kernel computes (0 for other kernels). */
function flops(name, inputs, attrs, out) {
  if (name === 'Conv2D' || name === 'FusedConv2D') {
    const f = inputs.filter.shape;
    return 2 * out.size * f[0] * f[1] * f[2];
  }
  if (name === 'Conv2DBackpropInput' || name === 'Conv2DBackpropFilter') {
    const f = attrs.filterShape ?? inputs.filter.shape;
    return 2 * inputs.dy.size * f[0] * f[1] * f[2];
  }
  return 0;
}
const stats = new Map();
let depth = 0;
let measuring = false;
for (const cfg of tf.getKernelsForBackend('wasm')) {
  const inner = cfg.kernelFunc;
  tf.unregisterKernel(cfg.kernelName, 'wasm');
  tf.registerKernel({
    ...cfg,
    kernelFunc: (a) => {
      const top = depth === 0;
      depth++;
      const t0 = performance.now();
      let out;
      try {
        out = inner(a);
      } finally {
        depth--;
      }
      if (top && measuring) {
        const ms = performance.now() - t0;
        const k = key(cfg.kernelName, a.inputs, a.attrs);
        const s = stats.get(k) ?? { ms: 0, n: 0, flop: 0 };
        s.ms += ms;
        s.n++;
        s.flop += flops(cfg.kernelName, a.inputs, a.attrs, Array.isArray(out) ? out[0] : out);
        stats.set(k, s);
      }
      return out;
    },
  });
}
const seg = createSegmentor({
  model: 'deeplabv3plus_r50-d8',
  inputShape: [size, size, 3],
  seed: 0,
});
const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1);
const labels = tf.randomUniform([batch, size, size], 0, 19, 'int32', 2);
function loss() {
  const outs = seg.model.apply(x, { training: true });
  const ce = (l) =>
    tf.losses.softmaxCrossEntropy(
      tf.oneHot(labels, 19),
      resizeLogits({ logits: l, size: [size, size] }),
    );
  return tf.add(ce(outs[0]), tf.mul(ce(outs[1]), 0.4));
}
function step() {
  const { value, grads } = leanVariableGrads({ f: loss });
  for (const [name, g] of Object.entries(grads)) {
    const v = tf.engine().registeredVariables[name];
    tf.tidy(() => v.assign(tf.sub(v, tf.mul(g, 0.01))));
    g.dispose();
  }
  value.dataSync();
  value.dispose();
}
step();
const times = [];
measuring = true;
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  step();
  times.push(performance.now() - t0);
}
measuring = false;
const total = times.reduce((a, b) => a + b, 0);
const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
console.log(
  `train step ${size}x${size} b${batch}: ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} s; load ${os.loadavg()[0].toFixed(2)}`,
);
console.log('| kernel | ms/step | calls/step | % of step | GFLOP/s |\n|---|---|---|---|---|');
let kernels = 0;
for (const [k, s] of rows) {
  kernels += s.ms;
  if (s.ms / total < 0.003) continue;
  const gf = s.flop ? (s.flop / s.ms / 1e6).toFixed(1) : '';
  console.log(
    `| ${k} | ${(s.ms / reps).toFixed(0)} | ${s.n / reps} | ${((100 * s.ms) / total).toFixed(1)} | ${gf} |`,
  );
}
console.log(
  `kernels ${(kernels / reps).toFixed(0)} ms of ${(total / reps).toFixed(0)} ms per step (the rest: JavaScript between kernels, e.g. BatchNorm's float64 arithmetic and the tape)`,
);
tf.dispose([x, labels]);
seg.dispose();
