import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpointPointers } from '@facepar/train';
import { readJsonl } from '../render/jsonl-log.js';
import { createTrainCommand } from './train.js';

describe('Ctrl-C and --resume through the train command', () => {
  it('SIGINT checkpoints and exits 130; --resume finishes with a continuous log', async () => {
    const workDir = join(mkdtempSync(join(tmpdir(), 'facepar-sigint-')), 'run');
    const lines: string[] = [];
    let sent = false;
    const stream = {
      write: (s: string) => {
        // the first iteration's log line: simulate the user's Ctrl-C
        if (!sent && s.includes('iter 1/')) {
          sent = true;
          process.emit('SIGINT');
        }
        return true;
      },
    };
    const args = [
      '--config',
      'demo',
      '--data',
      'synthetic',
      '--holdout',
      '2',
      '--backend',
      'wasm',
      '--work-dir',
      workDir,
      '--iters',
      '6',
      '--crop',
      '48',
      '--batch',
      '2',
      '--eval-every',
      '0',
      '--log-every',
      '1',
    ];
    const train = createTrainCommand({ out: (l) => lines.push(l), stream, workers: 0 });
    expect(await train.run(args)).toBe(130);
    const stoppedAt = readCheckpointPointers({ workDir }).latest?.iter;
    expect(stoppedAt).toBeGreaterThanOrEqual(1);
    expect(stoppedAt).toBeLessThan(6);
    expect(lines.join('\n')).toMatch(/Ctrl-C: saving a checkpoint/);
    expect(lines.join('\n')).toMatch(/--resume/);
    // SIGINT listeners are removed again
    expect(process.listenerCount('SIGINT')).toBe(0);

    const resumed = createTrainCommand({
      out: () => {},
      stream: { write: () => true },
      workers: 0,
    });
    expect(await resumed.run([...args, '--resume'])).toBe(0);
    const log = readJsonl(join(workDir, 'log.jsonl'));
    expect(log.filter((r) => r.kind === 'train').map((r) => r.iter)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(log.some((r) => r.kind === 'event' && r.message.startsWith('resumed from'))).toBe(true);
    expect(readCheckpointPointers({ workDir }).latest?.iter).toBe(6);
  }, 300_000);
});
