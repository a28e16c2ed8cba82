import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../kernels/wasm-training-kernels.js';
import { activateWasm, availableCores } from './wasm-threads.js';

/** Backends facepar knows, in `auto`'s order of preference. */
export const BACKEND_NAMES = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = 'auto' | BackendName;

export interface BackendCandidate {
  name: BackendName;
  /** The backend loads and initialises here. */
  available: boolean;
  /** Why it was chosen, skipped or unavailable (one sentence). */
  reason: string;
  /** Facts gathered while probing (package, adapter, SIMD...). */
  detail?: Record<string, string | number | boolean>;
}

export interface BackendReport {
  chosen: BackendName;
  candidates: BackendCandidate[];
}

export interface InitBackendOptions {
  /** `auto` (default) takes the first usable of tensorflow, webgpu (hardware), wasm, cpu. */
  backend?: BackendChoice;
  /**
   * Directory to resolve optional packages (`@tensorflow/tfjs-node(-gpu)`, `webgpu`) from when
   * @facepar/core cannot see them (pnpm installs them into the application). Default: cwd.
   */
  resolveFrom?: string;
  /**
   * wasm: XNNPACK threads (the threaded SIMD build through a Node worker shim when > 1).
   * Default: the cores this process may use (`os.availableParallelism()`). Fixed once wasm
   * has started in the process.
   */
  threads?: number;
}

export const DEFAULT_INIT_BACKEND_OPTIONS = {
  backend: 'auto',
  resolveFrom: undefined,
  threads: undefined,
} as const;

export function resolveInitBackendOptions(options: InitBackendOptions = {}): {
  backend: BackendChoice;
  resolveFrom: string;
  threads: number;
} {
  const backend = options.backend ?? DEFAULT_INIT_BACKEND_OPTIONS.backend;
  const allowed: readonly string[] = ['auto', ...BACKEND_NAMES];
  if (!allowed.includes(backend)) {
    throw new Error(
      `initBackend: unknown backend ${JSON.stringify(backend)}; allowed: ${allowed.join(', ')}`,
    );
  }
  const resolveFrom = options.resolveFrom ?? process.cwd();
  if (typeof resolveFrom !== 'string' || resolveFrom.length === 0) {
    throw new Error(
      `initBackend: resolveFrom must be a directory path, got ${JSON.stringify(resolveFrom)}`,
    );
  }
  const threads = options.threads ?? availableCores();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`initBackend: threads must be an integer >= 1, got ${String(threads)}`);
  }
  return { backend, resolveFrom, threads };
}

const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
export const TFJS_NODE_OPT_IN =
  'pnpm add @tensorflow/tfjs-node-gpu@4.22.0 --allow-build=@tensorflow/tfjs-node-gpu (needs CUDA 11.2 and cuDNN 8.1)';

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e
    ? String((e as { code: unknown }).code)
    : undefined;
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0] as string;
}

/** Imports an optional package seen from @facepar/core, else from `resolveFrom`. */
async function importOptional(specifier: string, resolveFrom: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (e) {
    if (errorCode(e) !== 'ERR_MODULE_NOT_FOUND') throw e;
  }
  const require = createRequire(path.join(resolveFrom, 'noop.js'));
  let resolved: string;
  try {
    resolved = require.resolve(specifier);
  } catch {
    const err = new Error(`${specifier} is not installed`) as Error & { code: string };
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return import(pathToFileURL(resolved).href);
}

function isInstalled(specifier: string, resolveFrom: string): boolean {
  for (const base of [import.meta.url, pathToFileURL(path.join(resolveFrom, 'noop.js')).href]) {
    try {
      createRequire(base).resolve(specifier);
      return true;
    } catch {
      // try the next base
    }
  }
  return false;
}

async function probeTensorflow(resolveFrom: string): Promise<BackendCandidate> {
  const failures: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      await importOptional(pkg, resolveFrom);
    } catch (e) {
      failures.push(
        errorCode(e) === 'ERR_MODULE_NOT_FOUND'
          ? `${pkg} not installed`
          : `${pkg} failed to load: ${firstLine(e)}`,
      );
      continue;
    }
    if (tf.findBackendFactory('tensorflow') == null) {
      failures.push(
        `${pkg} loaded but registered no 'tensorflow' backend in this tfjs-core (version mismatch? pin 4.22.0)`,
      );
      continue;
    }
    return {
      name: 'tensorflow',
      available: true,
      reason: `${pkg} loaded`,
      detail: { package: pkg },
    };
  }
  return {
    name: 'tensorflow',
    available: false,
    reason: `${failures.join('; ')}; opt in with: ${TFJS_NODE_OPT_IN}`,
  };
}

interface GpuAdapterLike {
  info?: Record<string, unknown>;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: unknown): Promise<GpuAdapterLike | null>;
}

/** Installs a Dawn `navigator.gpu` (Node has none) and the WebGPU globals tfjs expects. */
async function installNodeWebGpu(resolveFrom: string): Promise<GpuLike> {
  const g = globalThis as { navigator?: { gpu?: GpuLike } };
  if (g.navigator?.gpu != null) return g.navigator.gpu;
  const mod = (await importOptional('webgpu', resolveFrom)) as {
    create(flags: string[]): GpuLike;
    globals: Record<string, unknown>;
  };
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const gpu = mod.create([]);
  if (g.navigator == null) {
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu },
      configurable: true,
      writable: true,
    });
  } else {
    try {
      (g.navigator as { gpu?: GpuLike }).gpu = gpu;
    } catch {
      Object.defineProperty(globalThis, 'navigator', {
        value: { ...g.navigator, gpu },
        configurable: true,
        writable: true,
      });
    }
  }
  return gpu;
}

/** llvmpipe / SwiftShader / lavapipe and anything Dawn marks as a fallback adapter. */
export function isSoftwareAdapter(options: {
  /** `GPUAdapter.info` (vendor, architecture, device, description). */
  info: Record<string, unknown>;
  /** `GPUAdapter.isFallbackAdapter` where the implementation has it. */
  isFallbackAdapter?: boolean;
}): boolean {
  const { info, isFallbackAdapter } = options;
  if (isFallbackAdapter === true || info.isFallbackAdapter === true) return true;
  const text = ['vendor', 'architecture', 'device', 'description']
    .map((k) => String(info[k] ?? ''))
    .join(' ');
  return /llvmpipe|lavapipe|swiftshader|software/i.test(text);
}

async function probeWebgpu(resolveFrom: string): Promise<BackendCandidate> {
  if (!isInstalled('@tensorflow/tfjs-backend-webgpu', resolveFrom)) {
    return {
      name: 'webgpu',
      available: false,
      reason: '@tensorflow/tfjs-backend-webgpu is not installed',
    };
  }
  let gpu: GpuLike;
  try {
    gpu = await installNodeWebGpu(resolveFrom);
  } catch (e) {
    const why =
      errorCode(e) === 'ERR_MODULE_NOT_FOUND'
        ? 'the webgpu package (Dawn) is not installed'
        : `webgpu failed to load: ${firstLine(e)}`;
    return { name: 'webgpu', available: false, reason: why };
  }
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { name: 'webgpu', available: false, reason: `requestAdapter failed: ${firstLine(e)}` };
  }
  if (adapter == null) {
    return {
      name: 'webgpu',
      available: false,
      reason:
        'no WebGPU adapter (no Vulkan driver: install a GPU driver, or Mesa from bookworm-backports for llvmpipe)',
    };
  }
  const raw = adapter.info ?? {};
  const info: Record<string, string> = {};
  for (const k of ['vendor', 'architecture', 'device', 'description']) {
    const v = raw[k];
    if (typeof v === 'string' && v.length > 0) info[k] = v;
  }
  const software = isSoftwareAdapter({
    info: raw,
    ...(adapter.isFallbackAdapter === undefined
      ? {}
      : { isFallbackAdapter: adapter.isFallbackAdapter }),
  });
  return {
    name: 'webgpu',
    available: true,
    reason: software
      ? `software adapter (${info.description ?? info.device ?? 'fallback'}); auto skips it, request 'webgpu' to use it`
      : `hardware adapter ${info.description ?? info.device ?? ''}`.trim(),
    detail: { ...info, software },
  };
}

async function probeWasm(): Promise<BackendCandidate> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    return {
      name: 'wasm',
      available: false,
      reason: `@tensorflow/tfjs-backend-wasm failed to load: ${firstLine(e)}`,
    };
  }
  registerWasmTrainingKernels();
  // tfjs's own WASM_HAS_MULTITHREAD_SUPPORT is false in Node; facepar's shim decides threads.
  const detail: Record<string, boolean | number> = { cores: availableCores() };
  try {
    detail.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  } catch {
    // flag not registered: leave it out
  }
  return {
    name: 'wasm',
    available: true,
    reason: 'XNNPACK wasm with facepar training kernels',
    detail,
  };
}

function probeCpu(): BackendCandidate {
  return { name: 'cpu', available: true, reason: 'plain JavaScript reference backend (slowest)' };
}

async function probe(name: BackendName, resolveFrom: string): Promise<BackendCandidate> {
  switch (name) {
    case 'tensorflow':
      return probeTensorflow(resolveFrom);
    case 'webgpu':
      return probeWebgpu(resolveFrom);
    case 'wasm':
      return probeWasm();
    case 'cpu':
      return probeCpu();
  }
}

/** Probes every backend without switching to any (imports what is installed). */
export async function listBackends(
  options: Omit<InitBackendOptions, 'backend'> = {},
): Promise<BackendCandidate[]> {
  const { resolveFrom } = resolveInitBackendOptions({ ...options, backend: 'auto' });
  const out: BackendCandidate[] = [];
  for (const name of BACKEND_NAMES) out.push(await probe(name, resolveFrom));
  return out;
}

/** The candidate `auto` takes: first available, except a software WebGPU adapter. */
export function autoChoice(candidates: readonly BackendCandidate[]): BackendName {
  for (const name of BACKEND_NAMES) {
    const c = candidates.find((k) => k.name === name);
    if (c?.available && !(name === 'webgpu' && c.detail?.software === true)) return name;
  }
  return 'cpu';
}

/** Silences tfjs-backend-cpu's "Hi, looks like you are running TensorFlow.js in Node.js" banner. */
function silenceCpuBanner(): void {
  const b = tf.engine().registry.cpu as { firstUse?: boolean } | undefined;
  if (b !== undefined && 'firstUse' in b) b.firstUse = false;
}

/** Activates `name`; returns facts to add to its candidate (wasm: its threads and build). */
async function activate(
  name: BackendName,
  resolveFrom: string,
  threads: number,
): Promise<BackendCandidate['detail']> {
  if (name === 'wasm') {
    const r = await activateWasm({ threads });
    return { threads: r.threads, build: r.build, threadsReason: r.reason };
  }
  if (name === 'webgpu' && tf.findBackendFactory('webgpu') == null) {
    await importOptional('@tensorflow/tfjs-backend-webgpu', resolveFrom);
  }
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name)
    throw new Error(`initBackend: backend '${name}' failed to initialise`);
  if (name === 'cpu') silenceCpuBanner();
  return undefined;
}

/**
 * Probes the backends, activates one (`tf.setBackend`) and says why. `auto` prefers
 * tfjs-node(-gpu) when installed, WebGPU on a hardware adapter, then wasm (with facepar's
 * training kernels), then cpu. An explicit choice that is unavailable throws with the reason.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendReport> {
  const { backend, resolveFrom, threads } = resolveInitBackendOptions(options);
  const probed = await listBackends({ resolveFrom });
  const chosen = backend === 'auto' ? autoChoice(probed) : backend;
  const target = probed.find((c) => c.name === chosen) as BackendCandidate;
  if (!target.available) {
    throw new Error(`initBackend: backend '${chosen}' is unavailable: ${target.reason}`);
  }
  const facts = await activate(chosen, resolveFrom, threads);
  const candidates = probed.map((c): BackendCandidate => {
    if (c.name === chosen)
      return {
        ...c,
        reason: `chosen (${backend === 'auto' ? 'auto' : 'requested'}): ${c.reason.replace(/; auto skips it.*$/, '')}${facts?.threadsReason ? `; ${facts.threadsReason}` : ''}`,
        ...(facts ? { detail: { ...c.detail, ...facts } } : {}),
      };
    if (!c.available) return c;
    const why =
      backend !== 'auto'
        ? `not requested ('${chosen}' was)`
        : c.name === 'webgpu' && c.detail?.software === true
          ? c.reason
          : `available, but '${chosen}' ranks higher`;
    return { ...c, reason: why };
  });
  return { chosen, candidates };
}

/** Plain-text table of a report (or of `listBackends()`), one backend per line. */
export function formatBackendTable(
  report: BackendReport | { chosen?: BackendName; candidates: BackendCandidate[] },
): string {
  const rows = report.candidates.map((c) => [
    c.name === report.chosen ? `* ${c.name}` : `  ${c.name}`,
    c.available ? 'yes' : 'no',
    c.reason,
  ]);
  const header = ['  backend', 'available', 'reason'];
  const widths = [0, 1].map((i) =>
    Math.max((header[i] as string).length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (r: string[]) =>
    `${(r[0] as string).padEnd(widths[0] as number)}  ${(r[1] as string).padEnd(widths[1] as number)}  ${r[2]}`;
  return [line(header), ...rows.map(line)].join('\n');
}
