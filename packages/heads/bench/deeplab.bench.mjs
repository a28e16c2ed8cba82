// DeepLabV3+ on the wasm backend vs PyTorch CPU, both timed in this run on this machine.
//   node packages/heads/bench/deeplab.bench.mjs [--cases demo,infer,train256,train128] [--reps N]
//        [--threads N]        (wasm XNNPACK threads; default: the available cores)
//        [--no-scaling]       (skip the 1-thread re-run that gives the thread-scaling rows)
//        [--grads lean|variable]  (training gradients: @facepar/core leanVariableGrads, the
//                                  default, or tf.variableGrads for a before/after comparison)
//        [--result-name NAME] (bench/results/heads-NAME.json; default deeplab[-cases])
//        [--max-heap-mib N]   (fail a case whose wasm heap reaches N MiB; default 4095: the
//                              wasm32 heap stops at 65535 pages = 4096 MiB - 64 KiB, where
//                              allocations start failing)
// A case FAILS (row marked failed, exit code 1) instead of reporting numbers when XNNPACK
// prints "XNN status ... not successful" (status 6 = out of memory; tfjs only warns and the
// results are garbage), when the wasm heap reached --max-heap-mib, or when the loss is not finite.
// Cases:
//   demo     : deeplabv3plus_r18-d16-thin forward+backward at 128x128, batch 8
//   infer    : deeplabv3plus_r50-d8 inference 512x512, batch 1 (decode logits resized)
//   train256 : deeplabv3plus_r50-d8 training step 256x256, batch 2 (fwd + bwd + SGD, aux 0.4)
//   train128 : the same at 128x128
// PyTorch (torch_deeplab.py, plain-torch reimplementation with the same structure, threads = the
// available cores, oneDNN convolutions checked) runs first, in this process's run, and every
// ratio divides two times from this run. With --threads > 1 the infer and train128 cases are
// re-run in a child process at 1 thread for the scaling rows. Imports the built packages.
import { execFileSync } from 'node:child_process';
import fs, { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activateWasm, availableCores, leanVariableGrads } from '@facepar/core';
import { createSegmentor, resizeLogits } from '@facepar/heads';
import * as tf from '@tensorflow/tfjs-core';
import { timeIt, writeBenchResult } from '../../../scripts/bench-lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const ALL_CASES = ['demo', 'infer', 'train128', 'train256'];
const cases = flag('cases', ALL_CASES.join(',')).split(',');
for (const c of cases) {
  if (!ALL_CASES.includes(c)) throw new Error(`--cases: unknown case ${c}; allowed: ${ALL_CASES}`);
}
const reps = Number(flag('reps', '2'));
const PYTHON = flag('python', '/usr/bin/python3');
const threads = Number(flag('threads', String(availableCores())));
const child = args.includes('--child'); // internal: the 1-thread scaling run, no PyTorch
const scaling = !child && !args.includes('--no-scaling') && threads > 1;
const gradsMode = flag('grads', 'lean');
if (!['lean', 'variable'].includes(gradsMode)) {
  throw new Error(`--grads must be one of lean, variable; got ${gradsMode}`);
}
const maxHeapMiB = Number(flag('max-heap-mib', '4095'));

// XNNPACK reports failures (e.g. out of memory) only as a printed warning and tfjs carries on.
// The wasm module prints through console.warn (bound at start-up: the single-threaded build) or
// fs.writeSync(2) (the threaded build), so watch the process streams and fs.writeSync.
const XNN_FAILURE = /XNN status for (\S+) is not successful\. Got status (\d+)/g;
const XNN_STATUS = { 6: 'out of memory' };
const xnnFailures = [];
const scanForXnn = (chunk) => {
  for (const m of String(chunk).matchAll(XNN_FAILURE)) {
    xnnFailures.push(`${m[1]} status ${m[2]}${XNN_STATUS[m[2]] ? ` (${XNN_STATUS[m[2]]})` : ''}`);
  }
};
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = (chunk, ...rest) => {
    scanForXnn(chunk);
    return write(chunk, ...rest);
  };
}
const writeSync = fs.writeSync;
fs.writeSync = (fd, data, ...rest) => {
  if (fd === 1 || fd === 2) scanForXnn(data);
  return writeSync(fd, data, ...rest);
};

const wasmReport = await activateWasm({ threads });
console.log(`wasm: ${JSON.stringify(wasmReport)}`);
const wasmNote = `wasm ${wasmReport.threads} thread(s) (${wasmReport.build}); load avg ${os.loadavg()[0].toFixed(1)} at start`;

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

/**
 * One plain-SGD training step (forward, backward, update, one variable at a time as an optimizer
 * does); returns nothing, frees everything, throws on a non-finite loss.
 */
function trainStep(seg, x, labels, lr = 0.01) {
  const f = () => lossFn(seg, x, labels);
  const { value, grads } = gradsMode === 'lean' ? leanVariableGrads({ f }) : tf.variableGrads(f);
  for (const [name, g] of Object.entries(grads)) {
    const v = tf.engine().registeredVariables[name];
    tf.tidy(() => v.assign(tf.sub(v, tf.mul(g, lr))));
    g.dispose();
  }
  const loss = value.dataSync()[0];
  value.dispose();
  if (!Number.isFinite(loss)) throw new Error(`training loss is ${loss}`);
}

function inputs(batch, size, numClasses) {
  const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1);
  const labels = tf.randomUniform([batch, size, size], 0, numClasses, 'int32', 2);
  return { x, labels };
}

function torchTimes(which) {
  try {
    const script = path.join(HERE, 'torch_deeplab.py');
    const out = execFileSync(PYTHON, [script, '--cases', which, '--reps', String(reps)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return JSON.parse(out.trim().split('\n').pop());
  } catch (e) {
    console.error(`PyTorch reference not timed: ${e.message.split('\n')[0]}`);
    return {};
  }
}

/** Times of the 1-thread re-run (child process) for the scaling rows. */
function oneThreadTimes(which) {
  const file = path.join(os.tmpdir(), `facepar-deeplab-1thread-${process.pid}.json`);
  try {
    execFileSync(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        '--child',
        '--threads',
        '1',
        '--cases',
        which,
        '--reps',
        String(reps),
        '--child-out',
        file,
      ],
      { stdio: 'inherit' },
    );
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`1-thread re-run failed: ${e.message.split('\n')[0]}`);
    return {};
  } finally {
    fs.rmSync(file, { force: true });
  }
}

const rows = [];
const torchCases = child ? [] : cases.filter((c) => c !== 'demo');
const torch = torchCases.length ? torchTimes(torchCases.join(',')) : {};
if (!child) console.log(`PyTorch: ${JSON.stringify(torch)}`);
const torchNote =
  torch.version == null
    ? ''
    : `torch ${torch.version}, ${torch.threads} threads, convolutions: ${Object.entries(
        torch.conv_kernels ?? {},
      )
        .map(([k, n]) => `${k} x${n}`)
        .join(', ')}`;
const resultName = flag(
  'result-name',
  cases.join(',') === ALL_CASES.join(',') ? 'deeplab' : `deeplab-${cases.join('-')}`,
);
/** Seconds per case measured here, for the parent of a 1-thread child run. */
const measured = {};
const flush = () => {
  if (child) {
    fs.writeFileSync(flag('child-out'), JSON.stringify(measured));
    return;
  }
  writeBenchResult({ pkg: 'heads', name: resultName, rows, extra: { torch, wasm: wasmReport } });
};

/** Why the numbers of a case that ran cannot be trusted, or null. */
function unhealthy() {
  if (xnnFailures.length > 0) {
    const distinct = [...new Set(xnnFailures)];
    return `XNNPACK failed ${xnnFailures.length} time(s): ${distinct.slice(0, 3).join('; ')}`;
  }
  const heapMiB = wasmHeapBytes() / 2 ** 20;
  if (heapMiB >= maxHeapMiB) {
    return `wasm heap reached ${heapMiB.toFixed(0)} MiB (limit ${maxHeapMiB} MiB)`;
  }
  return null;
}

/**
 * Runs one case. `fn(out)` pushes its measured rows to `out` and may push reference rows (PyTorch)
 * to `refs`; the measured rows are kept only if the case finished healthy, otherwise one failed
 * row replaces them (an error, e.g. wasm out of memory, does not lose the other cases).
 */
async function runCase(name, fn) {
  if (!cases.includes(name)) return;
  xnnFailures.length = 0;
  const out = [];
  const refs = [];
  let failure = null;
  try {
    await fn(out, refs);
    failure = unhealthy();
  } catch (e) {
    failure = String(e?.message ?? e).split('\n')[0];
    const more = unhealthy();
    if (more) failure += `; ${more}`;
  }
  if (failure == null) {
    rows.push(...out);
  } else {
    const heap = (wasmHeapBytes() / 2 ** 20).toFixed(0);
    rows.push({
      case: `${name} (wasm)`,
      value: Number.NaN,
      unit: 'failed',
      note: `${failure} (wasm heap ${heap} MiB, live tensors ${(tf.memory().numBytes / 2 ** 20).toFixed(0)} MiB)`,
    });
    process.exitCode = 1;
  }
  rows.push(...refs);
  console.log(`after ${name}: ${JSON.stringify(tf.memory())}, wasm heap ${wasmHeapBytes()}`);
  flush();
}

await runCase('demo', async (rows) => {
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

/** PyTorch time (to refs), ratio and (with a 1-thread child run) scaling rows for one case. */
function anchorRows(rows, refs, o) {
  const { key, label, seconds, goal } = o;
  const t = torch[key];
  if (t != null) {
    refs.push({
      case: `${label} (PyTorch CPU)`,
      value: +t.toFixed(2),
      unit: 's',
      note: `${torchNote}${torch.max_rss_mib ? `; process max RSS ${torch.max_rss_mib} MiB` : ''}`,
    });
    rows.push({
      case: `${label} wasm / PyTorch`,
      value: +(seconds / t).toFixed(2),
      unit: 'x',
      goal,
      note: `both timed in this run: ${wasmNote}, PyTorch ${torch.threads} threads`,
    });
  }
  const one = scalingTimes[key];
  if (one != null) {
    rows.push({
      case: `${label} wasm 1 -> ${wasmReport.threads} threads`,
      value: +(one / seconds).toFixed(2),
      unit: 'x',
      note: `1 thread ${one.toFixed(2)} s (child process, same run); ${wasmReport.threads} threads ${seconds.toFixed(2)} s`,
    });
  }
}

const scalingCases = cases.filter((c) => c === 'infer' || c === 'train128');
const scalingTimes = scaling && scalingCases.length ? oneThreadTimes(scalingCases.join(',')) : {};

await runCase('infer', async (rows, refs) => {
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
    measured.infer = s;
    const label = 'r50-d8 inference 512x512 b1';
    rows.push({ case: `${label} (wasm)`, value: +s.toFixed(2), unit: 's', note: wasmNote });
    rows.push({
      case: `${label} (wasm) throughput`,
      value: +(gflop / s).toFixed(1),
      unit: 'GFLOP/s',
      note: `${gflop.toFixed(1)} GFLOP per image`,
    });
    anchorRows(rows, refs, { key: 'infer', label, seconds: s, goal: '<= 3.5' });
  } finally {
    x.dispose();
    seg.dispose();
  }
});

// 128 first: the wasm heap only grows, so each case's peak-memory row holds for that case
for (const [name, size, goal] of [
  ['train128', 128, '<= 3.5'],
  ['train256', 256, '<= 3'],
]) {
  await runCase(name, async (rows, refs) => {
    const batch = 2;
    const label = `r50-d8 train step ${size}x${size} b${batch}`;
    const how = gradsMode === 'lean' ? 'leanVariableGrads' : 'tf.variableGrads';
    const seg = createSegmentor({
      model: 'deeplabv3plus_r50-d8',
      inputShape: [size, size, 3],
      seed: 0,
    });
    const { x, labels } = inputs(batch, size, 19);
    try {
      const ms = await timeIt(() => trainStep(seg, x, labels), { warmup: 1, reps });
      const s = ms / 1000;
      measured[name] = s;
      const gflop = (3 * forwardFlops(seg.model, batch)) / 1e9;
      rows.push({
        case: `${label} (wasm)`,
        value: +s.toFixed(2),
        unit: 's',
        note: `${wasmNote}; gradients: ${how}; median of ${reps} after 1 warm-up`,
      });
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
        note: `gradients: ${how}; the heap only grows, so this is the peak of the process so far`,
      });
      anchorRows(rows, refs, { key: name, label, seconds: s, goal });
    } finally {
      tf.dispose([x, labels]);
      seg.dispose();
    }
  });
}
