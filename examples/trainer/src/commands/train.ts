import { readSafetensorsFile } from '@facepar/core';
import * as train from '@facepar/train';
import { UsageError } from '../args.js';
import { getTrainConfig } from '../configs/index.js';
import { FLAGS, pick } from '../flags.js';
import * as shared from './shared.js';
import { type Command, command } from './types.js';

const NAME = 'train';
const FLAG_TABLE = {
  ...pick(FLAGS, ['config']),
  data: { ...FLAGS.data, required: "a dataset root, or 'synthetic'" },
  ...pick(FLAGS, ['layout', 'split', 'val-split']),
  holdout: { ...FLAGS.holdout, help: `${FLAGS.holdout.help} (synthetic: how many, default 40)` },
  ...pick(FLAGS, ['backend', 'work-dir', 'iters', 'batch', 'crop', 'eval-every', 'log-every']),
  ...pick(FLAGS, ['load-from', 'resume']),
};
export const createTrainCommand = command(FLAG_TABLE, ({ out, ...io }) => ({
  name: NAME,
  summary: 'train a segmentor with a named config (logs, curves, checkpoints, --resume)',
  usage: 'facepar train --config NAME --data DIR [flags]',
  description: `Trains a named config: log.jsonl, atomic checkpoints (Ctrl-C saves one), mIoU on the held-out
samples, curves.svg/png and the per-class table at the end. --data synthetic: generated faces.`,
  async run({ values }) {
    let base: train.TrainConfig;
    try {
      base = getTrainConfig(values.config);
    } catch (error) {
      throw new UsageError(`${NAME}: --config: ${(error as Error).message}`);
    }
    const { iters, batch, crop, resume } = values;
    const [evalEvery, logEvery] = [values['eval-every'], values['log-every']];
    const overrides = { iters, batch, crop, evalEvery, logEvery };
    const config = train.applyConfigOverrides({ config: base, overrides });
    const run = { command: NAME, name: config.name, workDir: values['work-dir'], resume };
    const workDir = shared.runFolder(run);
    const loadFrom = values['load-from'];
    if (loadFrom !== undefined && resume) {
      throw new UsageError(
        `${NAME}: --load-from and --resume exclude each other (resume restores the run's own weights)`,
      );
    }
    const check = (flag: string, path: string, hint: string) =>
      shared.requirePath({ command: NAME, flag, path, hint });
    if (loadFrom !== undefined) check('load-from', loadFrom, 'pass a .safetensors state dict');
    if (values.data !== 'synthetic')
      check('data', values.data, "pass a dataset root, or 'synthetic'");
    await shared.setupBackend({ backend: values.backend, out });
    const { layout, split, holdout } = values;
    const chosen = await train.dataSourceFor({
      ...{ data: values.data, workDir, config, layout, split, holdout },
      valSplit: values['val-split'],
    });
    if (chosen.note) out(chosen.note);
    config.data.source = chosen.source;
    const data = await train.openTrainData(config.data.source);
    const samples = `${data.train.entries.length} training / ${data.val.length} evaluation samples`;
    const { maxIters } = config.schedule;
    out(
      `config ${config.name}: ${config.model.name}, ${maxIters} iterations, batch ${config.data.batchSize}; ${samples}; run folder ${workDir}`,
    );
    const initWeights = loadFrom ? (await readSafetensorsFile(loadFrom)).tensors : undefined;
    const t0 = performance.now();
    const { config: name, data: root } = values;
    return shared.trainAndReport({
      ...{ config, workDir, data, resume, io: { ...io, out }, initWeights },
      title: `facepar train --config ${config.name}`,
      resumeWith: `facepar train --config ${name} --data ${root} --work-dir ${workDir} --resume`,
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
