import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_LAYOUTS } from '@facepar/celebamask-data';
import { createSegmentor } from '@facepar/heads';
import { choiceFlag, intFlag, parseFlags, requireFlag, shardFlag } from '../args.js';
import type { TrainConfig } from '../configs/types.js';
import { holdOut, openSplit, readSamples } from '../data/load-samples.js';
import { writeFileAtomic } from '../run/atomic-write.js';
import { loadCheckpoint, readCheckpointPointers } from '../run/checkpoint.js';
import { importModelWeights } from '../train/model-weights.js';
import { evaluateReport, writePredictionPngs } from '../train/run-report.js';
import { readCheckpointTensors } from '../train/train-loop.js';
import { requireDir, setupBackend, writeLine } from './shared.js';
import type { Command } from './types.js';

const NAME = 'eval';

const USAGE = `Usage: facepar eval --checkpoint DIR --data DIR [flags]

Evaluates a checkpoint on a dataset split: mmseg mIoU with the per-class table, plus the face
mean-F1 over the 18 foreground classes. Shards split the work across processes or machines;
their --json files combine exactly with 'facepar miou --merge a.json b.json ...'.

Flags:
  --checkpoint DIR   a checkpoint folder, or a run folder (its best checkpoint)
  --data DIR         dataset root
  --layout L         auto (default) | ${DATASET_LAYOUTS.join(' | ')}
  --split NAME       split folder (default val)
  --holdout N        evaluate only the last N samples of the split by id (the part that
                     'facepar train --holdout N' kept out of training)
  --flip-tta         average with the mirrored image (left/right classes swapped)
  --shard i/n        evaluate items i, i+n, i+2n, ... (sorted by id)
  --json FILE        write the summary and the confusion matrix to FILE
  --save-pred DIR    also write the predicted masks as palette PNGs
  --format F         text (default) | markdown
  --backend B        auto (default) | tensorflow | webgpu | wasm | cpu`;

export interface EvalCommandOptions {
  out?: (line: string) => void;
}

export function createEvalCommand(options: EvalCommandOptions = {}): Command {
  const out = options.out ?? writeLine;
  return {
    name: NAME,
    summary: 'evaluate a checkpoint: mIoU table + face mean-F1 (--flip-tta, --shard i/n)',
    usage: USAGE,
    run: (argv) => runEval({ argv, out }),
  };
}

export const evalCommand: Command = createEvalCommand();

async function runEval(options: {
  argv: readonly string[];
  out: (line: string) => void;
}): Promise<number> {
  const { argv, out } = options;
  const { values } = parseFlags({
    command: NAME,
    argv,
    flags: {
      checkpoint: { type: 'string' },
      data: { type: 'string' },
      layout: { type: 'string' },
      split: { type: 'string' },
      'flip-tta': { type: 'boolean' },
      shard: { type: 'string' },
      holdout: { type: 'string' },
      json: { type: 'string' },
      'save-pred': { type: 'string' },
      format: { type: 'string' },
      backend: { type: 'string' },
    },
  });
  const ckptPath = requireFlag({
    command: NAME,
    flag: 'checkpoint',
    value: values.checkpoint,
    hint: 'a checkpoint or run folder',
  });
  const data = requireFlag({
    command: NAME,
    flag: 'data',
    value: values.data,
    hint: 'a dataset root',
  });
  const layout =
    choiceFlag({
      command: NAME,
      flag: 'layout',
      value: values.layout,
      allowed: ['auto', ...DATASET_LAYOUTS] as const,
    }) ?? 'auto';
  const format =
    choiceFlag({
      command: NAME,
      flag: 'format',
      value: values.format,
      allowed: ['text', 'markdown'] as const,
    }) ?? 'text';
  const shard = shardFlag({ command: NAME, value: values.shard });
  const holdout = intFlag({ command: NAME, flag: 'holdout', value: values.holdout });
  requireDir({ command: NAME, flag: 'data', path: data, hint: 'pass a dataset root' });
  const which = readCheckpointPointers({ workDir: ckptPath }).best ? 'best' : 'latest';
  const checkpoint = loadCheckpoint<{ config: TrainConfig }>({ path: ckptPath, which });
  const config = checkpoint.state.config;
  await setupBackend({ command: NAME, value: values.backend, out });

  const segmentor = createSegmentor({ model: config.model, numClasses: config.numClasses });
  try {
    importModelWeights({
      model: segmentor.model,
      entries: readCheckpointTensors({ checkpoint, file: 'weights.safetensors' }),
      source: join(checkpoint.dir, 'weights.safetensors'),
    });
    const split = await openSplit({ root: data, layout, split: values.split ?? 'val' });
    const samples = await readSamples({
      dataset: holdout === undefined ? split : holdOut({ dataset: split, count: holdout }).val,
      shard,
    });
    out(
      `checkpoint ${checkpoint.dir} (iteration ${checkpoint.iter}, ${config.model}); ${samples.length} samples${shard.count > 1 ? ` (shard ${shard.index}/${shard.count})` : ''}`,
    );
    const predDir = values['save-pred'];
    if (predDir) mkdirSync(predDir, { recursive: true });
    const report = evaluateReport({
      model: segmentor.model,
      config,
      samples,
      flipTta: values['flip-tta'] === true,
      onPrediction: predDir
        ? ({ sample, pred }) => writePredictionPngs({ dir: predDir, sample, pred })
        : undefined,
    });
    out(format === 'markdown' ? report.markdown : report.table);
    out(
      `mIoU ${(report.mIoU * 100).toFixed(2)}  face mean-F1 ${(report.meanF1 * 100).toFixed(2)}  aAcc ${(report.aAcc * 100).toFixed(2)}`,
    );
    if (values.json) {
      writeFileAtomic({
        path: values.json,
        data: `${JSON.stringify({
          checkpoint: checkpoint.dir,
          iter: checkpoint.iter,
          data,
          split: values.split ?? 'val',
          shard,
          holdout: holdout ?? null,
          flipTta: values['flip-tta'] === true,
          mIoU: report.mIoU,
          meanF1: report.meanF1,
          aAcc: report.aAcc,
          confusionMatrix: report.cm.toJSON(),
        })}\n`,
      });
      out(`wrote ${values.json}`);
    }
    return 0;
  } finally {
    segmentor.dispose();
  }
}
