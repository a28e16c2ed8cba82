import { describe, expect, it } from 'vitest';
import { Progress, formatDuration, formatProgressLine } from './progress.js';

describe('progress', () => {
  it('formats durations', () => {
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatDuration(Number.NaN)).toBe('--');
  });

  it('computes rate and ETA from this session only', () => {
    const line = formatProgressLine({
      done: 150,
      total: 400,
      elapsed: 25,
      doneHere: 50,
      barWidth: 10,
      suffix: 'loss 0.83',
    });
    // 50 it / 25 s = 2 it/s; 250 left -> 125 s
    expect(line).toBe('[####......] 150/400 2.00 it/s ETA 2m05s loss 0.83');
  });

  it('never shows an absurd rate on the first line, however fast the first step was', () => {
    let t = 100;
    const lines: string[] = [];
    const p = new Progress({
      total: 50,
      stream: { write: (s) => lines.push(s) },
      now: () => t,
    });
    t = 100.00005; // the progress was made just before the first iteration ended
    p.update({ done: 11 });
    expect(lines[0]).toBe('11/50 -- it/s ETA --\n');
    t = 110.00005;
    p.update({ done: 30 });
    expect(lines[1]).toMatch(/^30\/50 1\.90 it\/s ETA 11s/);
  });

  it('prints plain throttled lines when not a TTY and redraws in place on a TTY', () => {
    let t = 0;
    const plain: string[] = [];
    const p = new Progress({
      total: 10,
      stream: { write: (s: string) => plain.push(s) },
      plainEverySeconds: 5,
      now: () => t,
    });
    for (let i = 1; i <= 10; i++) {
      t = i;
      p.update({ done: i });
    }
    // drawn at t=1, 6 and at the end (10)
    expect(plain.map((s) => s.slice(0, 5))).toEqual([' 1/10', ' 6/10', '10/10']);
    // the rate starts at the first update: none yet there, then 5 it in 5 s
    expect(plain[0]).toMatch(/^ 1\/10 -- it\/s ETA --/);
    expect(plain[1]).toMatch(/^ 6\/10 1\.00 it\/s ETA 4s/);
    expect(plain.every((s) => s.endsWith('\n') && !s.includes('\r'))).toBe(true);

    const tty: string[] = [];
    const q = new Progress({
      total: 4,
      stream: { write: (s: string) => tty.push(s), isTTY: true },
      now: () => t,
    });
    q.update({ done: 1 });
    q.log('iter 1 loss 0.5');
    q.finish();
    const clear = '\r\u001b[2K';
    expect(tty[0]?.startsWith(`${clear}[`)).toBe(true);
    expect(tty[0]).toMatch(/\[#+\.+\] 1\/4/);
    expect(tty[1]?.startsWith(`${clear}iter 1 loss 0.5\n[`)).toBe(true);
    expect(tty[2]).toBe('\n');
  });
});
