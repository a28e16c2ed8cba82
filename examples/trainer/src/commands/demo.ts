import { join } from 'node:path';
import * as train from '@facepar/train';
import { int, num } from '../args.js';
import { getTrainConfig } from '../configs/index.js';
import { FLAGS, pick } from '../flags.js';
import { formatDuration } from '../render/progress.js';
import * as shared from './shared.js';
import { type Command, command } from './types.js';

const NAME = 'demo';

/** Demo data sizes (overridable for quick checks). */
export const DEFAULT_DEMO_OPTIONS = {
  train: 320,
  val: 40,
  size: 128,
  predictions: 6,
  /** Training-time budget; the iteration count is fitted to it (at least `minIters`). */
  minutes: 7,
  minIters: 50,
} as const;
const D = DEFAULT_DEMO_OPTIONS;

const FLAG_TABLE = {
  ...pick(FLAGS, ['work-dir', 'backend']),
  minutes: num('M', [0, 1440], 'training budget; a probe fits the iteration count to it', {
    openMin: true,
    default: D.minutes,
  }),
  iters: { ...FLAGS.iters, help: 'fixed iteration count instead of the budget' },
  train: int('number of synthetic training faces', { default: D.train }),
  val: int('number of synthetic validation faces', { default: D.val }),
  ...pick(FLAGS, ['resume']),
};

export const createDemoCommand = command(FLAG_TABLE, ({ out, ...io }) => ({
  name: NAME,
  summary: 'synthesise faces, train the small preset, evaluate and write a run folder',
  usage: 'facepar demo [flags]',
  description: `The README's main job: writes synthetic ${D.size}-px faces to <work-dir>/data, trains the 'demo'
config within a time budget, evaluates, and writes the run folder (log.jsonl, curves,
checkpoints/, metrics.*, predictions/pred and /gt). About 6-9 minutes on a 2-core CPU (wasm).`,
  async run({ values }) {
    const t0 = performance.now();
    const { resume } = values;
    const workDir = train.resolveRunFolder({
      ...{ command: NAME, name: 'demo', workDir: values['work-dir'], resume },
    });
    await shared.setupBackend({ backend: values.backend, out });
    const dir = join(workDir, 'data');
    const base = getTrainConfig('demo');
    const sizes = { train: values.train, val: values.val, size: D.size, seed: base.seed };
    const source = await train.ensureSyntheticDataset({ dir, ...sizes });
    const data = await train.openTrainData(source);
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    out(
      `synthetic dataset: ${data.train.entries.length} training + ${data.val.length} validation faces at ${D.size} px in ${dir} (${secs} s)`,
    );
    let config: train.TrainConfig;
    if (resume) config = train.readRunConfig({ workDir });
    else {
      let iters = values.iters;
      if (iters === undefined) {
        const { minutes } = values;
        const budget = { config: base, train: data.train, minutes, minIters: D.minIters };
        const fit = await train.fitIterationsToBudget({ ...budget, workers: io.workers ?? 1 });
        iters = fit.iters;
        const perIter = fit.secondsPerIteration.toFixed(2);
        out(
          `probe: ${perIter} s/iteration -> ${iters} iterations fit the ${values.minutes}-minute budget`,
        );
      }
      const evalEvery = Math.max(1, Math.ceil(iters / 5));
      config = train.applyConfigOverrides({ config: base, overrides: { iters, evalEvery } });
      config.data.source = source;
    }
    const { maxIters } = config.schedule;
    out(
      `training '${config.name}' (${config.model.name}): ${maxIters} iterations, batch ${config.data.batchSize}; run folder ${workDir}`,
    );
    const predictions = join(workDir, 'predictions');
    return shared.trainAndReport({
      ...{ config, workDir, data, resume, io: { ...io, out } },
      title: 'facepar demo (synthetic faces)',
      resumeWith: `facepar demo --work-dir ${workDir} --resume`,
      onFinalPrediction: ({ sample, pred, index }) =>
        index < D.predictions
          ? train.writePredictionPngs({ dir: predictions, sample, pred })
          : undefined,
      finish: (run) => {
        const { numClasses } = run.segmentor.spec;
        const baseline = train.majorityBaselineMIoU({ samples: data.val, numClasses });
        const seconds = (performance.now() - t0) / 1000;
        const pct = (v: number) => (v * 100).toFixed(2);
        const report = run.report!;
        return {
          extra: { iter: run.iter, seconds, majorityBaselineMIoU: baseline, ...sizes },
          lines: [
            `demo: mIoU ${pct(report.mIoU)} (majority-class baseline ${pct(baseline)}), face mean-F1 ${pct(report.meanF1)}, ${run.iter} iterations, ${formatDuration(seconds)} total`,
            `run folder: ${workDir} (log.jsonl, curves.png, metrics.txt, predictions/pred and /gt, checkpoints/)`,
          ],
        };
      },
    });
  },
}));

export const demoCommand: Command = createDemoCommand();
