import { writeFileAtomic } from '@facepar/core';
import * as metrics from '@facepar/metrics';
import { bool, choice, str, UsageError } from '../args.js';
import { FLAGS } from '../flags.js';
import { Progress } from '../render/progress.js';
import { type Command, command } from './types.js';

const NAME = 'miou';
const FLAG_TABLE = {
  pred: str('DIR', 'folder of predicted masks'),
  gt: str('DIR', 'folder of ground-truth masks'),
  'num-classes': {
    ...FLAGS['num-classes'],
    help: "number of classes (default 19, or the preset's)",
  },
  'ignore-index': str('N', "ground-truth value to skip (default 255; 'none' skips nothing)"),
  preset: choice(
    'NAME',
    Object.keys(metrics.METRIC_PRESETS),
    'dataset convention (names, face F1)',
  ),
  'absent-class': choice('P', metrics.ABSENT_CLASS_POLICIES, 'zero-denominator policy', {
    default: 'mmseg',
  }),
  imagewise: choice('R', metrics.IMAGEWISE_REDUCTIONS, 'also report per-image means'),
  format: FLAGS.format,
  json: { ...FLAGS['json-file'], help: 'write everything, the raw confusion matrix included' },
  'skip-missing': bool('evaluate the stems present in both folders instead of failing'),
  strict: bool('fail on labels outside 0..N-1 instead of counting them as dropped'),
  merge: bool('combine the positional saved --json files (or bare matrices) exactly'),
};

export const createMiouCommand = command(FLAG_TABLE, ({ out, stream }) => ({
  name: NAME,
  summary: 'score predicted mask PNGs against ground truth (mIoU, F1, per-class table)',
  usage: [
    'facepar miou --pred DIR --gt DIR [flags]',
    'facepar miou --merge A.json B.json ... [flags]',
  ],
  description: `Scores predicted label-map PNGs against ground-truth PNGs paired by file stem (palette, grey,
16-bit, or RGB colour-coded through the palette) with mmseg IoUMetric semantics.`,
  positionals: true,
  async run({ values, positionals }) {
    const fail = (message: string): never => {
      throw new UsageError(`${NAME}: ${message}`);
    };
    const preset = values.preset === undefined ? undefined : metrics.getMetricPreset(values.preset);
    const numClasses = values['num-classes'] ?? preset?.numClasses ?? 19;
    if (preset && numClasses !== preset.numClasses) {
      fail(`--preset ${preset.name} needs --num-classes ${preset.numClasses}, got ${numClasses}`);
    }
    const ig = values['ignore-index'];
    const ignoreIndex = ig === 'none' ? null : ig === undefined ? undefined : Number(ig);
    if (typeof ignoreIndex === 'number' && !Number.isSafeInteger(ignoreIndex)) {
      fail(`--ignore-index must be an integer or 'none', got '${ig}'`);
    }
    const { imagewise, merge, pred: predDir, gt: gtDir } = values;
    if (merge) {
      if (positionals.length === 0) fail('--merge needs one or more saved JSON files');
      if (predDir || gtDir) fail('--merge combines saved files; do not pass --pred/--gt with it');
      if (imagewise) fail('--imagewise needs --pred/--gt (saved matrices hold no per-image data)');
    } else if (positionals.length > 0) {
      fail(`unexpected argument '${positionals[0]}' (did you mean --merge?)`);
    } else if (!predDir || !gtDir) {
      fail('--pred and --gt are required (folders of predicted and ground-truth PNGs)');
    }
    let progress: Progress | undefined;
    const r = await metrics
      .scoreMasks({
        ...{ predDir, gtDir, merge: merge ? positionals : undefined, numClasses, ignoreIndex },
        ...{ preset, imagewise, absentClass: values['absent-class'], strict: values.strict },
        skipMissing: values['skip-missing'],
        onProgress: ({ done, total }) => {
          progress ??= new Progress({ total, stream });
          progress.update({ done });
        },
      })
      .catch((err: Error) => {
        throw merge ? new Error(`${NAME} --merge: ${err.message}`) : err;
      });
    progress?.finish();
    const saved = r.cm.numClasses;
    if (merge && values['num-classes'] !== undefined && saved !== numClasses) {
      fail(`the saved matrices have ${saved} classes, --num-classes says ${numClasses}`);
    }
    for (const line of metrics.formatScoreReport(r, { format: values.format, preset })) out(line);
    if (values.json !== undefined) {
      await writeFileAtomic({ path: values.json, data: `${JSON.stringify(r.json, null, 2)}\n` });
      out(`wrote ${values.json}`);
    }
    return 0;
  },
}));

export const miouCommand: Command = createMiouCommand();
