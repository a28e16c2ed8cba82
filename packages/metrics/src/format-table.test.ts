import { describe, expect, it } from 'vitest';
import { computeMetrics } from './compute-metrics.js';
import { ConfusionMatrix } from './confusion-matrix.js';
import { formatMetricsTable, metricsRows } from './format-table.js';

// gt [0,0,1,1], pred [0,1,1,1], 3 classes: IoU c0 50, c1 66.67, c2 nan
const cm = new ConfusionMatrix({ numClasses: 3 }).update({
  gt: Uint8Array.from([0, 0, 1, 1]),
  pred: Uint8Array.from([0, 1, 1, 1]),
});
const result = computeMetrics(cm);

describe('formatMetricsTable', () => {
  it('text: mmseg-like boxed table with percentages and nan', () => {
    const text = formatMetricsTable(result, { classNames: ['bg', 'skin', 'hat'] });
    const lines = text.split('\n');
    expect(lines[0]).toBe('per class results:');
    expect(lines[1]).toBe('+-------+-------+--------+-----------+-------+--------+');
    expect(lines[5]).toBe('| skin  | 66.67 | 100.00 |   66.67   | 80.00 | 80.00  |');
    expect(lines[2]).toBe('| Class |  IoU  |  Acc   | Precision | Dice  | Fscore |');
    expect(lines[4]).toBe('|  bg   | 50.00 | 50.00  |  100.00   | 66.67 | 66.67  |');
    expect(lines[6]).toBe('|  hat  |  nan  |  nan   |    nan    |  nan  |  nan   |');
    expect(text).toContain('Summary:');
    // aAcc 3/4, mIoU (1/2 + 2/3) / 2, fwIoU (2/4)(1/2) + (2/4)(2/3)
    expect(lines.at(-2)).toBe(
      '| 75.00 | 58.33 | 75.00 |   83.33    | 73.33 | 73.33 |  73.33  | 58.33 |',
    );
  });

  it('markdown and json', () => {
    const md = formatMetricsTable(result, { format: 'markdown', digits: 1 });
    expect(md.split('\n')[2]).toBe('| class 0 | 50.0 | 50.0 | 100.0 | 66.7 | 66.7 |');
    const json = JSON.parse(formatMetricsTable(result, { format: 'json' }));
    expect(json.summary.mIoU).toBeCloseTo(7 / 12, 15);
    expect(json.perClass[2].iou).toBeNull();
    expect(json.perClass[1].support).toBe(2);
  });

  it('rejects a wrong number of class names or format', () => {
    expect(() => formatMetricsTable(result, { classNames: ['a'] })).toThrow(
      'classNames has 1 names but the metrics have 3 classes',
    );
    expect(() => formatMetricsTable(result, { format: 'html' as never })).toThrow(
      'format must be one of text, markdown, json, got html',
    );
    expect(metricsRows(result).map((r) => r.name)).toEqual(['class 0', 'class 1', 'class 2']);
  });
});
