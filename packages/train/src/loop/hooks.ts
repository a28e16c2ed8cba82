import type { EvalSummary } from '../records.js';

/** Where the loop stands; hooks read it and the checkpoint and evaluation hooks update it. */
export interface LoopState {
  /** Completed iterations. */
  iter: number;
  maxIters: number;
  bestMIoU?: number;
  lastEval?: EvalSummary;
  /** The score of an evaluation at this iteration (set by the evaluation hook, read by the checkpoint hook). */
  score?: number;
  lastCheckpoint?: string;
  /** Iteration of the last saved checkpoint. */
  savedAt?: number;
  /** Why an interrupted run stopped: its abort signal's reason when a string (e.g. 'SIGTERM'). */
  stopReason?: string;
}

/** One completed iteration's numbers (all read back from the device). */
export interface StepResult {
  loss: number;
  decode: number;
  /** NaN when the model has no auxiliary head. */
  aux: number;
  /** Labelled-pixel accuracy of the decode head on the batch. */
  pixelAcc: number;
  lr: number;
}

export type RunOutcome = 'done' | 'interrupted' | 'failed';

/**
 * A part of the loop with one job (mmengine hooks): called before the first iteration, after
 * every iteration (in the order given) and once at the end, whatever the outcome.
 */
export interface TrainHook {
  beforeRun?(state: LoopState): void | Promise<void>;
  afterIter?(state: LoopState, step: StepResult): void | Promise<void>;
  afterRun?(state: LoopState, outcome: RunOutcome): void | Promise<void>;
}

/** Whether a periodic hook fires after `iter` (every `every` iterations, and at the end). */
export function isDue(state: LoopState, every: number): boolean {
  return (every > 0 && state.iter % every === 0) || state.iter === state.maxIters;
}
