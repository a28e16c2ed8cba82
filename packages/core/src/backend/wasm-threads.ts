import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../kernels/wasm-training-kernels.js';

/**
 * tfjs-backend-wasm's threaded-SIMD build in Node. tfjs 4.22 disables it there
 * (`WASM_HAS_MULTITHREAD_SUPPORT` is false in Node, tfjs issue 3830) because three things fail:
 * 1. the pthread workers start from a `blob:` URL, which Node's `Worker` refuses
 *    (`ERR_WORKER_PATH`): a `Worker` subclass starts them from the inlined worker script with
 *    `eval: true` instead (the approach of tfjs PR 8059, reimplemented);
 * 2. each worker loads the emscripten glue from a Blob of the *bundled* factory, whose
 *    `require` calls the bundler renamed: the worker is pointed at the package's own unbundled
 *    glue file (`wasm-out/tfjs-backend-wasm-threaded-simd.js`, the same build) instead;
 * 3. the build caps its XNNPACK pool at `os.cpus().length / 2` (it assumes two hyperthreads per
 *    core), so a 2-core machine would get one thread: during start-up `os.cpus()` reports
 *    2 × the requested threads.
 * The workers are unref'd once the backend is up: XNNPACK's threads park in the pool between
 * operators and must not keep the process alive.
 */

/** The tfjs-backend-wasm version whose internals (worker protocol, core rule) this targets. */
export const WASM_THREADS_TESTED_VERSION = '4.22.0';

export interface WasmThreadsReport {
  /** Threads XNNPACK runs with (the main thread included). */
  threads: number;
  /** Threads asked for. */
  requested: number;
  /** Which build runs: the threaded SIMD build or the single-threaded SIMD build. */
  build: 'threaded-simd' | 'simd';
  /** Why this build (one sentence). */
  reason: string;
}

/** Cores this process may run on (`os.availableParallelism()`, affinity-aware). */
export function availableCores(): number {
  return typeof os.availableParallelism === 'function'
    ? os.availableParallelism()
    : os.cpus().length;
}

interface WasmModule {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
  version_wasm?: string;
}

interface ShimPaths {
  glue: string;
  workerSource: string;
}

const require = createRequire(import.meta.url);

/** The inlined worker script and the unbundled glue of the installed tfjs-backend-wasm. */
function shimPaths(): ShimPaths {
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const glue = path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const workerFile = path.join(dir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js');
  if (!fs.existsSync(glue) || !fs.existsSync(workerFile)) {
    throw new Error(`the threaded build's glue is missing under ${path.join(dir, 'wasm-out')}`);
  }
  const { wasmWorkerContents } = require(workerFile) as { wasmWorkerContents?: unknown };
  if (typeof wasmWorkerContents !== 'string') {
    throw new Error(`${workerFile} exports no wasmWorkerContents string`);
  }
  // Rewrites the 'load' message's script (a Blob of the bundled factory) to the glue file before
  // the emscripten worker code sees it. '\n' inside the template-literal source is escaped as
  // tfjs does for its Blob.
  const preamble = `{
  const port = require('worker_threads').parentPort;
  const on = port.on.bind(port);
  port.on = (ev, fn) => on(ev, ev !== 'message' ? fn : (data) => {
    if (data && data.cmd === 'load') data.urlOrBlob = ${JSON.stringify(glue)};
    fn(data);
  });
}
`;
  return { glue, workerSource: preamble + wasmWorkerContents.replace(/\n/g, '\\n') };
}

type WorkerCtor = typeof import('node:worker_threads').Worker;

/** Set on every pthread worker the shim started once it no longer keeps the process alive. */
export const UNREF_MARK = Symbol.for('facepar.wasmPthreadUnref');

function unref(w: InstanceType<WorkerCtor>): void {
  w.unref();
  Object.defineProperty(w, UNREF_MARK, { value: true });
}

/**
 * Installs the Worker subclass and the core count for the duration of one backend start-up;
 * returns the function that removes both and unrefs the workers started.
 */
function installShim(threads: number, paths: ShimPaths): () => void {
  const wt = require('node:worker_threads') as { Worker: WorkerCtor };
  const RealWorker = wt.Worker;
  const started: InstanceType<WorkerCtor>[] = [];
  let up = false;
  class PthreadWorker extends RealWorker {
    constructor(file: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      const blob = typeof file === 'string' && file.startsWith('blob:');
      super(blob ? paths.workerSource : file, blob ? { ...options, eval: true } : options);
      if (up) unref(this);
      else started.push(this);
    }
    // emscripten refs a worker while its pthread runs; XNNPACK's threads never exit.
    override ref(): void {
      if (!up) super.ref();
    }
  }
  wt.Worker = PthreadWorker as unknown as WorkerCtor;
  const osModule = require('node:os') as { cpus: () => os.CpuInfo[] };
  const cpus = osModule.cpus;
  const real = cpus();
  osModule.cpus = () =>
    Array.from({ length: 2 * threads }, (_, i) => real[i % real.length] as os.CpuInfo);
  return () => {
    osModule.cpus = cpus;
    wt.Worker = RealWorker;
    up = true;
    for (const w of started) unref(w);
  };
}

/** Why the threaded build cannot be tried here, or null. */
function threadedBlocker(requested: number, version: string | undefined): string | null {
  if (requested === 1) return '1 thread requested';
  if (typeof SharedArrayBuffer === 'undefined') return 'no SharedArrayBuffer here';
  if (version !== WASM_THREADS_TESTED_VERSION) {
    return `the Node worker shim targets tfjs-backend-wasm ${WASM_THREADS_TESTED_VERSION}, found ${version}`;
  }
  return null;
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0] as string;
}

async function setWasm(): Promise<void> {
  const ok = await tf.setBackend('wasm');
  await tf.ready();
  if (!ok || tf.getBackend() !== 'wasm') throw new Error("backend 'wasm' failed to initialise");
}

/**
 * Activates the wasm backend (`tf.setBackend('wasm')`, facepar's training kernels registered)
 * with `threads` XNNPACK threads:
 * the threaded-SIMD build through the Node worker shim when `threads` > 1, else (or when the
 * shim cannot run here) the single-threaded SIMD build; the report says which and why.
 * The thread count is fixed when the backend first starts: if wasm already runs in this
 * process, it stays as it is and the report says so.
 */
export async function activateWasm(options: { threads?: number } = {}): Promise<WasmThreadsReport> {
  const requested = options.threads ?? availableCores();
  if (!Number.isInteger(requested) || requested < 1) {
    throw new Error(`activateWasm: threads must be an integer >= 1, got ${String(requested)}`);
  }
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmModule;
  registerWasmTrainingKernels();
  const report = (build: WasmThreadsReport['build'], reason: string): WasmThreadsReport => ({
    threads: wasm.getThreadsCount(),
    requested,
    build,
    reason,
  });
  if (tf.engine().registry.wasm != null) {
    await setWasm();
    const n = wasm.getThreadsCount();
    return report(
      n > 1 ? 'threaded-simd' : 'simd',
      `wasm was already initialised in this process with ${n} thread(s); the count is fixed at start-up`,
    );
  }
  let why = threadedBlocker(requested, wasm.version_wasm);
  let paths: ShimPaths | undefined;
  if (why === null) {
    try {
      paths = shimPaths();
    } catch (e) {
      why = `threaded build unusable: ${firstLine(e)}`;
    }
  }
  if (paths !== undefined) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(requested);
    const restore = installShim(requested, paths);
    try {
      await setWasm();
      restore();
      return report(
        'threaded-simd',
        `threaded SIMD build, ${requested} threads (Node worker shim)`,
      );
    } catch (e) {
      restore();
      why = `threaded build failed to start (${firstLine(e)})`;
    }
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount(1);
  await setWasm();
  return report('simd', `single-threaded SIMD build: ${why}`);
}
