import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlLogger, readJsonl } from './jsonl-log.js';

describe('JsonlLogger', () => {
  it('appends one JSON object per line, truncates on resume, tolerates a torn last line', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'facepar-log-')), 'log.jsonl');
    const log = new JsonlLogger({ path });
    for (let iter = 1; iter <= 4; iter++) {
      log.append({
        kind: 'train',
        iter,
        loss: 1 / iter,
        decodeLoss: 1,
        lr: 0.1,
        pixelAcc: 0.5,
        time: 0,
      });
    }
    log.append({ kind: 'eval', iter: 4, mIoU: 0.3, aAcc: 0.9, mAcc: 0.4, time: 0 });
    expect(log.read().map((r) => `${r.kind}${r.iter}`)).toEqual([
      'train1',
      'train2',
      'train3',
      'train4',
      'eval4',
    ]);
    appendFileSync(path, '{"kind":"train","it');
    expect(readJsonl(path)).toHaveLength(5);
    await log.truncateAfter({ iter: 2 });
    expect(log.read().map((r) => r.iter)).toEqual([1, 2]);
    appendFileSync(path, 'garbage\n{"kind":"event","iter":3,"message":"x","time":0}\n');
    expect(() => readJsonl(path)).toThrow(/log\.jsonl:3: not valid JSON/);
  });
});
