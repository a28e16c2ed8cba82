import { registerWasmTrainingKernels } from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';

// TODO(move to @facepar/core): replace with core's `initBackend` once it lands; this is the
// minimal selection the trainer needs (same names and report shape as the contract).

export const BACKEND_NAMES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendReport {
  chosen: string;
  candidates: { name: string; available: boolean; reason: string }[];
}

async function tryBackend(name: Exclude<BackendName, 'auto'>): Promise<string | null> {
  try {
    switch (name) {
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        break;
      case 'wasm':
        await import('@tensorflow/tfjs-backend-wasm');
        break;
      case 'tensorflow': {
        // optional: installed by the user (see README, GPU section)
        const gpu = '@tensorflow/tfjs-node-gpu';
        const cpu = '@tensorflow/tfjs-node';
        try {
          await import(gpu);
        } catch {
          await import(cpu);
        }
        break;
      }
      case 'webgpu': {
        const pkg = '@tensorflow/tfjs-backend-webgpu';
        const dawn = 'webgpu';
        const { create, globals } = (await import(dawn)) as {
          create: (o: string[]) => unknown;
          globals: Record<string, unknown>;
        };
        Object.assign(globalThis, globals);
        const g = globalThis as unknown as { navigator?: object };
        g.navigator ??= {};
        Object.assign(g.navigator, { gpu: create([]) });
        await import(pkg);
        break;
      }
    }
    if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') failed`;
    if (name === 'wasm') registerWasmTrainingKernels();
    return null;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  }
}

/**
 * Selects a tfjs backend: an explicit name must work (else the error says why); `auto` tries
 * tensorflow (tfjs-node, if installed), then wasm, then cpu. WebGPU is opt-in only.
 */
export async function initTrainerBackend(options: {
  backend: BackendName;
}): Promise<BackendReport> {
  const { backend } = options;
  if (!(BACKEND_NAMES as readonly string[]).includes(backend)) {
    throw new Error(`backend must be one of ${BACKEND_NAMES.join(', ')}; got '${backend}'`);
  }
  const order: Exclude<BackendName, 'auto'>[] =
    backend === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [backend];
  const candidates: BackendReport['candidates'] = [];
  for (const name of order) {
    const reason = await tryBackend(name);
    candidates.push({ name, available: reason === null, reason: reason ?? 'ok' });
    if (reason === null) return { chosen: name, candidates };
  }
  const why = candidates.map((c) => `${c.name}: ${c.reason}`).join('; ');
  throw new Error(
    backend === 'tensorflow'
      ? `backend 'tensorflow' is not available (${why}); install @tensorflow/tfjs-node or -gpu 4.22.0 (README, GPU section) or use --backend wasm`
      : `no usable backend (${why})`,
  );
}
