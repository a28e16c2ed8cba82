// One SGD training step of a small ResNet block stack per tfjs backend: ms per step and
// GFLOP/s (conv FLOPs counted analytically, x3 for forward + both backward convolutions).
// Run: pnpm exec tsc -b packages/core && node packages/core/bench/train-step.bench.mjs
//      [--backends wasm,webgpu,cpu] (default: every available backend; cpu takes minutes)
//      [--merge] keeps the rows of backends not re-run from the previous result file
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, listBackends, torchPadding } from '@facepar/core';
import { RESULTS_DIR, timeIt, writeBenchResult } from '../../../scripts/bench-lib.mjs';

const INPUT = [2, 64, 64, 32];
const arg =
  process.argv.find((a) => a.startsWith('--backends='))?.split('=')[1] ??
  process.argv[process.argv.indexOf('--backends') + 1];
const wanted = process.argv.some((a) => a.startsWith('--backends')) ? arg.split(',') : null;

/** Convs of the stack: [name, kh, cin, cout, stride, input size (square)]. */
const CONVS = [
  ['b1.conv1', 3, 32, 32, 1, 64],
  ['b1.conv2', 3, 32, 32, 1, 64],
  ['b2.conv1', 3, 32, 64, 2, 64],
  ['b2.conv2', 3, 64, 64, 1, 32],
  ['b2.down', 1, 32, 64, 2, 64],
];

/** 2·N·Ho·Wo·k²·Cin·Cout per conv, x3 for forward, input gradient and filter gradient. */
function convFlops() {
  const n = INPUT[0];
  let total = 0;
  for (const [, k, cin, cout, s, size] of CONVS)
    total += 2 * n * (size / s) ** 2 * k * k * cin * cout;
  return 3 * total;
}

function seeded(shape, seed, scale) {
  let a = seed >>> 0;
  const size = shape.reduce((x, y) => x * y, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a * 1664525 + 1013904223) >>> 0;
    data[i] = ((a / 4294967296) * 2 - 1) * scale;
  }
  return tf.tensor(data, shape);
}

function createParams() {
  const p = {};
  CONVS.forEach(([name, k, cin, cout], i) => {
    p[`${name}.w`] = tf.variable(seeded([k, k, cin, cout], 10 + i, Math.sqrt(2 / (k * k * cin))));
    p[`${name}.g`] = tf.variable(tf.ones([cout]));
    p[`${name}.b`] = tf.variable(tf.zeros([cout]));
  });
  return p;
}

function convBn(p, name, x, stride, relu) {
  const w = p[`${name}.w`];
  const pad = w.shape[0] === 3 ? torchPadding(1) : 'valid';
  const y = tf.conv2d(x, w, stride, pad);
  const { mean, variance } = tf.moments(y, [0, 1, 2]);
  const z = tf.batchNorm(y, mean, variance, p[`${name}.b`], p[`${name}.g`], 1e-5);
  return relu ? tf.relu(z) : z;
}

function forward(p, x) {
  let h = tf.relu(tf.add(convBn(p, 'b1.conv2', convBn(p, 'b1.conv1', x, 1, true), 1, false), x));
  const short = convBn(p, 'b2.down', h, 2, false);
  h = tf.relu(tf.add(convBn(p, 'b2.conv2', convBn(p, 'b2.conv1', h, 2, true), 1, false), short));
  return h;
}

async function benchBackend(name) {
  const report = await initBackend({ backend: name });
  const p = createParams();
  const x = seeded(INPUT, 1, 1);
  const target = seeded([2, 32, 32, 64], 2, 1);
  const lr = 0.01;
  const step = async () => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() =>
        tf.mean(tf.squaredDifference(forward(p, x), target)),
      );
      for (const v of Object.values(p)) v.assign(tf.sub(v, tf.mul(lr, grads[v.name])));
      return value;
    });
    await loss.data(); // wait for the device
    loss.dispose();
  };
  const slow =
    name === 'cpu' || (name === 'webgpu' && report.candidates[1]?.detail?.software === true);
  const ms = await timeIt(step, slow ? { warmup: 1, reps: 1 } : { warmup: 2, reps: 5 });
  tf.dispose([x, target, ...Object.values(p)]);
  const detail = report.candidates.find((c) => c.name === name)?.detail;
  const note =
    name === 'webgpu'
      ? String(detail?.description ?? '')
      : name === 'wasm'
        ? `simd=${detail?.simd} threads=${detail?.threads}`
        : '';
  return { ms, note };
}

const available = (await listBackends()).filter((c) => c.available).map((c) => c.name);
const order = ['tensorflow', 'webgpu', 'wasm', 'cpu'].filter(
  (b) => available.includes(b) && (!wanted || wanted.includes(b)),
);
const gflop = convFlops() / 1e9;
const sig = (v) => Number(v.toPrecision(3));
const rows = [];
for (const name of order) {
  const { ms, note } = await benchBackend(name);
  rows.push({
    case: `train step ${name} (ResNet blocks, input ${INPUT.join('x')})`,
    value: sig(ms),
    unit: 'ms',
    ...(note ? { note } : {}),
  });
  rows.push({
    case: `train step ${name} conv throughput`,
    value: sig(gflop / (ms / 1000)),
    unit: 'GFLOP/s',
    note: `${gflop.toFixed(2)} GFLOP per step`,
  });
}
const previous = path.join(RESULTS_DIR, 'core-train-step.json');
if (process.argv.includes('--merge') && fs.existsSync(previous)) {
  // Keep the measured ms of backends not re-run; derive their throughput with today's FLOP count.
  const kept = JSON.parse(fs.readFileSync(previous, 'utf8')).rows.filter(
    (r) => r.unit === 'ms' && !order.some((b) => r.case.startsWith(`train step ${b} `)),
  );
  for (const r of kept) {
    const name = r.case.split(' ')[2];
    rows.push(r, {
      case: `train step ${name} conv throughput`,
      value: sig(gflop / (r.value / 1000)),
      unit: 'GFLOP/s',
      note: `${gflop.toFixed(2)} GFLOP per step`,
    });
  }
}
const rank = (r) =>
  ['tensorflow', 'webgpu', 'wasm', 'cpu'].findIndex((b) => r.case.startsWith(`train step ${b} `));
rows.sort((a, b) => rank(a) - rank(b));
writeBenchResult({ pkg: 'core', name: 'train-step', rows });
