import { CELEBAMASK_FLIP_PAIRS } from '@facepar/metrics';
import * as train from '@facepar/train';
import { str } from '../args.js';
import { FLAGS, pick } from '../flags.js';
import { requirePath, setupBackend } from './shared.js';
import { type Command, command } from './types.js';

const FLAG_TABLE = {
  ...pick(FLAGS, ['checkpoint', 'data', 'layout']),
  split: { ...FLAGS.split, default: 'val' },
  holdout: { ...FLAGS.holdout, help: 'only the last N samples of the split (train --holdout N)' },
  ...pick(FLAGS, ['flip-tta', 'shard']),
  json: FLAGS['json-file'],
  'save-pred': str('DIR', 'also write the predicted masks as palette PNGs'),
  ...pick(FLAGS, ['format', 'backend']),
};

export const createEvalCommand = command(FLAG_TABLE, ({ out }) => ({
  name: 'eval',
  summary: 'evaluate a checkpoint: mIoU table + face mean-F1 (--flip-tta, --shard i/n)',
  usage: 'facepar eval --checkpoint DIR --data DIR [flags]',
  description: `Evaluates a checkpoint on a split with the test pipeline 'facepar predict' uses: mmseg mIoU,
the per-class table and the face mean-F1 (18 foreground classes). Shards' --json files
combine exactly with 'facepar miou --merge a.json b.json ...'.`,
  async run({ values }) {
    const { data: root, shard, holdout, layout, split } = values;
    requirePath({ command: 'eval', flag: 'data', path: root, hint: 'pass a dataset root' });
    await setupBackend({ backend: values.backend, out });
    const dir = values['save-pred'];
    const { report } = await train.evaluateCheckpoint({
      ...{ checkpoint: values.checkpoint, root, layout, split, holdout, shard, json: values.json },
      ...{ flip: values['flip-tta'], flipPairs: CELEBAMASK_FLIP_PAIRS },
      onPrediction: dir
        ? ({ sample, pred }) => train.writePredictionPngs({ dir, sample, pred })
        : undefined,
      onStart: ({ checkpoint: c, model, samples }) => {
        const part = shard.count > 1 ? ` (shard ${shard.index}/${shard.count})` : '';
        out(`checkpoint ${c.dir} (iteration ${c.iter}, ${model}); ${samples} samples${part}`);
      },
    });
    out(values.format === 'markdown' ? report.markdown : report.table);
    out(train.formatReportSummary(report));
    if (values.json) out(`wrote ${values.json}`);
    return 0;
  },
}));

export const evalCommand: Command = createEvalCommand();
