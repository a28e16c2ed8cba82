import type { EvalSummary, RecordSink } from '../records.js';
import { isDue, type TrainHook } from './hooks.js';

/**
 * The evaluation hook (mmengine `ValLoop` + `EvaluatorHook`): evaluates every `every`
 * iterations (0: only at the end) and at the end, logs an `eval` record, keeps the best mIoU
 * and hands the score to the checkpoint hook that follows. `last` is the latest result (the
 * run's final evaluation when it ran at the last iteration).
 */
export function createEvaluationHook<R extends EvalSummary>(options: {
  every: number;
  evaluate: (info: { iter: number }) => Promise<R>;
  onRecord?: RecordSink;
}): TrainHook & { last(): { iter: number; result: R } | undefined } {
  let last: { iter: number; result: R } | undefined;
  return {
    async afterIter(state) {
      if (!isDue(state, options.every)) return;
      const result = await options.evaluate({ iter: state.iter });
      last = { iter: state.iter, result };
      const { mIoU, aAcc, mAcc, iou } = result;
      state.lastEval = { mIoU, aAcc, mAcc, iou };
      state.score = mIoU;
      if (state.bestMIoU === undefined || mIoU > state.bestMIoU) state.bestMIoU = mIoU;
      options.onRecord?.({ kind: 'eval', iter: state.iter, ...state.lastEval, time: Date.now() });
    },
    last: () => last,
  };
}
