import * as train from '@facepar/train';
import { UsageError } from '../args.js';
import { getTrainConfig, listTrainConfigs } from '../configs/index.js';
import { FLAGS, optional, pick } from '../flags.js';
import * as shared from './shared.js';
import { type Command, command } from './types.js';

const NAME = 'train';
const FLAG_TABLE = {
  config: optional(FLAGS.config),
  data: { ...optional(FLAGS.data), help: "dataset root, or 'synthetic'" },
  layout: optional(FLAGS.layout),
  split: optional(FLAGS.split),
  ...pick(FLAGS, ['val-split']),
  holdout: { ...FLAGS.holdout, help: `${FLAGS.holdout.help} (synthetic: how many, default 40)` },
  backend: optional(FLAGS.backend),
  ...pick(FLAGS, ['work-dir', 'iters', 'batch', 'crop', 'eval-every', 'log-every', 'set']),
  ...pick(FLAGS, ['load-from', 'backbone-weights', 'resume', 'dry-run']),
};
export const createTrainCommand = command(FLAG_TABLE, ({ out, ...io }) => ({
  name: NAME,
  summary: 'train a segmentor with a named config (logs, curves, checkpoints, --resume)',
  usage: [
    'facepar train --config NAME --data DIR [flags]',
    'facepar train --resume --work-dir DIR',
  ],
  description: `Trains a named config: log.jsonl, atomic checkpoints (Ctrl-C, SIGTERM and SIGHUP save one), mIoU on
the held-out samples, curves.svg/png and the per-class table at the end. --data synthetic:
generated faces. --resume continues the run in --work-dir exactly as its config.json says.`,
  async run({ values: v }) {
    if (!v.resume && v.config === undefined) {
      throw new UsageError(`${NAME}: --config is required (${listTrainConfigs().join(', ')})`);
    }
    const prepared = train.prepareTrainRun({
      base: v.config === undefined ? undefined : getTrainConfig(v.config),
      ...{ workDir: v['work-dir'], resume: v.resume, data: v.data, layout: v.layout },
      ...{ split: v.split, valSplit: v['val-split'], holdout: v.holdout, iters: v.iters },
      ...{ batch: v.batch, crop: v.crop, evalEvery: v['eval-every'], logEvery: v['log-every'] },
      ...{ set: v.set, backend: v.backend, loadFrom: v['load-from'] },
      backboneWeights: v['backbone-weights'],
    });
    const { config, workDir, resume } = prepared;
    if (v['dry-run']) {
      out(JSON.stringify(config, null, 2));
      return 0;
    }
    await shared.setupBackend({ backend: config.backend ?? 'auto', out });
    for (const note of prepared.notes) out(note);
    const data = await train.openTrainData(config.data.source!);
    const samples = `${data.train.entries.length} training / ${data.val.length} evaluation samples`;
    out(
      `config ${config.name}: ${config.model.name}, ${config.schedule.maxIters} iterations, batch ${config.data.batchSize}; ${samples}; run folder ${workDir}`,
    );
    const t0 = performance.now();
    return shared.trainAndReport({
      ...{ config, workDir, data, resume, io: { ...io, out } },
      title: `facepar train --config ${config.name}`,
      resumeWith: `facepar train --resume --work-dir ${workDir}`,
      finish: (run) => {
        const seconds = ((performance.now() - t0) / 1000).toFixed(1);
        const summary = run.report
          ? [`${train.formatReportSummary(run.report)}  (${data.val.length} held-out samples)`]
          : [];
        return {
          extra: { iter: run.iter },
          lines: [
            ...summary,
            `done: ${run.iter} iterations in ${seconds} s; checkpoint ${run.lastCheckpoint}`,
          ],
        };
      },
    });
  },
}));

export const trainCommand: Command = createTrainCommand();
