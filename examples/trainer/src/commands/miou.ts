import { readFile } from 'node:fs/promises';
import {
  ABSENT_CLASS_POLICIES,
  type AbsentClassPolicy,
  ConfusionMatrix,
  computeImagewiseMetrics,
  computeMetrics,
  computePresetMetrics,
  evaluateMaskFolders,
  formatMetricsTable,
  getMetricPreset,
  IMAGEWISE_REDUCTIONS,
  type ImagewiseReduction,
  type MetricPreset,
  metricsRows,
} from '@facepar/metrics';
import { choiceFlag, intFlag, parseFlags, requireFlag, UsageError } from '../args.js';
import { writeFileAtomic } from '../run/atomic-write.js';
import { Progress } from '../run/progress.js';
import type { Command } from './types.js';
import { writeLine } from './shared.js';

const NAME = 'miou';

const USAGE = `Usage: facepar miou --pred DIR --gt DIR [flags]
       facepar miou --merge A.json B.json ... [flags]

Scores predicted label-map PNGs against ground-truth PNGs paired by file stem (palette
indices, grey values, 16-bit labels, or RGB colour-coded masks mapped through the palette)
with mmseg IoUMetric semantics, and prints the per-class table and the summary.

Flags:
  --pred DIR            folder of predicted masks
  --gt DIR              folder of ground-truth masks
  --num-classes N       number of classes (default 19, or the preset's)
  --ignore-index N      ground-truth value to skip (default 255; 'none' ignores nothing)
  --preset NAME         dataset convention: celebamask (class names; mean F1 over 18 foreground classes)
  --absent-class P      zero-denominator policy: mmseg (NaN, skipped; default), zero, one
  --imagewise R         also report per-image means: macro-imagewise or micro-imagewise
  --format F            table format: text (default) or markdown
  --json FILE           write everything, including the raw confusion matrix, to FILE
  --skip-missing        evaluate the stems present in both folders instead of failing
  --strict              fail on labels outside 0..N-1 instead of counting them as dropped
  --merge               treat the positional arguments as saved --json files (or bare
                        confusion matrices) and combine them exactly`;

export interface MiouCommandOptions {
  out?: (line: string) => void;
  /** Where the progress bar is drawn (default process.stderr). */
  progressStream?: { write(s: string): unknown; isTTY?: boolean };
}

export function createMiouCommand(options: MiouCommandOptions = {}): Command {
  const out = options.out ?? writeLine;
  return {
    name: NAME,
    summary: 'score predicted mask PNGs against ground truth (mIoU, F1, per-class table)',
    usage: USAGE,
    run: (argv) => runMiou({ argv, out, progressStream: options.progressStream }),
  };
}

export const miouCommand: Command = createMiouCommand();

async function runMiou(options: {
  argv: readonly string[];
  out: (line: string) => void;
  progressStream?: MiouCommandOptions['progressStream'];
}): Promise<number> {
  const { argv, out } = options;
  const { values, positionals } = parseFlags({
    command: NAME,
    argv,
    allowPositionals: true,
    flags: {
      pred: { type: 'string' },
      gt: { type: 'string' },
      'num-classes': { type: 'string' },
      'ignore-index': { type: 'string' },
      preset: { type: 'string' },
      'absent-class': { type: 'string' },
      imagewise: { type: 'string' },
      format: { type: 'string' },
      json: { type: 'string' },
      'skip-missing': { type: 'boolean' },
      strict: { type: 'boolean' },
      merge: { type: 'boolean' },
    },
  });
  let preset: MetricPreset | undefined;
  if (values.preset !== undefined) {
    try {
      preset = getMetricPreset(values.preset);
    } catch (err) {
      throw new UsageError(`${NAME}: --preset: ${(err as Error).message}`);
    }
  }
  const numClasses =
    intFlag({
      command: NAME,
      flag: 'num-classes',
      value: values['num-classes'],
      min: 1,
      max: 65535,
    }) ??
    preset?.numClasses ??
    19;
  if (preset && numClasses !== preset.numClasses) {
    throw new UsageError(
      `${NAME}: --preset ${preset.name} needs --num-classes ${preset.numClasses}, got ${numClasses}`,
    );
  }
  const ignoreIndex =
    values['ignore-index'] === 'none'
      ? null
      : (intFlag({
          command: NAME,
          flag: 'ignore-index',
          value: values['ignore-index'],
          min: -(2 ** 31),
          max: 2 ** 31 - 1,
        }) ??
        preset?.ignoreIndex ??
        255);
  const absentClass: AbsentClassPolicy =
    choiceFlag({
      command: NAME,
      flag: 'absent-class',
      value: values['absent-class'],
      allowed: ABSENT_CLASS_POLICIES,
    }) ?? 'mmseg';
  const imagewise: ImagewiseReduction | undefined = choiceFlag({
    command: NAME,
    flag: 'imagewise',
    value: values.imagewise,
    allowed: IMAGEWISE_REDUCTIONS,
  });
  const format =
    choiceFlag({
      command: NAME,
      flag: 'format',
      value: values.format,
      allowed: ['text', 'markdown'] as const,
    }) ?? 'text';

  let cm: ConfusionMatrix;
  let source: Record<string, unknown>;
  let imagewiseResult: ReturnType<typeof computeImagewiseMetrics> | undefined;
  if (values.merge) {
    if (positionals.length === 0)
      throw new UsageError(`${NAME}: --merge needs one or more saved JSON files`);
    if (values.pred !== undefined || values.gt !== undefined) {
      throw new UsageError(
        `${NAME}: --merge combines saved files; do not pass --pred/--gt with it`,
      );
    }
    if (imagewise)
      throw new UsageError(
        `${NAME}: --imagewise needs --pred/--gt (saved matrices hold no per-image data)`,
      );
    cm = await mergeFiles(positionals);
    if (cm.numClasses !== numClasses && values['num-classes'] !== undefined) {
      throw new UsageError(
        `${NAME}: the saved matrices have ${cm.numClasses} classes, --num-classes says ${numClasses}`,
      );
    }
    source = { merged: positionals };
  } else {
    if (positionals.length > 0)
      throw new UsageError(
        `${NAME}: unexpected argument '${positionals[0]}' (did you mean --merge?)`,
      );
    const predDir = requireFlag({
      command: NAME,
      flag: 'pred',
      value: values.pred,
      hint: 'a folder of predicted mask PNGs',
    });
    const gtDir = requireFlag({
      command: NAME,
      flag: 'gt',
      value: values.gt,
      hint: 'a folder of ground-truth mask PNGs',
    });
    let progress: Progress | undefined;
    const result = await evaluateMaskFolders({
      predDir,
      gtDir,
      numClasses,
      ignoreIndex,
      strict: values.strict === true,
      skipMissing: values['skip-missing'] === true,
      keepImageAreas: imagewise !== undefined,
      onProgress: ({ done, total }) => {
        progress ??= new Progress({ total, stream: options.progressStream });
        progress.update({ done });
      },
    });
    progress?.finish();
    cm = result.confusionMatrix;
    if (imagewise && result.imageAreas) {
      imagewiseResult = computeImagewiseMetrics({
        images: result.imageAreas,
        reduction: imagewise,
        absentClass,
      });
    }
    const skipped = [
      ...result.missingPred.map((s) => `${s} (no prediction)`),
      ...result.missingGt.map((s) => `${s} (no ground truth)`),
    ];
    if (skipped.length > 0)
      out(
        `skipped ${skipped.length} unpaired file(s): ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', ...' : ''}`,
      );
    const t = result.timing;
    out(
      `evaluated ${result.stems.length} pairs in ${(t.totalMs / 1000).toFixed(2)} s ` +
        `(read ${(t.readMs / 1000).toFixed(2)} s, decode ${(t.decodeMs / 1000).toFixed(2)} s, count ${(t.countMs / 1000).toFixed(2)} s)`,
    );
    source = {
      predDir,
      gtDir,
      pairs: result.stems.length,
      missingPred: result.missingPred,
      missingGt: result.missingGt,
      timing: t,
    };
  }

  const metrics = computeMetrics(cm, { absentClass });
  const classNames = preset?.classNames;
  out(formatMetricsTable(metrics, { format, classNames }));
  const dropped = cm.dropped();
  if (dropped.predOutOfRange + dropped.gtOutOfRange + dropped.bothOutOfRange > 0) {
    out(
      `out-of-range labels (dropped like mmseg): ${dropped.predOutOfRange} predicted, ${dropped.gtOutOfRange} ground truth, ` +
        `${dropped.bothOutOfRange} both; --strict makes this an error`,
    );
  }
  let headline: Record<string, number | null> | undefined;
  if (preset) {
    const p = computePresetMetrics(cm, { preset: preset.name, absentClass });
    headline = { mIoU: nullable(p.mIoU), meanF1: nullable(p.meanF1) };
    out(
      `${preset.name}: mean F1 (${p.foreground.includedClasses.length} foreground classes) ${pct(p.meanF1)}, mIoU (${numClasses} classes) ${pct(p.mIoU)}`,
    );
  }
  if (imagewiseResult) {
    const r = imagewiseResult;
    out(
      `${r.reduction}: IoU ${pct(r.iou)}, Dice/F1 ${pct(r.dice)}, Acc ${pct(r.acc)}, Precision ${pct(r.precision)} over ${r.perImage.iou.length} images`,
    );
  }
  if (values.json !== undefined) {
    const summary = Object.fromEntries(
      (['aAcc', 'mIoU', 'mAcc', 'mPrecision', 'mDice', 'mF1', 'mFscore', 'fwIoU'] as const).map(
        (k) => [k, nullable(metrics[k])],
      ),
    );
    const doc = {
      ...source,
      options: { numClasses, ignoreIndex, absentClass, preset: preset?.name ?? null },
      summary,
      preset: headline ?? null,
      imagewise: imagewiseResult
        ? {
            reduction: imagewiseResult.reduction,
            iou: nullable(imagewiseResult.iou),
            dice: nullable(imagewiseResult.dice),
            acc: nullable(imagewiseResult.acc),
            precision: nullable(imagewiseResult.precision),
          }
        : null,
      perClass: metricsRows(metrics, classNames),
      dropped,
      confusionMatrix: cm.toJSON(),
    };
    writeFileAtomic({ path: values.json, data: `${JSON.stringify(doc, null, 2)}\n` });
    out(`wrote ${values.json}`);
  }
  return 0;
}

/** Reads saved `--json` outputs (or bare confusion matrices) and adds them up exactly. */
async function mergeFiles(files: readonly string[]): Promise<ConfusionMatrix> {
  let total: ConfusionMatrix | undefined;
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new Error(`${NAME} --merge: cannot read ${file}: ${(err as Error).message}`);
    }
    const body =
      json !== null && typeof json === 'object' && 'confusionMatrix' in json
        ? (json as { confusionMatrix: unknown }).confusionMatrix
        : json;
    let cm: ConfusionMatrix;
    try {
      cm = ConfusionMatrix.fromJSON(body);
    } catch (err) {
      throw new Error(`${NAME} --merge: ${file}: ${(err as Error).message}`);
    }
    try {
      total = total ? total.merge(cm) : cm;
    } catch (err) {
      throw new Error(`${NAME} --merge: ${file}: ${(err as Error).message}`);
    }
  }
  return total as ConfusionMatrix;
}

function nullable(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}

function pct(v: number): string {
  return Number.isNaN(v) ? 'nan' : (v * 100).toFixed(2);
}
