import type { MetricsResult, SummaryMetrics } from './compute-metrics.js';

export type TableFormat = 'text' | 'markdown' | 'json';

export const TABLE_FORMATS: readonly TableFormat[] = ['text', 'markdown', 'json'];

export interface FormatMetricsTableOptions {
  /** `text` (mmseg-style boxed table), `markdown` or `json`. */
  format?: TableFormat;
  /** One name per class; default `class 0`, `class 1`, ... */
  classNames?: readonly string[];
  /** Decimal places of the percentages (text and markdown). */
  digits?: number;
}

export const DEFAULT_FORMAT_METRICS_TABLE_OPTIONS = {
  format: 'text' as TableFormat,
  digits: 2,
};

export function resolveFormatMetricsTableOptions(
  options: FormatMetricsTableOptions,
  numClasses: number,
): Required<FormatMetricsTableOptions> {
  const format = options.format ?? DEFAULT_FORMAT_METRICS_TABLE_OPTIONS.format;
  if (!TABLE_FORMATS.includes(format)) {
    throw new RangeError(
      `format must be one of ${TABLE_FORMATS.join(', ')}, got ${String(format)}`,
    );
  }
  const digits = options.digits ?? DEFAULT_FORMAT_METRICS_TABLE_OPTIONS.digits;
  if (!Number.isInteger(digits) || digits < 0 || digits > 10) {
    throw new RangeError(`digits must be an integer in 0..10, got ${String(digits)}`);
  }
  const classNames =
    options.classNames ?? Array.from({ length: numClasses }, (_, c) => `class ${c}`);
  if (classNames.length !== numClasses) {
    throw new RangeError(
      `classNames has ${classNames.length} names but the metrics have ${numClasses} classes`,
    );
  }
  return { format, digits, classNames };
}

/** One row of the per-class table, values as fractions (NaN → null in JSON). */
export interface ClassRow {
  id: number;
  name: string;
  iou: number | null;
  acc: number | null;
  precision: number | null;
  dice: number | null;
  fscore: number | null;
  /** Ground-truth pixels of the class. */
  support: number;
}

/** The summary metrics, in the order tables and reports list them. */
export const SUMMARY_KEYS: readonly (keyof SummaryMetrics)[] = [
  'aAcc',
  'mIoU',
  'mAcc',
  'mPrecision',
  'mDice',
  'mF1',
  'mFscore',
  'fwIoU',
];

/** Per-class rows (fractions, NaN as null). */
export function metricsRows(result: MetricsResult, classNames?: readonly string[]): ClassRow[] {
  const names = resolveFormatMetricsTableOptions({ classNames }, result.numClasses).classNames;
  const n = (v: number) => (Number.isNaN(v) ? null : v);
  return names.map((name, c) => ({
    id: c,
    name,
    iou: n(result.perClass.iou[c]),
    acc: n(result.perClass.acc[c]),
    precision: n(result.perClass.precision[c]),
    dice: n(result.perClass.dice[c]),
    fscore: n(result.perClass.fscore[c]),
    support: result.areas.labelArea[c],
  }));
}

/**
 * The per-class table followed by the summary, as percentages like mmseg's log (`nan` for
 * undefined scores), or as JSON (fractions, null for undefined).
 */
export function formatMetricsTable(
  result: MetricsResult,
  options: FormatMetricsTableOptions = {},
): string {
  const o = resolveFormatMetricsTableOptions(options, result.numClasses);
  const rows = metricsRows(result, o.classNames);
  const fLabel = result.options.beta === 1 ? 'Fscore' : `F${result.options.beta}`;
  if (o.format === 'json') {
    const summary: Record<string, number | null> = {};
    for (const k of SUMMARY_KEYS) summary[k] = Number.isNaN(result[k]) ? null : result[k];
    return JSON.stringify(
      { perClass: rows, summary, options: result.options, includedClasses: result.includedClasses },
      null,
      2,
    );
  }
  const pct = (v: number | null) => (v === null ? 'nan' : (v * 100).toFixed(o.digits));
  const header = ['Class', 'IoU', 'Acc', 'Precision', 'Dice', fLabel];
  const body = rows.map((r) => [
    r.name,
    pct(r.iou),
    pct(r.acc),
    pct(r.precision),
    pct(r.dice),
    pct(r.fscore),
  ]);
  const sHeader = [...SUMMARY_KEYS];
  const sBody = [SUMMARY_KEYS.map((k) => pct(Number.isNaN(result[k]) ? null : result[k]))];
  if (o.format === 'markdown') return `${markdown(header, body)}\n\n${markdown(sHeader, sBody)}`;
  return `per class results:\n${boxed(header, body)}\nSummary:\n${boxed(sHeader, sBody)}`;
}

function widths(header: readonly string[], body: readonly string[][]): number[] {
  return header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
}

/** PrettyTable-like box with centred cells, as mmseg prints. */
function boxed(header: readonly string[], body: readonly string[][]): string {
  const w = widths(header, body);
  const line = `+${w.map((x) => '-'.repeat(x + 2)).join('+')}+`;
  const row = (cells: readonly string[]) =>
    `|${cells.map((c, i) => ` ${centre(c, w[i])} `).join('|')}|`;
  return [line, row(header), line, ...body.map(row), line].join('\n');
}

function centre(s: string, width: number): string {
  const pad = width - s.length;
  const left = Math.floor(pad / 2);
  return ' '.repeat(left) + s + ' '.repeat(pad - left);
}

function markdown(header: readonly string[], body: readonly string[][]): string {
  const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const sep = `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`;
  return [row(header), sep, ...body.map(row)].join('\n');
}
