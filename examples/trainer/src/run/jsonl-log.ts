import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';

/** One line of `log.jsonl`: a logged training iteration or an evaluation. */
export type LogRecord =
  | {
      kind: 'train';
      iter: number;
      loss: number;
      decodeLoss: number;
      auxLoss?: number;
      lr: number;
      pixelAcc: number;
      time: number;
    }
  | {
      kind: 'eval';
      iter: number;
      mIoU: number;
      aAcc: number;
      mAcc: number;
      time: number;
      iou?: Record<string, number>;
    }
  | { kind: 'event'; iter: number; message: string; time: number };

/** Reads a JSONL log; a torn last line (a crash mid-append) is dropped, other bad lines throw. */
export function readJsonl(path: string): LogRecord[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const records: LogRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line) as LogRecord);
    } catch (error) {
      const isLast = lines.slice(i + 1).every((l) => l.trim() === '');
      if (!isLast) throw new Error(`${path}:${i + 1}: not valid JSON (${String(error)})`);
    }
  });
  return records;
}

/** Append-only JSONL writer: each record is one line, appended and flushed immediately. */
export class JsonlLogger {
  readonly path: string;

  constructor(options: { path: string }) {
    this.path = options.path;
    mkdirSync(dirname(this.path), { recursive: true });
  }

  append(record: LogRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  read(): LogRecord[] {
    return readJsonl(this.path);
  }

  /**
   * Drops records after `iter` (atomically), so a resumed run does not log the iterations
   * between its checkpoint and the interruption twice.
   */
  truncateAfter(options: { iter: number }): void {
    const kept = this.read().filter((r) => r.iter <= options.iter);
    writeFileAtomic({
      path: this.path,
      data: kept.map((r) => `${JSON.stringify(r)}\n`).join(''),
    });
  }
}
