import type { TrainHook } from '@facepar/train';

/** Formats seconds as `1h02m`, `3m05s` or `42s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

/**
 * `[#####.....] 120/400 3.20 it/s ETA 1m27s loss 0.83`: the rate counts `doneHere` iterations
 * in `elapsed` seconds (`-- it/s` before there are any); `barWidth` 0 draws no bar (plain logs).
 */
export function formatProgressLine(options: {
  done: number;
  total: number;
  elapsed: number;
  doneHere: number;
  barWidth: number;
  suffix?: string;
}): string {
  const { done, total, elapsed, doneHere, barWidth, suffix } = options;
  const rate = elapsed > 0 ? doneHere / elapsed : 0;
  const eta = rate > 0 ? (total - done) / rate : Number.NaN;
  const parts: string[] = [];
  if (barWidth > 0) {
    const filled = Math.round((barWidth * Math.min(done, total)) / Math.max(total, 1));
    parts.push(`[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`);
  }
  const width = String(total).length;
  parts.push(`${String(done).padStart(width)}/${total}`);
  parts.push(`${rate <= 0 ? '--' : rate >= 10 ? rate.toFixed(1) : rate.toFixed(2)} it/s`);
  parts.push(`ETA ${formatDuration(eta)}`);
  if (suffix) parts.push(suffix);
  return parts.join(' ');
}

type Stream = { write(s: string): unknown; isTTY?: boolean };

export interface ProgressOptions {
  total: number;
  /** Where to draw; defaults to `process.stderr`. */
  stream?: Stream;
  /** Non-TTY: print a plain line at most every this many seconds (default 10). */
  plainEverySeconds?: number;
  /** TTY: redraw at most every this many seconds (default 0.2). */
  ttyEverySeconds?: number;
  now?: () => number;
}

const CLEAR = '\r\x1b[2K';

/**
 * A bar drawn in place on a TTY, else plain lines now and then; `log()` prints above it. The
 * rate is measured from the first update on (the first step, which compiles kernels and fills
 * the loader, would otherwise make it absurd), so the first line says `-- it/s`.
 */
export class Progress {
  private readonly stream: Stream;
  private readonly tty: boolean;
  private readonly every: number;
  private readonly now: () => number;
  private t0: number | undefined;
  private start = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private done = 0;
  private suffix = '';
  private drawn = false;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.every = this.tty ? (options.ttyEverySeconds ?? 0.2) : (options.plainEverySeconds ?? 10);
    this.now = options.now ?? (() => performance.now() / 1000);
  }

  line(): string {
    const { done, start, suffix, options } = this;
    const elapsed = this.t0 === undefined ? 0 : this.now() - this.t0;
    const at = { done, total: options.total, elapsed, doneHere: done - start, suffix };
    return formatProgressLine({ ...at, barWidth: this.tty ? 30 : 0 });
  }

  update(options: { done: number; suffix?: string }): void {
    if (this.t0 === undefined) [this.t0, this.start] = [this.now(), options.done];
    this.done = options.done;
    this.suffix = options.suffix ?? this.suffix;
    const t = this.now();
    if (t - this.lastDraw < this.every && this.done < this.options.total) return;
    this.lastDraw = t;
    this.stream.write(this.tty ? `${CLEAR}${this.line()}` : `${this.line()}\n`);
    this.drawn ||= this.tty;
  }

  /** Prints a full line (e.g. the periodic log line) above the bar. */
  log(message: string): void {
    const redraw = this.tty && this.drawn;
    this.stream.write(redraw ? `${CLEAR}${message}\n${this.line()}` : `${message}\n`);
  }

  finish(): void {
    if (this.tty && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}

/** A training progress display as a loop hook; `log` prints a line above the bar. */
export function progressHook(options: Omit<ProgressOptions, 'total'>): TrainHook & {
  log(line: string): void;
} {
  let progress: Progress | undefined;
  return {
    beforeRun(state) {
      progress = new Progress({ ...options, total: state.maxIters });
    },
    afterIter(state, step) {
      progress?.update({ done: state.iter, suffix: `loss ${step.loss.toFixed(4)}` });
    },
    afterRun() {
      progress?.finish();
    },
    log(line) {
      if (progress) progress.log(line);
      else (options.stream ?? process.stderr).write(`${line}\n`);
    },
  };
}
