import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../kernels/wasm-training-kernels.js';
import { registerWebGpuTrainingKernels } from '../kernels/webgpu-training-kernels.js';
import { throttleDawnPolling } from './dawn-polling.js';
import { activateWasm, availableCores } from './wasm-threads.js';

/** Backends facepar knows (the order of listings). */
export const BACKEND_NAMES = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
/**
 * `auto`'s preference: a hardware WebGPU adapter is the GPU route (libtensorflow 2.9.1 behind
 * tfjs-node-gpu loads only with the CUDA 11.2 / cuDNN 8.1 runtimes), then tfjs-node(-gpu), wasm,
 * cpu.
 */
export const AUTO_PREFERENCE: readonly BackendName[] = ['webgpu', 'tensorflow', 'wasm', 'cpu'];
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
  /** `auto` (default) takes the first usable of webgpu (hardware), tensorflow, wasm, cpu. */
  backend?: BackendChoice;
  /**
   * Directory to resolve optional packages (`@tensorflow/tfjs-node(-gpu)`, `webgpu`) from when
   * @facepar/core cannot see them (pnpm installs them into the application). Default: cwd.
   */
  resolveFrom?: string;
  /**
   * Probe WebGPU in this process, where Dawn prints its adapter warnings on stderr (default
   * false: a short child process probes it with its stderr dropped, and this process creates a
   * Dawn instance only when WebGPU is activated).
   */
  verbose?: boolean;
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
  verbose: false,
  threads: undefined,
} as const;

export function resolveInitBackendOptions(options: InitBackendOptions = {}): {
  backend: BackendChoice;
  resolveFrom: string;
  verbose: boolean;
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
  const verbose = options.verbose ?? DEFAULT_INIT_BACKEND_OPTIONS.verbose;
  const threads = options.threads ?? availableCores();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`initBackend: threads must be an integer >= 1, got ${String(threads)}`);
  }
  return { backend, resolveFrom, verbose, threads };
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

/**
 * What a tfjs-node(-gpu) load error says is missing: the shared library the dynamic loader could
 * not open, and a hint for the known ones (libtensorflow 2.9.1 is built against CUDA 11.2 and
 * cuDNN 8.1; CUDA 12 and 13 ship other sonames, so those machines cannot load it).
 */
export function describeNativeLoadError(message: string): {
  missingLibrary?: string;
  hint?: string;
} {
  const m = /([\w.+-]+\.so(?:\.[\w]+)*): cannot open shared object file/.exec(message);
  if (m == null) return {};
  const lib = m[1] as string;
  if (/^lib(cudart|cudnn|cublas|cublasLt|cufft|curand|cusolver|cusparse)\.so/.test(lib)) {
    return {
      missingLibrary: lib,
      hint: 'libtensorflow 2.9.1 needs the CUDA 11.2 and cuDNN 8.1 runtimes (libcudart.so.11.0, libcudnn.so.8); machines with CUDA 12 or 13 do not have them; use the webgpu backend there',
    };
  }
  if (/^libtensorflow/.test(lib)) {
    return {
      missingLibrary: lib,
      hint: "the package's install script did not download libtensorflow (reinstall approving its build)",
    };
  }
  return { missingLibrary: lib };
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
  const missing: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      await importOptional(pkg, resolveFrom);
    } catch (e) {
      if (errorCode(e) === 'ERR_MODULE_NOT_FOUND') {
        failures.push(`${pkg} not installed`);
        continue;
      }
      const { missingLibrary, hint } = describeNativeLoadError(
        String(e instanceof Error ? e.message : e),
      );
      if (missingLibrary) missing.push(missingLibrary);
      failures.push(
        missingLibrary
          ? `${pkg} failed to load: ${missingLibrary} not found${hint ? ` (${hint})` : ''}`
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
    ...(missing.length > 0 ? { detail: { missingLibrary: missing.join(', ') } } : {}),
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
  // Dawn busy-polls a core while any GPU promise is pending; poll gently instead.
  throttleDawnPolling();
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

/**
 * `requestAdapter()` in a child process whose stderr is dropped: Dawn prints its Vulkan and
 * limits warnings from native code, which no in-process setting silences.
 */
async function requestAdapterQuietly(resolveFrom: string): Promise<GpuAdapterLike | null> {
  let url: string | undefined;
  for (const base of [import.meta.url, pathToFileURL(path.join(resolveFrom, 'noop.js')).href]) {
    try {
      url = pathToFileURL(createRequire(base).resolve('webgpu')).href;
      break;
    } catch {
      // try the next base
    }
  }
  if (url === undefined) {
    throw Object.assign(new Error('webgpu is not installed'), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  const script = `const a = await (await import(process.env.FACEPAR_WEBGPU_URL)).create([]).requestAdapter();
const i = a?.info ?? {};
const keys = ['vendor', 'architecture', 'device', 'description'];
process.stdout.write(JSON.stringify(a == null ? null : { info: Object.fromEntries(keys.map((k) => [k, i[k]])), isFallbackAdapter: a.isFallbackAdapter }));
process.exit(0);`;
  const { execFile } = await import('node:child_process');
  const stdout = await new Promise<string>((resolve, reject) => {
    const env = { ...process.env, FACEPAR_WEBGPU_URL: url };
    const args = ['--input-type=module', '-e', script];
    execFile(process.execPath, args, { env, timeout: 60_000 }, (error, out, err) => {
      const why = String(err).trim().split('\n').at(-1);
      if (error) reject(new Error(why || error.message));
      else resolve(out);
    });
  });
  return JSON.parse(stdout) as GpuAdapterLike | null;
}

/**
 * Imports tfjs-backend-webgpu once Dawn provides `navigator.gpu` (it registers its backend at
 * import only where `navigator.gpu` exists; importing it here is also what lets a bundled copy
 * be found) and registers facepar's WebGPU kernel fixes. Returns why not, or null.
 */
async function loadWebGpuBackend(resolveFrom: string): Promise<string | null> {
  if (tf.findBackendFactory('webgpu') == null) {
    try {
      await importOptional('@tensorflow/tfjs-backend-webgpu', resolveFrom);
    } catch (e) {
      return errorCode(e) === 'ERR_MODULE_NOT_FOUND'
        ? '@tensorflow/tfjs-backend-webgpu is not installed'
        : `@tensorflow/tfjs-backend-webgpu failed to load: ${firstLine(e)}`;
    }
  }
  registerWebGpuTrainingKernels();
  return null;
}

async function probeWebgpu(resolveFrom: string, verbose: boolean): Promise<BackendCandidate> {
  // A short child process (its stderr dropped) asks for the adapter, so Dawn's warnings stay out
  // of commands that never use WebGPU; in this process when asked to be verbose, when Dawn
  // already runs here, or when the packages are bundled (not resolvable from disk).
  const inProcess =
    verbose ||
    (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu != null ||
    !isInstalled('webgpu', resolveFrom) ||
    !isInstalled('@tensorflow/tfjs-backend-webgpu', resolveFrom);
  let adapter: GpuAdapterLike | null;
  if (inProcess) {
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
    const missing = await loadWebGpuBackend(resolveFrom);
    if (missing !== null) return { name: 'webgpu', available: false, reason: missing };
    try {
      adapter = await gpu.requestAdapter();
    } catch (e) {
      return { name: 'webgpu', available: false, reason: `requestAdapter failed: ${firstLine(e)}` };
    }
  } else {
    try {
      adapter = await requestAdapterQuietly(resolveFrom);
    } catch (e) {
      return {
        name: 'webgpu',
        available: false,
        reason: `webgpu failed to load or requestAdapter failed: ${firstLine(e)}`,
      };
    }
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

async function probe(
  name: BackendName,
  resolveFrom: string,
  verbose: boolean,
): Promise<BackendCandidate> {
  switch (name) {
    case 'tensorflow':
      return probeTensorflow(resolveFrom);
    case 'webgpu':
      return probeWebgpu(resolveFrom, verbose);
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
  const { resolveFrom, verbose } = resolveInitBackendOptions({ ...options, backend: 'auto' });
  const out: BackendCandidate[] = [];
  for (const name of BACKEND_NAMES) out.push(await probe(name, resolveFrom, verbose));
  return out;
}

/** The candidate `auto` takes: first available, except a software WebGPU adapter. */
export function autoChoice(candidates: readonly BackendCandidate[]): BackendName {
  for (const name of AUTO_PREFERENCE) {
    const c = candidates.find((k) => k.name === name);
    if (c?.available && !(name === 'webgpu' && c.detail?.software === true)) return name;
  }
  return 'cpu';
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
  if (name === 'webgpu') {
    await installNodeWebGpu(resolveFrom);
    const missing = await loadWebGpuBackend(resolveFrom);
    if (missing !== null)
      throw new Error(`initBackend: backend 'webgpu' is unavailable: ${missing}`);
  }
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name)
    throw new Error(`initBackend: backend '${name}' failed to initialise`);
  return undefined;
}

/**
 * Probes the backends, activates one (`tf.setBackend`) and says why. `auto` prefers WebGPU on
 * a hardware adapter, then tfjs-node(-gpu) when it loads, then wasm (with facepar's training
 * kernels), then cpu. An explicit choice that is unavailable throws with the reason.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendReport> {
  const { backend, resolveFrom, verbose, threads } = resolveInitBackendOptions(options);
  const probed = await listBackends({ resolveFrom, verbose });
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
