/** A named training setup as typed data (`facepar train --config <name>`). */
export interface TrainConfig {
  name: string;
  description: string;
  /** Segmentor registry name (`@facepar/heads`). */
  model: string;
  numClasses: number;
  data: TrainDataConfig;
  loss: TrainLossConfig;
  optimizer: { lr: number; momentum: number; weightDecay: number };
  /** mmseg `PolyLR`: lr = (lr0 - minLr)·(1 - iter/maxIters)^power + minLr. */
  schedule: { maxIters: number; power: number; minLr: number };
  logEvery: number;
  checkpointEvery: number;
  /** 0 = evaluate only at the end. */
  evalEvery: number;
  seed: number;
}

export interface TrainDataConfig {
  batchSize: number;
  /** Training crop `[h, w]` (mmseg `RandomCrop`). */
  cropSize: [number, number];
  /**
   * mmseg `RandomResize(scale, ratio_range, keep_ratio=True)`: each image is rescaled so its
   * short side is `resizeShort · r`, its long side at most `resizeLong · r`, r ~ U(ratioRange).
   */
  resizeShort: number;
  resizeLong: number;
  ratioRange: [number, number];
  /** mmseg `RandomCrop(cat_max_ratio)`: retry crops dominated by one class (1 = off). */
  catMaxRatio: number;
  /** mmseg `RandomFlip(prob)`, swapping the left/right classes. */
  flipProb: number;
  /** mmseg `PhotoMetricDistortion` (brightness, contrast, saturation, hue jitter). */
  photoMetric: boolean;
  /** Label value skipped by the loss and the metrics. */
  ignoreIndex: number;
}

export interface TrainLossConfig {
  /** `report`: the report's Table 2 weights; `none`: unweighted. */
  classWeights: 'report' | 'none';
  /** mmseg `CrossEntropyLoss` averaging (mean over all pixels, ignored ones as 0). */
  reduction: 'mmseg' | 'non-ignored';
  decodeWeight: number;
  /** Weight of each auxiliary head's loss (mmseg 0.4). */
  auxWeight: number;
}

/** Command-line overrides of a config (`--iters`, `--batch`, `--crop`). */
export interface TrainConfigOverrides {
  iters?: number;
  batch?: number;
  crop?: number;
  evalEvery?: number;
  checkpointEvery?: number;
  logEvery?: number;
}
