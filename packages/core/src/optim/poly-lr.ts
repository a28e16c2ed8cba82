export interface PolyLrOptions {
  baseLr: number;
  power?: number;
  minLr?: number;
  maxIters: number;
}

export const DEFAULT_POLY_LR_OPTIONS = { power: 0.9, minLr: 1e-4 } as const;

export function resolvePolyLrOptions(options: PolyLrOptions): Required<PolyLrOptions> {
  const power = options.power ?? DEFAULT_POLY_LR_OPTIONS.power;
  const minLr = options.minLr ?? DEFAULT_POLY_LR_OPTIONS.minLr;
  const { baseLr, maxIters } = options;
  for (const [k, v] of [
    ['baseLr', baseLr],
    ['power', power],
    ['minLr', minLr],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new Error(`polyLr: ${k} must be a finite number >= 0, got ${String(v)}`);
    }
  }
  if (!Number.isInteger(maxIters) || maxIters < 1) {
    throw new Error(`polyLr: maxIters must be an integer >= 1, got ${String(maxIters)}`);
  }
  return { baseLr, power, minLr, maxIters };
}

/**
 * mmseg/mmcv `PolyLR`: `lr(iter) = (baseLr − minLr)·(1 − iter/maxIters)^power + minLr`,
 * with `iter` clamped to [0, maxIters].
 */
export function polyLr(options: PolyLrOptions): (iter: number) => number {
  const { baseLr, power, minLr, maxIters } = resolvePolyLrOptions(options);
  return (iter: number) => {
    if (typeof iter !== 'number' || Number.isNaN(iter)) {
      throw new Error(`polyLr: iter must be a number, got ${String(iter)}`);
    }
    const t = Math.min(Math.max(iter, 0), maxIters);
    return (baseLr - minLr) * (1 - t / maxIters) ** power + minLr;
  };
}
