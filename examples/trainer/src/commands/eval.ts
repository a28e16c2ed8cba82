import { CELEBAMASK_FLIP_PAIRS } from '@facepar/metrics';
import * as train from '@facepar/train';
import { str } from '../args.js';
import { FLAGS, optional, pick } from '../flags.js';
import { setupBackend } from './shared.js';
import { type Command, command } from './types.js';

const FLAG_TABLE = {
  checkpoint: {
    ...FLAGS.checkpoint,
    help: `${FLAGS.checkpoint.help}, or a .safetensors/.pth file`,
  },
  model: { ...FLAGS.model, help: `${FLAGS.model.help}, for a plain state dict` },
  data: { ...optional(FLAGS.data), help: "dataset root (default: the run's)" },
  layout: FLAGS.layout,
  split: { ...optional(FLAGS.split), help: 'split to score (default val; train with --holdout)' },
  holdout: { ...FLAGS.holdout, help: 'only the last N samples of the split (train --holdout N)' },
  ...pick(FLAGS, ['flip-tta', 'shard']),
  json: FLAGS['json-file'],
  'save-pred': str('DIR', 'also write DIR/pred/<stem>.png and DIR/gt/<stem>.png (palette PNGs)'),
  ...pick(FLAGS, ['format', 'backend']),
};

export const createEvalCommand = command(FLAG_TABLE, ({ out }) => ({
  name: 'eval',
  summary: 'evaluate a checkpoint: mIoU table + face mean-F1 (--flip-tta, --shard i/n)',
  usage: 'facepar eval --checkpoint DIR|FILE [--data DIR] [flags]',
  description: `Evaluates weights with the test pipeline 'facepar predict' uses: mmseg mIoU, the per-class
table and the face mean-F1 (18 foreground classes). Without --data, a run folder is scored on
its own evaluation samples. --save-pred DIR: 'facepar miou --pred DIR/pred --gt DIR/gt' reads
it. Shards' --json files combine exactly with 'facepar miou --merge a.json b.json ...'.`,
  async run({ values }) {
    const { shard, holdout, layout, split } = values;
    await setupBackend({ backend: values.backend, out });
    const dir = values['save-pred'];
    const { report } = await train.evaluateCheckpoint({
      ...{ checkpoint: values.checkpoint, model: values.model, root: values.data, layout, split },
      ...{ holdout, shard, json: values.json },
      ...{ flip: values['flip-tta'], flipPairs: CELEBAMASK_FLIP_PAIRS },
      onPrediction: dir
        ? ({ sample, pred }) => train.writePredictionPngs({ dir, sample, pred })
        : undefined,
      onStart: ({ checkpoint: c, weights, model, samples, split: s }) => {
        const part = shard.count > 1 ? ` (shard ${shard.index}/${shard.count})` : '';
        const at = c ? ` (iteration ${c.iter}, ${model})` : ` (${model})`;
        out(`weights ${weights}${at}; ${samples} samples${part}: ${s.note}`);
      },
    });
    out(values.format === 'markdown' ? report.markdown : report.table);
    out(train.formatReportSummary(report));
    if (values.json) out(`wrote ${values.json}`);
    if (dir)
      out(`wrote ${dir}/pred and ${dir}/gt (facepar miou --pred ${dir}/pred --gt ${dir}/gt)`);
    return 0;
  },
}));

export const evalCommand: Command = createEvalCommand();
