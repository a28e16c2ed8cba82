// The README's walk-through, command by command, as a user runs it from the repository root
// (here a scratch root with `runs/` inside and `../shared` beside it): the commands are read
// out of README.md, so the walk-through cannot drift from what works.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeWithSharedData } from '@facepar/test-utils';
import { afterAll, expect, it } from 'vitest';
import { createEvalCommand } from './commands/eval.js';
import { createMiouCommand } from './commands/miou.js';
import { createPredictCommand } from './commands/predict.js';
import { createTrainCommand } from './commands/train.js';
import { runCli } from './run-cli.js';

/** The walk-through's commands: continuation lines joined, comments dropped. */
function walkthroughCommands(readme: string): string[] {
  const m = /<!-- walkthrough:start -->\n```sh\n([\s\S]*?)```\n<!-- walkthrough:end -->/.exec(
    readme,
  );
  if (!m) throw new Error('README.md has no walkthrough:start/end block');
  return m[1]!
    .replace(/\s*\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

const home = process.cwd();
afterAll(() => process.chdir(home));

describeWithSharedData('the README walk-through on celebamask-mini', 'data', (dataDir) => {
  it('runs every command; Ctrl-C prints the resume command the README runs next', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const commands = walkthroughCommands(readme);
    expect(
      commands.filter((c) => c.startsWith('pnpm facepar ')).map((c) => c.split(' ')[2]),
    ).toEqual(['train', 'train', 'eval', 'predict', 'miou']);
    const base = mkdtempSync(join(tmpdir(), 'facepar-walkthrough-'));
    mkdirSync(join(base, 'repo'));
    symlinkSync(dirname(dirname(dataDir)), join(base, 'shared'));
    process.chdir(join(base, 'repo'));

    let stopAt: RegExp | undefined; // the user's Ctrl-C, once the run is under way
    const watch = (s: string) => {
      if (stopAt?.test(s)) {
        stopAt = undefined;
        process.emit('SIGINT');
      }
    };
    const printed: string[] = [];
    const io = {
      out: (l: string) => printed.push(l),
      stream: {
        write: (s: string) => {
          watch(s);
          return true;
        },
      },
      workers: 0,
    };
    const cli = [createTrainCommand, createEvalCommand, createPredictCommand, createMiouCommand];
    const commandsRun = cli.map((create) => create(io));
    const errors: string[] = [];
    const facepar = (argv: string[]) =>
      runCli({ argv, commands: commandsRun, out: io.out, err: (l) => errors.push(l) });

    const outputs: string[][] = [];
    for (const [i, command] of commands.entries()) {
      printed.length = 0;
      if (!command.startsWith('pnpm facepar ')) {
        execFileSync('bash', ['-c', command]);
        continue;
      }
      const argv = command.split(/\s+/).slice(2);
      if (i === 0) stopAt = /iter 4\/8 loss/;
      const code = await facepar(argv);
      expect(code, `${command}\n${errors.join('\n')}`).toBe(i === 0 ? 130 : 0);
      outputs.push([...printed]);
      if (i === 0) {
        const line = printed.find((l) => l.includes('continue with: '))!;
        expect(line).toBe(
          'stopped at iteration 4; continue with: facepar train --resume --work-dir runs/walkthrough',
        );
        expect(commands[1]).toBe(`pnpm ${line.split('continue with: ')[1]}`);
      }
    }
    const [, resumed, evaluated, predicted, scored] = outputs as string[][];
    expect(resumed!.at(-1)).toMatch(/^done: 8 iterations in /);
    expect(resumed!.join('\n')).toMatch(/892 training \/ 8 evaluation samples/);
    expect(evaluated![1]).toMatch(
      /8 samples: the run's evaluation samples: the last 8 of train in /,
    );
    const miou = (lines: string[], re: RegExp) => Number(re.exec(lines.join('\n'))![1]);
    const fromEval = miou(evaluated!, /^mIoU (\d+\.\d\d) {2}face mean-F1/m);
    expect(miou(scored!, /^celebamask: .*mIoU \(19 classes\) (\d+\.\d\d)$/m)).toBe(fromEval);
    expect(predicted!.at(-1)).toMatch(/^3 inputs -> runs\/photos-labels/);
    expect(readdirSync('runs/photos-labels')).toHaveLength(6);
    expect(errors).toEqual([]);
  }, 600_000);
});
