import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@facepar/core';
import type { TrainHook } from '../loop/hooks.js';
import type { LogRecord } from '../records.js';

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

/** A run's `log.jsonl` (mmengine's json log): each record one line, appended at once. */
export class JsonlLogger {
  readonly path: string;

  constructor(options: { path: string }) {
    mkdirSync(dirname((this.path = options.path)), { recursive: true });
  }

  append(record: LogRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  read(): LogRecord[] {
    return readJsonl(this.path);
  }

  /** Drops records after `iter` (atomically): a resumed run logs no iteration twice. */
  async truncateAfter(options: { iter: number }): Promise<void> {
    const kept = this.read().filter((r) => r.iter <= options.iter);
    await writeFileAtomic({
      path: this.path,
      data: kept.map((r) => `${JSON.stringify(r)}\n`).join(''),
    });
  }
}

/** A hook that truncates the log to the iteration a resumed run continues from. */
export function truncateOnResume(log: JsonlLogger): TrainHook {
  return {
    async beforeRun(state) {
      if (state.iter > 0 && existsSync(log.path)) await log.truncateAfter({ iter: state.iter });
    },
  };
}
