import {
  leanVariableGrads,
  readSafetensors,
  type Sgd,
  type TensorEntry,
  writeSafetensors,
} from '@facepar/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type LoadedCheckpoint, loadCheckpoint, saveCheckpoint } from '../run/checkpoint.js';
import { JsonlLogger, type LogRecord } from '../run/jsonl-log.js';
import { Progress } from '../run/progress.js';
import {
  exportModelWeights,
  exportSgdState,
  importModelWeights,
  importSgdState,
} from './model-weights.js';

/** One training batch; the loop disposes it. */
export interface Batch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
}

/** A deterministic batch stream whose position can be saved and restored (resume). */
export interface BatchSource {
  next(): Promise<Batch>;
  getState(): unknown;
  setState(state: unknown): void;
  /** Releases workers or files (called by the owner, not by the loop). */
  close?(): Promise<void>;
}

/** The loss of one step; built inside the gradient scope from the model's outputs. */
export interface LossParts {
  total: tf.Scalar;
  decode: tf.Scalar;
  aux?: tf.Scalar;
}

export type ComputeLoss = (outputs: tf.Tensor4D[], labels: tf.Tensor3D) => LossParts;

export interface EvalSummary {
  mIoU: number;
  aAcc: number;
  mAcc: number;
  iou?: Record<string, number>;
}

export interface TrainLoopOptions {
  model: tfl.LayersModel;
  computeLoss: ComputeLoss;
  optimizer: Sgd;
  /** Learning rate for the iteration that starts after `iter` completed ones. */
  lrAt: (iter: number) => number;
  batches: BatchSource;
  maxIters: number;
  workDir: string;
  /** JSON-serialisable config stored in every checkpoint. */
  config: unknown;
  logEvery?: number;
  checkpointEvery?: number;
  /** 0 disables periodic evaluation; a final evaluation runs when `evaluate` is given. */
  evalEvery?: number;
  evaluate?: (options: { iter: number }) => Promise<EvalSummary>;
  /** Continue from the run folder's latest checkpoint. */
  resume?: boolean;
  /** Abort (e.g. on SIGINT): the loop checkpoints the current iteration and returns. */
  signal?: AbortSignal;
  /** Progress output; default `process.stderr`. */
  stream?: { write(s: string): unknown; isTTY?: boolean };
  /** Called before each iteration with the number of completed ones (e.g. to seed dropout). */
  beforeIteration?: (info: { iter: number }) => void;
  /** Called after each completed iteration (tests use it to interrupt). */
  onIteration?: (info: { iter: number; loss: number }) => void;
  /**
   * Gradients with `leanVariableGrads` (default): bit-identical to `tf.variableGrads`, with a
   * lower peak memory; false uses `tf.variableGrads`.
   */
  leanGradients?: boolean;
}

export const DEFAULT_TRAIN_LOOP_OPTIONS = {
  logEvery: 10,
  checkpointEvery: 500,
  evalEvery: 0,
  leanGradients: true,
} as const;

export type StopReason = 'done' | 'interrupted';

export interface TrainResult {
  iter: number;
  stoppedBy: StopReason;
  lastCheckpoint?: string;
  bestMIoU?: number;
  lastEval?: EvalSummary;
}

/** Reads one safetensors file of a checkpoint; errors name the file. */
export function readCheckpointTensors(options: {
  checkpoint: LoadedCheckpoint<unknown>;
  file: string;
}): Map<string, TensorEntry> {
  const { checkpoint, file } = options;
  try {
    return readSafetensors(checkpoint.readFile(file)).tensors;
  } catch (error) {
    throw new Error(
      `${checkpoint.dir}/${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Thrown when the loss is NaN/Inf; the weights were not updated with that step. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

interface CheckpointBody {
  iter: number;
  config: unknown;
  batches: unknown;
  optimizer: { kind: 'sgd'; lr: number; step: number };
  bestMIoU?: number;
}

function checkEvery(name: string, value: number, allowZero: boolean): void {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new Error(`${name} must be an integer >= ${allowZero ? 0 : 1}, got ${value}`);
  }
}

function asOutputs(out: tf.Tensor | tf.Tensor[]): tf.Tensor4D[] {
  return (Array.isArray(out) ? out : [out]) as tf.Tensor4D[];
}

/** Fraction of labelled pixels (label < numClasses) whose argmax matches; a kept scalar. */
function pixelAccuracy(logits: tf.Tensor4D, labels: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => {
    const [, h, w] = labels.shape;
    const numClasses = logits.shape[3];
    const resized =
      logits.shape[1] === h && logits.shape[2] === w
        ? logits
        : tf.image.resizeBilinear(logits, [h, w], false, true);
    const pred = tf.argMax(resized, 3);
    const valid = tf.less(labels, numClasses);
    const hit = tf.logicalAnd(tf.equal(pred, labels), valid);
    return tf.div(
      tf.sum(tf.cast(hit, 'float32')),
      tf.maximum(tf.sum(tf.cast(valid, 'float32')), 1),
    );
  }) as tf.Scalar;
}

/**
 * The training loop: per iteration one batch, loss + gradients of the trainable weights in a
 * `tf.tidy`, NaN/Inf check before the update, SGD step at `lrAt(iter)`; periodic JSONL log,
 * evaluation and atomic checkpoints (weights, momentum, batch-stream state); Ctrl-C via
 * `signal` checkpoints and returns. `resume` restores all of that so the run continues exactly.
 */
export async function runTrainLoop(options: TrainLoopOptions): Promise<TrainResult> {
  const { model, computeLoss, optimizer, lrAt, batches, maxIters, workDir, config } = options;
  const logEvery = options.logEvery ?? DEFAULT_TRAIN_LOOP_OPTIONS.logEvery;
  const checkpointEvery = options.checkpointEvery ?? DEFAULT_TRAIN_LOOP_OPTIONS.checkpointEvery;
  const evalEvery = options.evalEvery ?? DEFAULT_TRAIN_LOOP_OPTIONS.evalEvery;
  const leanGradients = options.leanGradients ?? DEFAULT_TRAIN_LOOP_OPTIONS.leanGradients;
  if (typeof leanGradients !== 'boolean') {
    throw new Error(`leanGradients must be true or false, got ${String(leanGradients)}`);
  }
  const variableGrads = (f: () => tf.Scalar, varList: tf.Variable[]) =>
    leanGradients ? leanVariableGrads({ f, varList }) : tf.variableGrads(f, varList);
  checkEvery('maxIters', maxIters, false);
  checkEvery('logEvery', logEvery, false);
  checkEvery('checkpointEvery', checkpointEvery, false);
  checkEvery('evalEvery', evalEvery, true);

  const log = new JsonlLogger({ path: `${workDir}/log.jsonl` });
  let iter = 0;
  let bestMIoU: number | undefined;
  let lastCheckpoint: string | undefined;
  let lastEval: EvalSummary | undefined;

  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (options.resume) {
    const ckpt = loadCheckpoint<CheckpointBody>({ path: workDir });
    importModelWeights({
      model,
      entries: readCheckpointTensors({ checkpoint: ckpt, file: 'weights.safetensors' }),
      source: `${ckpt.dir}/weights.safetensors`,
    });
    importSgdState({
      optimizer,
      variables,
      tensors: readCheckpointTensors({ checkpoint: ckpt, file: 'optimizer.safetensors' }),
      scalars: ckpt.state.optimizer,
      source: `${ckpt.dir}/optimizer.safetensors`,
    });
    batches.setState(ckpt.state.batches);
    iter = ckpt.state.iter;
    bestMIoU = ckpt.state.bestMIoU;
    lastCheckpoint = ckpt.dir;
    log.truncateAfter({ iter });
    log.append({ kind: 'event', iter, message: `resumed from ${ckpt.dir}`, time: Date.now() });
    if (iter >= maxIters) {
      return { iter, stoppedBy: 'done', lastCheckpoint, bestMIoU };
    }
  }

  const save = (score?: number): void => {
    const weights = writeSafetensors(exportModelWeights(model), { format: 'pt' });
    const sgd = exportSgdState({ optimizer, variables });
    const momentum = writeSafetensors(sgd.tensors);
    const body: CheckpointBody = {
      iter,
      config,
      batches: batches.getState(),
      optimizer: { kind: 'sgd', ...sgd.scalars },
      bestMIoU,
    };
    const saved = saveCheckpoint({
      workDir,
      iter,
      state: body,
      files: { 'weights.safetensors': weights, 'optimizer.safetensors': momentum },
      score,
    });
    lastCheckpoint = saved.dir;
  };

  const runEval = async (): Promise<number | undefined> => {
    if (!options.evaluate) return undefined;
    const result = await options.evaluate({ iter });
    lastEval = result;
    log.append({ kind: 'eval', iter, ...result, time: Date.now() });
    if (bestMIoU === undefined || result.mIoU > bestMIoU) bestMIoU = result.mIoU;
    progress.log(
      `eval iter ${iter}: mIoU ${(result.mIoU * 100).toFixed(2)} aAcc ${(result.aAcc * 100).toFixed(2)} mAcc ${(result.mAcc * 100).toFixed(2)}`,
    );
    return result.mIoU;
  };

  const progress = new Progress({ total: maxIters, start: iter, stream: options.stream });
  let window = { loss: 0, decode: 0, aux: 0, acc: 0, n: 0 };

  try {
    while (iter < maxIters) {
      if (options.signal?.aborted) {
        save();
        log.append({
          kind: 'event',
          iter,
          message: 'interrupted; checkpoint saved',
          time: Date.now(),
        });
        progress.log(`interrupted at iteration ${iter}; checkpoint saved to ${lastCheckpoint}`);
        return { iter, stoppedBy: 'interrupted', lastCheckpoint, bestMIoU, lastEval };
      }
      const lr = lrAt(iter);
      options.beforeIteration?.({ iter });
      const batch = await batches.next();
      let kept: tf.Tensor[] = [];
      let values: number[];
      let grads: tf.NamedTensorMap;
      try {
        const step = tf.tidy(() => {
          const { value, grads: g } = variableGrads(() => {
            const outputs = asOutputs(
              model.apply(batch.images, { training: true }) as tf.Tensor | tf.Tensor[],
            );
            const parts = computeLoss(outputs, batch.labels);
            const acc = pixelAccuracy(outputs[0]!, batch.labels);
            kept = [
              tf.keep(parts.decode),
              tf.keep(parts.aux ?? tf.scalar(Number.NaN)),
              tf.keep(acc),
            ];
            return parts.total;
          }, variables);
          return { value, grads: g };
        });
        grads = step.grads;
        const all = [step.value, ...kept];
        values = all.map((t) => t.dataSync()[0]!);
        step.value.dispose();
      } finally {
        for (const t of kept) t.dispose();
        batch.images.dispose();
        batch.labels.dispose();
      }
      const [loss, decode, aux, acc] = values as [number, number, number, number];
      if (!Number.isFinite(loss)) {
        tf.dispose(grads);
        const message =
          `loss is ${loss} at iteration ${iter + 1} (decode ${decode}, aux ${aux}, lr ${lr}); ` +
          'the weights were not updated and the checkpoints on disk are the last good ones' +
          (lastCheckpoint ? ` (latest: ${lastCheckpoint})` : ' (none saved yet)') +
          '. Lower the learning rate or check the data, then restart or --resume.';
        log.append({ kind: 'event', iter, message, time: Date.now() });
        throw new NonFiniteLossError(message);
      }
      optimizer.lr = lr;
      optimizer.apply({ variables, grads });
      tf.dispose(grads);
      iter++;

      window = {
        loss: window.loss + loss,
        decode: window.decode + decode,
        aux: window.aux + aux,
        acc: window.acc + acc,
        n: window.n + 1,
      };
      if (iter % logEvery === 0 || iter === maxIters) {
        const n = window.n;
        const record: LogRecord = {
          kind: 'train',
          iter,
          loss: window.loss / n,
          decodeLoss: window.decode / n,
          ...(Number.isNaN(aux) ? {} : { auxLoss: window.aux / n }),
          lr,
          pixelAcc: window.acc / n,
          time: Date.now(),
        };
        log.append(record);
        const auxText = Number.isNaN(aux) ? '' : ` aux ${(window.aux / n).toFixed(4)}`;
        progress.log(
          `iter ${iter}/${maxIters} loss ${(window.loss / n).toFixed(4)} decode ${(window.decode / n).toFixed(4)}${auxText} lr ${lr.toExponential(3)} acc ${((window.acc / n) * 100).toFixed(2)}%`,
        );
        window = { loss: 0, decode: 0, aux: 0, acc: 0, n: 0 };
      }
      progress.update({ done: iter, suffix: `loss ${loss.toFixed(4)}` });
      options.onIteration?.({ iter, loss });

      const evalNow =
        options.evaluate && ((evalEvery > 0 && iter % evalEvery === 0) || iter === maxIters);
      const score = evalNow ? await runEval() : undefined;
      if (iter % checkpointEvery === 0 || iter === maxIters || score !== undefined) {
        save(score);
      }
    }
  } finally {
    progress.finish();
  }
  return { iter, stoppedBy: 'done', lastCheckpoint, bestMIoU, lastEval };
}
