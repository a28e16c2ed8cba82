/**
 * A sample on typed arrays (no tfjs): RGB HWC bytes and one label per pixel. Every transform
 * is a plain function of the sample and a seeded `Rng`, so it runs in worker threads and two
 * runs with the same RNG state give the same bytes. Geometry is always applied to image and
 * labels together (bilinear for the image, nearest for labels).
 */
export interface SegSample {
  image: Uint8Array;
  labels: Uint8Array;
  width: number;
  height: number;
}

/** A sample as a dataset reads it: `labels` is null when the entry has no mask. */
export type Sample = Omit<SegSample, 'labels'> & {
  id: string;
  /** One label per pixel (class id or `ignoreIndex`); null when the entry has no mask. */
  labels: Uint8Array | null;
};

/** A sample read with its mask (what evaluation needs): `readLabelledSamples` returns these. */
export type LabelledSample = SegSample & { id: string };

/** A training sample ready for batching: normalised float32 HWC image and uint8 labels. */
export type TrainSample = Omit<SegSample, 'image'> & { image: Float32Array };
