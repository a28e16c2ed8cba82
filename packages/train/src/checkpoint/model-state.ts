import {
  exportStateDictAsync,
  loadStateDict,
  readSafetensors,
  type Sgd,
  sgdStateFromSafetensors,
  sgdStateToSafetensors,
  type TensorEntry,
  writeSafetensors,
} from '@facepar/core';
import { openSegmentor, type Segmentor } from '@facepar/heads';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { BatchSource } from '../loop/loader-batches.js';
import { type LoadedCheckpoint, loadCheckpoint, readCheckpointPointers } from './run-checkpoint.js';

/** The two tensor files of a run checkpoint. */
export const WEIGHTS_FILE = 'weights.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';

/** The loop's part of `state.json`. */
export interface TrainState {
  iter: number;
  /** The run's config (JSON), as the run folder's `config.json` holds it. */
  config: unknown;
  /** The batch stream's position (`BatchSource.getState()`). */
  batches: unknown;
  bestMIoU?: number;
  /** Hooks' own state by hook (e.g. `logWindow`: the sums of a logging window in progress). */
  hooks?: Record<string, unknown>;
}

/**
 * The model's weights as a PyTorch-named state dict (core's naming rule), read asynchronously
 * (every backend). Throws when the model holds weights the rule does not cover, so a
 * checkpoint can never silently drop some.
 */
export async function exportModelWeights(
  model: tfl.LayersModel,
): Promise<Map<string, TensorEntry>> {
  const dict = await exportStateDictAsync(model, { numBatchesTracked: false });
  let exported = 0;
  for (const e of dict.values()) exported += e.data.length;
  const total = model.weights.reduce(
    (n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1),
    0,
  );
  if (exported !== total) {
    throw new Error(
      `the model has ${total} weight values but its state dict covers ${exported}; every weighted layer must be a @facepar/core layer`,
    );
  }
  return dict;
}

/** Loads a state dict strictly; the error lists missing/unexpected keys and names the source. */
export function importModelWeights(options: {
  model: tfl.LayersModel;
  entries: Map<string, TensorEntry>;
  source: string;
}): void {
  const { model, entries, source } = options;
  try {
    loadStateDict(model, entries, { strict: true });
  } catch (error) {
    throw new Error(
      `${source} does not fit this model (was it saved with another model or config?): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Reads one safetensors file of a checkpoint; errors name the file. */
export function readCheckpointFile(options: {
  checkpoint: LoadedCheckpoint<unknown>;
  file: string;
}): ReturnType<typeof readSafetensors> {
  const { checkpoint, file } = options;
  try {
    return readSafetensors(checkpoint.readFile(file));
  } catch (error) {
    throw new Error(
      `${checkpoint.dir}/${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * A checkpoint's tensor files for a model and its optimiser: the weights (`weightsFile`, e.g.
 * heads' `exportSegmentorCheckpointAsync`, else a plain state dict) and the SGD state by
 * parameter name (core's `sgdStateToSafetensors`). Reads asynchronously (every backend).
 */
export async function modelStateFiles(options: {
  model: tfl.LayersModel;
  optimizer: Sgd;
  weightsFile?: () => Promise<Uint8Array>;
}): Promise<Record<string, Uint8Array>> {
  const { model, optimizer } = options;
  const weights = options.weightsFile
    ? await options.weightsFile()
    : writeSafetensors(await exportModelWeights(model), { format: 'pt' });
  const sgd = sgdStateToSafetensors({ state: await optimizer.getStateAsync(), model });
  return { [WEIGHTS_FILE]: weights, [OPTIMIZER_FILE]: writeSafetensors(sgd.tensors, sgd.metadata) };
}

/**
 * Continues a run: loads the run folder's latest checkpoint into the model (strict), the
 * optimiser (momentum by parameter name, so a new process's model fits) and the batch stream.
 */
export function resumeRun(options: {
  workDir: string;
  model: tfl.LayersModel;
  optimizer: Sgd;
  batches: BatchSource;
}): {
  iter: number;
  bestMIoU?: number;
  dir: string;
  config: unknown;
  hooks?: Record<string, unknown>;
} {
  const { model, optimizer, batches } = options;
  const checkpoint = loadCheckpoint<TrainState>({ path: options.workDir });
  importModelWeights({
    model,
    entries: readCheckpointFile({ checkpoint, file: WEIGHTS_FILE }).tensors,
    source: `${checkpoint.dir}/${WEIGHTS_FILE}`,
  });
  const file = readCheckpointFile({ checkpoint, file: OPTIMIZER_FILE });
  try {
    optimizer.setState(sgdStateFromSafetensors({ file, model }));
  } catch (error) {
    throw new Error(`${checkpoint.dir}/${OPTIMIZER_FILE}: ${(error as Error).message}`);
  }
  batches.setState(checkpoint.state.batches);
  const { iter, bestMIoU, config, hooks } = checkpoint.state;
  return { iter, bestMIoU, dir: checkpoint.dir, config, hooks };
}

/**
 * Opens a run checkpoint for inference: a checkpoint folder, or a run folder's best checkpoint
 * (its latest when nothing was evaluated). The segmentor comes from `weights.safetensors`
 * through heads' `openSegmentor` (the spec, test pipeline included, travels in the file).
 */
export function openRunCheckpoint(options: { path: string; withAuxiliary?: boolean }): {
  checkpoint: LoadedCheckpoint<TrainState>;
  segmentor: Segmentor;
} {
  const { path } = options;
  const which = readCheckpointPointers({ workDir: path }).best ? 'best' : 'latest';
  const checkpoint = loadCheckpoint<TrainState>({ path, which });
  const bytes = checkpoint.readFile(WEIGHTS_FILE);
  try {
    return {
      checkpoint,
      segmentor: openSegmentor(bytes, { withAuxiliary: options.withAuxiliary }),
    };
  } catch (error) {
    throw new Error(`${checkpoint.dir}/${WEIGHTS_FILE}: ${(error as Error).message}`);
  }
}
