import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticDataset } from '@facepar/celebamask-data';
import { type LogRecord, readCheckpointPointers, readJsonl } from '@facepar/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainCommand } from './train.js';

// A dataset with a train split only, held out by --holdout, as in the issue: the resume command
// the trainer prints must continue exactly that run (same iterations, same held-out faces).
const root = mkdtempSync(join(tmpdir(), 'facepar-interrupt-'));
const data = join(root, 'data');
const flags = (workDir: string, logEvery: number) => [
  ...['--config', 'demo', '--data', data, '--holdout', '3', '--backend', 'wasm'],
  ...['--work-dir', workDir, '--iters', '6', '--crop', '48', '--batch', '2'],
  ...['--eval-every', '3', '--log-every', String(logEvery)],
];

/** Runs `train` and sends `signal` when a stream or output line matches `when`. */
async function train(argv: string[], stop?: { signal: NodeJS.Signals; when: RegExp }) {
  const out: string[] = [];
  let stream = '';
  let sent = false;
  const check = (s: string) => {
    if (stop && !sent && stop.when.test(s)) {
      sent = true;
      process.emit(stop.signal as 'SIGINT');
    }
  };
  const cmd = createTrainCommand({
    out: (l) => {
      out.push(l);
      check(l);
    },
    stream: {
      isTTY: true,
      write: (s: string) => {
        stream += s;
        check(s);
        return true;
      },
    },
    workers: 0,
  });
  const code = await cmd.run(argv);
  return { code, out, stream };
}

/** The printed resume command, run as the user would paste it. */
async function resumeAsPrinted(out: string[], stop?: Parameters<typeof train>[1]) {
  const line = out.find((l) => l.includes('continue with: '))!;
  const command = line.slice(line.indexOf('continue with: ') + 'continue with: '.length);
  expect(command).toMatch(/^facepar train --resume --work-dir \S+$/);
  return train(command.split(' ').slice(2), stop);
}

const log = (workDir: string) => readJsonl(join(workDir, 'log.jsonl'));
const trainLoss = (records: LogRecord[]) =>
  records.flatMap((r) => (r.kind === 'train' ? [[r.iter, r.loss] as const] : []));
const evals = (records: LogRecord[]) =>
  records.flatMap((r) => (r.kind === 'eval' ? [[r.iter, r.mIoU, r.aAcc] as const] : []));
const metrics = (workDir: string) =>
  JSON.parse(readFileSync(join(workDir, 'metrics.json'), 'utf8'));
const signalsListened = () =>
  ['SIGINT', 'SIGTERM', 'SIGHUP'].map((s) => process.listenerCount(s)).reduce((a, b) => a + b);

let uninterrupted: { workDir: string; out: string[] };
beforeAll(async () => {
  await writeSyntheticDataset({ dir: data, count: 12, size: 64, seed: 3, splits: { train: 1 } });
  const workDir = join(root, 'full');
  const r = await train(flags(workDir, 1));
  expect(r.code).toBe(0);
  uninterrupted = { workDir, out: r.out };
}, 300_000);

describe('stopping a run and resuming it with the printed command', () => {
  it('SIGINT at a random iteration, then the printed command: the same curve, the same evaluation set', async () => {
    const k = 1 + Math.floor(Math.random() * 5);
    const workDir = join(root, `sigint-${k}`);
    const stopped = await train(flags(workDir, 1), {
      signal: 'SIGINT',
      when: new RegExp(`iter ${k}/6 loss`),
    });
    expect(stopped.code, `SIGINT after iteration ${k}`).toBe(130);
    expect(readCheckpointPointers({ workDir }).latest?.iter).toBe(k);
    // the notice is a line of its own, above the progress bar
    expect(stopped.stream.split('\r\u001b[2K').flatMap((s) => s.split('\n'))).toContain(
      'Ctrl-C: saving a checkpoint after this iteration (Ctrl-C again to quit at once)',
    );
    expect(signalsListened()).toBe(0);

    const resumed = await resumeAsPrinted(stopped.out);
    expect(resumed.code).toBe(0);
    // the same 9 training / 3 held-out faces and 6 iterations as the uninterrupted run
    const line = (out: string[]) =>
      out.find((l) => l.startsWith('config demo: '))!.split('; run folder')[0];
    expect(line(resumed.out)).toBe(line(uninterrupted.out));
    expect(line(resumed.out)).toMatch(/6 iterations, batch 2; 9 training \/ 3 evaluation samples$/);
    const want = log(uninterrupted.workDir);
    const got = log(workDir);
    expect(trainLoss(got).map(([i]) => i)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const [i, [, loss]] of trainLoss(got).entries())
      expect(loss).toBeCloseTo(trainLoss(want)[i]![1], 5);
    expect(evals(got)).toEqual(evals(want));
    expect(metrics(workDir).confusionMatrix).toEqual(
      metrics(uninterrupted.workDir).confusionMatrix,
    );
    const events = got.flatMap((r) => (r.kind === 'event' ? [r.message] : []));
    expect(events[0]).toMatch(
      new RegExp(`^interrupted by SIGINT at iteration ${k}; checkpoint saved to `),
    );
    expect(events[1]).toMatch(/^resumed from /);
    // a flag that would change the run is refused, naming both values
    const again = createTrainCommand({ out: () => {}, workers: 0 });
    await expect(again.run(['--resume', '--work-dir', workDir, '--holdout', '2'])).rejects.toThrow(
      /--holdout 2: data.source.val is \{"holdout":3\}.*--resume --work-dir \S+ is enough/,
    );
  }, 300_000);

  it('SIGTERM and SIGHUP checkpoint, log and exit 143 and 129; a resumed window averages both sessions', async () => {
    const workDir = join(root, 'term');
    // logged every 2 iterations: stopped after 3, the window 3-4 spans the two sessions
    const first = await train(flags(workDir, 2), { signal: 'SIGTERM', when: /eval iter 3:/ });
    expect(first.code).toBe(143);
    expect(first.stream).toContain('SIGTERM: saving a checkpoint after this iteration');
    const second = await resumeAsPrinted(first.out, { signal: 'SIGHUP', when: /iter 4\/6 loss/ });
    expect(second.code).toBe(129);
    expect(readCheckpointPointers({ workDir }).latest?.iter).toBe(4);
    expect((await resumeAsPrinted(second.out)).code).toBe(0);
    const events = log(workDir).flatMap((r) => (r.kind === 'event' ? [r.message] : []));
    expect(events.filter((m) => m.startsWith('interrupted')).map((m) => m.split(';')[0])).toEqual([
      'interrupted by SIGTERM at iteration 3',
      'interrupted by SIGHUP at iteration 4',
    ]);
    const each = trainLoss(log(uninterrupted.workDir)).map(([, loss]) => loss);
    const got = trainLoss(log(workDir));
    expect(got.map(([i]) => i)).toEqual([2, 4, 6]);
    for (const [iter, loss] of got)
      expect(loss).toBeCloseTo((each[iter - 2]! + each[iter - 1]!) / 2, 5);
    expect(signalsListened()).toBe(0);
  }, 300_000);
});
