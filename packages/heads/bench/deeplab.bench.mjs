// DeepLabV3+ on the wasm backend vs PyTorch CPU on the same machine.
//   node packages/heads/bench/deeplab.bench.mjs [--cases demo,infer,train] [--reps N]
//        [--train-size 256] [--train-batch 2]
//        [--torch-json FILE]  (reuse PyTorch timings printed by torch_deeplab.py)
// Measured here: the r50-d8 training step at 256x256 batch 2 needs more than wasm32's 4 GiB
// heap and aborts (recorded as a failed row); --train-size 128 fits (about 2.6 GiB).
// Cases:
//   demo  : deeplabv3plus_r18-d16-thin forward+backward at 128x128, batch 8
//   infer : deeplabv3plus_r50-d8 inference 512x512, batch 1 (decode logits resized)
//   train : deeplabv3plus_r50-d8 training step 256x256, batch 2 (fwd + bwd + SGD, aux 0.4)
// PyTorch (torch_deeplab.py, plain-torch reimplementation with the same structure) is timed
// in the same run when /usr/bin/python3 has torch. Imports the built packages (pnpm build).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '@facepar/core';
import { createSegmentor, resizeLogits } from '@facepar/heads';
import * as tf from '@tensorflow/tfjs-core';
import { timeIt, writeBenchResult } from '../../../scripts/bench-lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const cases = flag('cases', 'demo,infer,train').split(',');
const reps = Number(flag('reps', '2'));
const PYTHON = flag('python', '/usr/bin/python3');
const torchJson = flag('torch-json', null);

await tf.setBackend('wasm');
registerWasmTrainingKernels();

/** Bytes of the wasm heap: it only grows, so after a step it is that step's peak footprint. */
const wasmHeapBytes = () => tf.backend().wasm?.HEAPU8?.buffer?.byteLength ?? Number.NaN;

/** FLOPs (2 x multiply-accumulates) of one forward pass over the conv layers. */
function forwardFlops(model, batch) {
  let macs = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls !== 'Conv2d' && cls !== 'DepthwiseConv2d') continue;
    const [, h, w, c] = layer.output.shape;
    const k = layer.getWeights()[0].shape; // [kh, kw, in, out|mult]
    macs += cls === 'Conv2d' ? h * w * c * k[0] * k[1] * k[2] : h * w * c * k[0] * k[1];
  }
  return 2 * macs * batch;
}

function lossFn(seg, x, labels) {
  const numClasses = seg.spec.numClasses;
  const outs = seg.model.apply(x, { training: true });
  const [, H, W] = x.shape;
  const ce = (logits) =>
    tf.losses.softmaxCrossEntropy(
      tf.oneHot(labels, numClasses),
      resizeLogits({ logits, size: [H, W] }),
    );
  let loss = ce(outs[0]);
  seg.auxiliaryHeads.forEach((a, i) => {
    loss = tf.add(loss, tf.mul(ce(outs[i + 1]), a.lossWeight));
  });
  return loss;
}

/** One plain-SGD training step (forward, backward, update); returns nothing, frees everything. */
function trainStep(seg, x, labels, lr = 0.01) {
  tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => lossFn(seg, x, labels));
    for (const [name, g] of Object.entries(grads)) {
      const v = tf.engine().registeredVariables[name];
      v.assign(tf.sub(v, tf.mul(g, lr)));
    }
    return value;
  });
}

function inputs(batch, size, numClasses) {
  const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1);
  const labels = tf.randomUniform([batch, size, size], 0, numClasses, 'int32', 2);
  return { x, labels };
}

function torchTimes(which) {
  if (torchJson) return JSON.parse(readFileSync(torchJson, 'utf8'));
  try {
    const script = path.join(HERE, 'torch_deeplab.py');
    const shape = [
      '--train-size',
      flag('train-size', '256'),
      '--train-batch',
      flag('train-batch', '2'),
    ];
    const out = execFileSync(PYTHON, [script, '--cases', which, '--reps', String(reps), ...shape], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (e) {
    console.error(`PyTorch reference not timed: ${e.message.split('\n')[0]}`);
    return {};
  }
}

const rows = [];
const torchCases = cases.filter((c) => c !== 'demo');
const torch = torchCases.length ? torchTimes(torchCases.join(',')) : {};
console.log(`PyTorch: ${JSON.stringify(torch)}`);
const resultName =
  cases.join(',') === 'demo,infer,train' ? 'deeplab' : `deeplab-${cases.join('-')}`;
const flush = () => writeBenchResult({ pkg: 'heads', name: resultName, rows, extra: { torch } });

/** Runs one case; an error (e.g. wasm out of memory) becomes a row instead of losing the rest. */
async function runCase(name, fn) {
  if (!cases.includes(name)) return;
  try {
    await fn();
  } catch (e) {
    const message = String(e?.message ?? e).split('\n')[0];
    const heap = (wasmHeapBytes() / 2 ** 20).toFixed(0);
    rows.push({
      case: `${name} (wasm)`,
      value: Number.NaN,
      unit: 'failed',
      note: `${message} (wasm heap ${heap} MiB, live tensors ${(tf.memory().numBytes / 2 ** 20).toFixed(0)} MiB)`,
    });
  }
  console.log(`after ${name}: ${JSON.stringify(tf.memory())}, wasm heap ${wasmHeapBytes()}`);
  flush();
}

await runCase('demo', async () => {
  const seg = createSegmentor({
    model: 'deeplabv3plus_r18-d16-thin',
    inputShape: [128, 128, 3],
    seed: 0,
  });
  const { x, labels } = inputs(8, 128, 19);
  try {
    const cpu0 = process.cpuUsage();
    const ms = await timeIt(() => trainStep(seg, x, labels), { warmup: 1, reps });
    const cpu = process.cpuUsage(cpu0);
    const gflop = (3 * forwardFlops(seg.model, 8)) / 1e9;
    rows.push({
      case: 'demo r18-d16-thin fwd+bwd 128x128 b8 (wasm)',
      value: +(ms / 1000).toFixed(3),
      unit: 's',
      note: `${seg.paramCounts.total} params, ~${gflop.toFixed(1)} GFLOP/step; process CPU ${((cpu.user + cpu.system) / 1e6 / (reps + 1)).toFixed(2)} s/step`,
    });
  } finally {
    tf.dispose([x, labels]);
    seg.dispose();
  }
});

await runCase('infer', async () => {
  const seg = createSegmentor({
    model: 'deeplabv3plus_r50-d8',
    withAuxiliary: false,
    inputShape: [512, 512, 3],
    seed: 0,
  });
  const x = tf.randomNormal([1, 512, 512, 3], 0, 1, 'float32', 1);
  try {
    const run = async () => {
      const y = tf.tidy(() => resizeLogits({ logits: seg.model.predict(x), size: [512, 512] }));
      await y.data();
      y.dispose();
    };
    const ms = await timeIt(run, { warmup: 1, reps });
    const gflop = forwardFlops(seg.model, 1) / 1e9;
    const s = ms / 1000;
    rows.push({ case: 'r50-d8 inference 512x512 b1 (wasm)', value: +s.toFixed(2), unit: 's' });
    rows.push({
      case: 'r50-d8 inference 512x512 b1 (wasm) throughput',
      value: +(gflop / s).toFixed(1),
      unit: 'GFLOP/s',
      note: `${gflop.toFixed(1)} GFLOP per image`,
    });
    if (torch.infer != null) {
      rows.push({
        case: 'r50-d8 inference 512x512 b1 (PyTorch CPU)',
        value: +torch.infer.toFixed(2),
        unit: 's',
        note: `torch ${torch.version}, ${torch.threads} threads`,
      });
      rows.push({
        case: 'r50-d8 inference wasm / PyTorch',
        value: +(s / torch.infer).toFixed(2),
        unit: 'x',
        goal: '<= 5',
      });
    }
  } finally {
    x.dispose();
    seg.dispose();
  }
});

await runCase('train', async () => {
  const batch = Number(flag('train-batch', '2'));
  const size = Number(flag('train-size', '256'));
  const label = `r50-d8 train step ${size}x${size} b${batch}`;
  const seg = createSegmentor({
    model: 'deeplabv3plus_r50-d8',
    inputShape: [size, size, 3],
    seed: 0,
  });
  const { x, labels } = inputs(batch, size, 19);
  try {
    const ms = await timeIt(() => trainStep(seg, x, labels), { warmup: 1, reps });
    const s = ms / 1000;
    const gflop = (3 * forwardFlops(seg.model, batch)) / 1e9;
    rows.push({ case: `${label} (wasm)`, value: +s.toFixed(2), unit: 's' });
    rows.push({
      case: `${label} (wasm) throughput`,
      value: +(gflop / s).toFixed(1),
      unit: 'GFLOP/s',
      note: `~${gflop.toFixed(1)} GFLOP per step (3x forward)`,
    });
    rows.push({
      case: `${label} peak memory (wasm heap)`,
      value: +(wasmHeapBytes() / 2 ** 20).toFixed(0),
      unit: 'MiB',
      note: `process max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    });
    const torchShape = torch.train_shape ?? [2, 256, 256];
    if (torch.train != null && torchShape.join() === [batch, size, size].join()) {
      rows.push({
        case: `${label} wasm / PyTorch`,
        value: +(s / torch.train).toFixed(2),
        unit: 'x',
        goal: '<= 5',
      });
    }
  } finally {
    if (torch.train != null) {
      const [tb, th, tw] = torch.train_shape ?? [2, 256, 256];
      rows.push({
        case: `r50-d8 train step ${th}x${tw} b${tb} (PyTorch CPU)`,
        value: +torch.train.toFixed(2),
        unit: 's',
        note: `torch ${torch.version}, ${torch.threads} threads, peak RSS ${torch.train_max_rss_mib} MiB`,
      });
    }
    tf.dispose([x, labels]);
    seg.dispose();
  }
});
