import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { gpuMemory, initBackend, readTensor } from '@facepar/core';
import {
  createSegmentor,
  getSegmentorSpec,
  type Segmentor,
  type SegmentorSpec,
  scaleSegmentorSpec,
} from '@facepar/heads';
import { REPORT_CLASS_WEIGHTS } from '@facepar/losses';
import * as tf from '@tensorflow/tfjs-core';
import { syntheticFaceBatch } from './synthetic-batch.js';
import { createReportTrainStep } from './train-step.js';
import { webgpuDeviceInfo } from './webgpu-info.js';

export interface GpuCheckOptions {
  /** Registry name of the model (default the report's `deeplabv3plus_r50-d8`). */
  model?: string;
  /** Training crop side (default 512). */
  size?: number;
  /** Training batch (default 8). */
  batchSize?: number;
  /** Timed training steps after the warm-up (default 20; fewer when the budget runs out). */
  steps?: number;
  /** Untimed first steps (pipeline compilation; default 2). */
  warmup?: number;
  /** Channel multiplier of the model (default 1; tests use less). */
  width?: number;
  /** Side of the webgpu-vs-wasm forward comparison (default 128). */
  paritySize?: number;
  /** Wall-clock budget of the whole check in seconds (default 420). */
  budgetSeconds?: number;
  /** PyTorch anchor: the script (`torch_step.py`) and interpreter; null skips it. */
  torch?: { script: string; python?: string } | null;
  /** Called with the report after every step (e.g. to rewrite the JSON file). */
  onProgress?: (report: GpuCheckReport) => void;
  log?: (line: string) => void;
}

export const DEFAULT_GPU_CHECK_OPTIONS = {
  model: 'deeplabv3plus_r50-d8',
  size: 512,
  batchSize: 8,
  steps: 20,
  warmup: 2,
  width: 1,
  paritySize: 128,
  budgetSeconds: 420,
} as const;

export type ResolvedGpuCheckOptions = Required<
  Omit<GpuCheckOptions, 'torch' | 'onProgress' | 'log'>
> & { torch: GpuCheckOptions['torch'] };

/** One step of the check: what it measured, or why it failed or was skipped. */
export interface CheckStep<T = Record<string, unknown>> {
  ok: boolean;
  seconds: number;
  result?: T;
  error?: string;
  skipped?: string;
}

export interface TrainResult extends Record<string, unknown> {
  model: string;
  parameters: number;
  size: number;
  batchSize: number;
  warmupSeconds: number[];
  stepSeconds: number[];
  secondsPerIter: number;
  medianSecondsPerIter: number;
  losses: number[];
  lossFinite: boolean;
  lossFalling: boolean;
  peakGpuBytesAllocated: number | null;
  peakGpuBytesInUse: number | null;
  pipelines: number;
  stepsCut?: string;
}

export interface GpuCheckReport {
  format: 'facepar-gpu-check/1';
  date: string;
  finished: boolean;
  /** The step running now (while `finished` is false). */
  running?: string;
  ok: boolean;
  options: ResolvedGpuCheckOptions;
  environment: Record<string, unknown>;
  steps: {
    adapter?: CheckStep;
    parity?: CheckStep;
    train?: CheckStep<TrainResult>;
    torch?: CheckStep;
  };
  /** WebGPU s/iteration divided by PyTorch's (per PyTorch mode), where both ran. */
  ratio?: Record<string, number>;
}

export function resolveGpuCheckOptions(options: GpuCheckOptions = {}): ResolvedGpuCheckOptions {
  const given = Object.fromEntries(
    Object.entries(options).filter(
      ([k, v]) => v !== undefined && k !== 'onProgress' && k !== 'log',
    ),
  );
  const r: ResolvedGpuCheckOptions = { ...DEFAULT_GPU_CHECK_OPTIONS, torch: null, ...given };
  const ints: [keyof ResolvedGpuCheckOptions, number][] = [
    ['size', 32],
    ['batchSize', 1],
    ['steps', 2],
    ['warmup', 1],
    ['paritySize', 32],
  ];
  for (const [k, min] of ints) {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new Error(`gpu check: ${k} must be an integer >= ${min}, got ${String(v)}`);
    }
  }
  for (const k of ['width', 'budgetSeconds'] as const) {
    if (!(typeof r[k] === 'number' && r[k] > 0 && Number.isFinite(r[k]))) {
      throw new Error(`gpu check: ${k} must be a number > 0, got ${String(r[k])}`);
    }
  }
  getSegmentorSpec(r.model); // throws with the known names
  return r;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/**
 * A registry model at a channel `width` (1: as registered), with its heads' dropout set to
 * `dropout` when given (0 makes a training step deterministic across backends).
 */
export function checkSpec(options: {
  model: string;
  width?: number;
  dropout?: number;
}): SegmentorSpec {
  const { model, width = 1, dropout } = options;
  const base =
    width === 1 ? getSegmentorSpec(model) : scaleSegmentorSpec(getSegmentorSpec(model), width);
  if (dropout === undefined) return base;
  return {
    ...base,
    decodeHead: { ...base.decodeHead, dropoutRatio: dropout },
    auxiliaryHeads: base.auxiliaryHeads.map((a) => ({ ...a, dropoutRatio: dropout })),
  };
}

const specOf = (o: ResolvedGpuCheckOptions) => checkSpec({ model: o.model, width: o.width });

function environment(): Record<string, unknown> {
  const env: Record<string, unknown> = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    memoryBytes: os.totalmem(),
  };
  for (const k of Object.keys(process.env).sort()) {
    if (/^(VK_|FACEPAR_KIT_)/.test(k)) env[k] = process.env[k];
  }
  return env;
}

/** The Vulkan loader and driver libraries this process mapped (Linux), for the record. */
function vulkanLibraries(): string[] {
  try {
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    const libs = maps.split('\n').map((l) => l.slice(l.indexOf('/')));
    return [...new Set(libs.filter((l) => /libvulkan|_icd|nvidia|lvp/.test(l)))].sort();
  } catch {
    return [];
  }
}

/** The adapter as the webgpu backend sees it. */
async function adapterStep(): Promise<Record<string, unknown>> {
  const report = await initBackend({ backend: 'webgpu' });
  const webgpu = report.candidates.find((c) => c.name === 'webgpu');
  return {
    reason: webgpu?.reason,
    adapter: webgpu?.detail ?? {},
    ...webgpuDeviceInfo(),
    libraries: vulkanLibraries(),
  };
}

/** Eval-mode logits of the same weights and image on wasm and on webgpu. */
async function parityStep(o: ResolvedGpuCheckOptions): Promise<Record<string, unknown>> {
  const spec = specOf(o);
  await initBackend({ backend: 'wasm' });
  let seg: Segmentor | undefined;
  const batch = syntheticFaceBatch({
    size: o.paritySize,
    batchSize: 1,
    seed: 100,
    mean: spec.mean,
    std: spec.std,
  });
  try {
    seg = createSegmentor({ model: spec, numClasses: 19, seed: 0, withAuxiliary: false });
    const forward = async () => {
      const y = seg?.model.predict(batch.images) as tf.Tensor4D;
      try {
        return Float32Array.from(await readTensor<'float32'>(y));
      } finally {
        y.dispose();
      }
    };
    const ref = await forward();
    // The weights and the image move from wasm to webgpu on first use (wasm reads synchronously).
    await tf.setBackend('webgpu');
    const got = await forward();
    let maxAbsErr = 0;
    let maxAbsRef = 0;
    for (let i = 0; i < ref.length; i++) {
      maxAbsErr = Math.max(maxAbsErr, Math.abs((got[i] as number) - (ref[i] as number)));
      maxAbsRef = Math.max(maxAbsRef, Math.abs(ref[i] as number));
    }
    const relErr = maxAbsErr / Math.max(maxAbsRef, 1e-12);
    if (!(relErr <= 1e-3)) {
      throw new Error(
        `webgpu logits differ from wasm: max abs err ${maxAbsErr} (${relErr} of the largest logit ${maxAbsRef}; allowed 1e-3)`,
      );
    }
    return { size: o.paritySize, logits: ref.length, maxAbsErr, maxAbsRef, relErr };
  } finally {
    await tf.setBackend('webgpu');
    seg?.dispose();
    tf.dispose([batch.images, batch.labels]);
  }
}

async function trainStep(
  o: ResolvedGpuCheckOptions,
  deadline: number,
  reserveSeconds: number,
  log: (line: string) => void,
): Promise<TrainResult> {
  await tf.setBackend('webgpu');
  const spec = specOf(o);
  const seg = createSegmentor({ model: spec, numClasses: 19, seed: 0 });
  const step = createReportTrainStep({ segmentor: seg });
  const batch = syntheticFaceBatch({
    size: o.size,
    batchSize: o.batchSize,
    seed: 0,
    mean: spec.mean,
    std: spec.std,
  });
  let peakAllocated: number | null = null;
  let peakInUse: number | null = null;
  const sample = () => {
    const m = gpuMemory();
    if (m.allocated != null) peakAllocated = Math.max(peakAllocated ?? 0, m.allocated);
    if (m.inUse != null) peakInUse = Math.max(peakInUse ?? 0, m.inUse);
  };
  const timed = async () => {
    const t0 = performance.now();
    const { loss } = await step.step({ batch });
    const seconds = (performance.now() - t0) / 1000;
    sample();
    return { loss, seconds };
  };
  try {
    const losses: number[] = [];
    const warmupSeconds: number[] = [];
    for (let i = 0; i < o.warmup; i++) {
      const r = await timed();
      warmupSeconds.push(r.seconds);
      losses.push(r.loss);
      log(`warm-up step ${i + 1}/${o.warmup}: ${r.seconds.toFixed(2)} s, loss ${r.loss}`);
    }
    const last = warmupSeconds.at(-1) as number;
    const left = (deadline - performance.now()) / 1000 - reserveSeconds;
    const fit = Math.max(2, Math.floor(left / Math.max(last, 1e-3)));
    const steps = Math.min(o.steps, fit);
    const stepSeconds: number[] = [];
    for (let i = 0; i < steps; i++) {
      const r = await timed();
      stepSeconds.push(r.seconds);
      losses.push(r.loss);
      if (i === 0 || (i + 1) % 5 === 0 || i === steps - 1) {
        log(`step ${i + 1}/${steps}: ${r.seconds.toFixed(3)} s, loss ${r.loss}`);
      }
    }
    const third = Math.max(1, Math.floor(losses.length / 3));
    const result: TrainResult = {
      model: spec.name,
      parameters: seg.paramCounts.total,
      size: o.size,
      batchSize: o.batchSize,
      warmupSeconds,
      stepSeconds,
      secondsPerIter: mean(stepSeconds),
      medianSecondsPerIter: median(stepSeconds),
      losses,
      lossFinite: losses.every(Number.isFinite),
      lossFalling: mean(losses.slice(-third)) < mean(losses.slice(0, third)),
      peakGpuBytesAllocated: peakAllocated,
      peakGpuBytesInUse: peakInUse,
      pipelines: webgpuDeviceInfo().pipelines,
      ...(steps < o.steps
        ? { stepsCut: `${steps} of ${o.steps} timed steps fit the ${o.budgetSeconds} s budget` }
        : {}),
    };
    if (!result.lossFinite) throw Object.assign(new Error('the loss is not finite'), { result });
    if (!result.lossFalling) {
      throw Object.assign(new Error('the loss did not fall over the steps'), { result });
    }
    return result;
  } finally {
    tf.dispose([batch.images, batch.labels]);
    step.dispose();
    seg.dispose();
  }
}

function runTorch(
  torch: { script: string; python?: string },
  o: ResolvedGpuCheckOptions,
  timeoutSeconds: number,
): Promise<Record<string, unknown>> {
  const python = torch.python ?? 'python3';
  const args = [
    torch.script,
    '--size',
    String(o.size),
    '--batch',
    String(o.batchSize),
    '--steps',
    String(o.steps),
    '--warmup',
    String(o.warmup),
    '--width',
    String(o.width),
    '--budget',
    String(Math.max(10, Math.floor(timeoutSeconds - 15))),
    '--class-weights',
    REPORT_CLASS_WEIGHTS.join(','),
  ];
  return new Promise((resolve, reject) => {
    execFile(
      python,
      args,
      { timeout: Math.floor(timeoutSeconds * 1000), maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const last = stdout.trim().split('\n').at(-1) ?? '';
        let parsed: Record<string, unknown> | undefined;
        try {
          parsed = JSON.parse(last) as Record<string, unknown>;
        } catch {
          // reported below
        }
        if (parsed != null && parsed.error == null) return resolve(parsed);
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        const why =
          (parsed?.error as string | undefined) ??
          (error ? `${message(error)} ${tail}` : `no JSON line on stdout ${tail}`);
        reject(new Error(`${python} ${torch.script}: ${why.trim()}`));
      },
    );
  });
}

function hasTorch(python: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(python, ['-c', 'import torch'], { timeout: 120_000 }, (error, _o, stderr) =>
      resolve(error ? stderr.trim().split('\n').at(-1) || message(error) : null),
    );
  });
}

/**
 * Frees the webgpu backend's device and buffers (so that another process can use the GPU
 * memory) and registers its factory again, so a later `setBackend('webgpu')` starts afresh.
 */
export function releaseWebGpu(): void {
  const factory = tf.findBackendFactory('webgpu');
  if (factory == null) return;
  tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', factory, 3);
}

/**
 * The GPU check: adapter info; the webgpu forward against wasm; the training step (forward,
 * backward, SGD) timed over `steps` iterations after `warmup`, with peak GPU memory and the loss
 * (finite and falling on one batch of synthetic faces); where PyTorch imports, the same step in
 * PyTorch and the ratio. Each step records its error and the next one still runs; the report
 * says `ok` only when every step that ran passed.
 */
export async function runGpuCheck(options: GpuCheckOptions = {}): Promise<GpuCheckReport> {
  const o = resolveGpuCheckOptions(options);
  const log = options.log ?? (() => {});
  const started = performance.now();
  const deadline = started + o.budgetSeconds * 1000;
  const report: GpuCheckReport = {
    format: 'facepar-gpu-check/1',
    date: new Date().toISOString(),
    finished: false,
    ok: false,
    options: o,
    environment: environment(),
    steps: {},
  };
  const progress = () => options.onProgress?.(report);
  const run = async <T>(
    name: keyof GpuCheckReport['steps'],
    fn: () => Promise<T>,
    skip?: string,
  ): Promise<CheckStep<T>> => {
    report.running = name;
    progress();
    const t0 = performance.now();
    let step: CheckStep<T>;
    if (skip) {
      step = { ok: false, seconds: 0, skipped: skip };
    } else {
      try {
        step = { ok: true, seconds: 0, result: await fn() };
      } catch (e) {
        const partial = (e as { result?: T }).result;
        step = {
          ok: false,
          seconds: 0,
          error: message(e),
          ...(partial ? { result: partial } : {}),
        };
      }
    }
    step.seconds = (performance.now() - t0) / 1000;
    (report.steps as Record<string, CheckStep<unknown>>)[name] = step;
    log(`${name}: ${step.ok ? 'ok' : (step.skipped ?? `FAILED: ${step.error}`)}`);
    progress();
    return step;
  };

  const torchReserve = o.torch ? Math.min(150, o.budgetSeconds / 3) : 0;
  const adapter = await run('adapter', adapterStep);
  const noGpu = adapter.ok ? undefined : 'no WebGPU adapter (see the adapter step)';
  await run('parity', () => parityStep(o), noGpu);
  const train = await run('train', () => trainStep(o, deadline, torchReserve, log), noGpu);
  if (adapter.ok) releaseWebGpu();
  if (o.torch) {
    const python = o.torch.python ?? 'python3';
    const missing = await hasTorch(python);
    const left = (deadline - performance.now()) / 1000;
    const torch = await run(
      'torch',
      () => runTorch(o.torch as { script: string }, o, left),
      missing != null
        ? `${python} -c 'import torch' failed: ${missing}`
        : left < 20
          ? `${left.toFixed(0)} s left of the budget`
          : undefined,
    );
    const webgpu = train.result?.secondsPerIter;
    if (torch.ok && webgpu != null) {
      const ratio: Record<string, number> = {};
      const modes = (torch.result?.modes ?? {}) as Record<string, unknown>;
      for (const [mode, r] of Object.entries(modes)) {
        const s = (r as { secondsPerIter?: unknown } | null)?.secondsPerIter;
        if (typeof s === 'number' && s > 0) ratio[`webgpu/torch-${mode}`] = webgpu / s;
      }
      report.ratio = ratio;
    }
  }
  delete report.running;
  report.finished = true;
  // PyTorch is optional: skipped (not installed) is fine, failed is not.
  const { torch, ...required } = report.steps;
  report.ok =
    Object.values(required).every((s) => s.ok) && (torch == null || torch.ok || !torch.error);
  progress();
  return report;
}
