// One profiled run of the training step on webgpu (a child of webgpu-step.bench.mjs): where the
// wall time of each step goes. Prints one JSON line. Env: PROFILE_MODEL, PROFILE_WIDTH,
// PROFILE_SIZE, PROFILE_BATCH, PROFILE_STEPS, PROFILE_POLL_MS (0: Dawn's busy polling).
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { initBackend, throttleDawnPolling } from '@facepar/core';
import { createReportTrainStep, syntheticFaceBatch } from '@facepar/gpu-check';
import { createSegmentor, getSegmentorSpec, scaleSegmentorSpec } from '@facepar/heads';
import * as tf from '@tensorflow/tfjs-core';

const env = process.env;
const model = env.PROFILE_MODEL ?? 'deeplabv3plus_r18-d16-thin';
const width = Number(env.PROFILE_WIDTH ?? 1);
const size = Number(env.PROFILE_SIZE ?? 128);
const batchSize = Number(env.PROFILE_BATCH ?? 2);
const steps = Number(env.PROFILE_STEPS ?? 6);

/** CPU ms of this process (all threads) and of its main thread, from /proc. */
const cpuMs = (file) => {
  const f = fs.readFileSync(file, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const cpuAll = () => cpuMs('/proc/self/stat');
const cpuMain = () => cpuMs(`/proc/self/task/${process.pid}/stat`);

await initBackend({ backend: 'webgpu' });
if (env.PROFILE_POLL_MS !== undefined)
  throttleDawnPolling({ intervalMs: Number(env.PROFILE_POLL_MS) });
const backend = tf.backend();
const device = backend.device;
const t = { compileMs: 0, compiles: 0, submitMs: 0, submits: 0, buffers: 0 };
const wrap = (obj, name, key, countKey) => {
  const f = obj[name].bind(obj);
  obj[name] = (...a) => {
    const s = performance.now();
    const r = f(...a);
    t[key] += performance.now() - s;
    t[countKey] += 1;
    return r;
  };
};
wrap(device, 'createComputePipeline', 'compileMs', 'compiles');
wrap(device.queue, 'submit', 'submitMs', 'submits');
const createBuffer = device.createBuffer.bind(device);
device.createBuffer = (d) => {
  t.buffers++;
  return createBuffer(d);
};

const spec0 = getSegmentorSpec(model);
const spec = width === 1 ? spec0 : scaleSegmentorSpec(spec0, width);
const seg = createSegmentor({ model: spec, numClasses: 19, seed: 0 });
const step = createReportTrainStep({ segmentor: seg });
const batch = syntheticFaceBatch({ size, batchSize, mean: spec.mean, std: spec.std });
const rows = [];
for (let i = 0; i < steps; i++) {
  for (const k of Object.keys(t)) t[k] = 0;
  const c0 = cpuAll();
  const s0 = performance.now();
  const { loss: value, grads, ...parts } = step.lossAndGrads(batch);
  step.optimizer.apply({ grads, variables: step.variables });
  tf.dispose([grads, parts]);
  const recorded = performance.now();
  const m0 = cpuMain();
  const a0 = cpuAll();
  const loss = (await value.data())[0];
  const waitMs = performance.now() - recorded;
  value.dispose();
  rows.push({
    step: i,
    loss,
    wallMs: performance.now() - s0,
    recordMs: recorded - s0,
    waitMs,
    waitMainCpuMs: cpuMain() - m0,
    waitAllCpuMs: cpuAll() - a0,
    cpuMs: cpuAll() - c0,
    ...t,
  });
}
console.log(
  JSON.stringify({
    model: spec.name,
    size,
    batchSize,
    pipelines: Object.keys(backend.pipelineCache).length,
    rows,
  }),
);
tf.dispose([batch.images, batch.labels]);
process.exit(0);
