/** Per-class IoU and the headline numbers of one evaluation, as the log stores them. */
export interface EvalSummary {
  mIoU: number;
  aAcc: number;
  mAcc: number;
  iou?: Record<string, number>;
}

/**
 * What a run reports as it goes, one record per line of the CLI's `log.jsonl`: a logging
 * window's means, an evaluation, or an event (resume, interrupt, a non-finite loss).
 */
export type LogRecord =
  | {
      kind: 'train';
      iter: number;
      loss: number;
      decodeLoss: number;
      auxLoss?: number;
      lr: number;
      pixelAcc: number;
      /** GPU bytes held by tensors at the window's end (core's `gpuMemory().inUse`; GPU backends only). */
      gpuBytes?: number;
      /** GPU bytes the backend's buffer pool holds (`gpuMemory().allocated`): flat when shapes are fixed. */
      gpuBytesAllocated?: number;
      time: number;
    }
  | ({ kind: 'eval'; iter: number; time: number } & EvalSummary)
  | { kind: 'event'; iter: number; message: string; time: number };

/** Receives the records (e.g. appends them to `log.jsonl` and prints them). */
export type RecordSink = (record: LogRecord) => void;

/** A record as one log line (`iter 20/400 loss 1.2345 decode ... lr 1.000e-2 acc 61.20%`). */
export function formatLogRecord(record: LogRecord, maxIters: number): string {
  const pct = (v: number) => (v * 100).toFixed(2);
  if (record.kind === 'event') return record.message;
  if (record.kind === 'eval') {
    const { iter, mIoU, aAcc, mAcc } = record;
    return `eval iter ${iter}: mIoU ${pct(mIoU)} aAcc ${pct(aAcc)} mAcc ${pct(mAcc)}`;
  }
  const { iter, loss, decodeLoss, auxLoss, lr, pixelAcc } = record;
  const aux = auxLoss === undefined ? '' : ` aux ${auxLoss.toFixed(4)}`;
  const parts = `loss ${loss.toFixed(4)} decode ${decodeLoss.toFixed(4)}${aux}`;
  return `iter ${iter}/${maxIters} ${parts} lr ${lr.toExponential(3)} acc ${pct(pixelAcc)}%`;
}
