import {
  type CreateLoaderOptions,
  createLoader,
  type Loader,
  type LoaderState,
} from '@facepar/celebamask-data';
import type * as tf from '@tensorflow/tfjs-core';

/** One training batch; the loop disposes it. */
export interface Batch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
}

/** A deterministic batch stream whose position can be saved and restored (resume). */
export interface BatchSource {
  next(): Promise<Batch>;
  getState(): unknown;
  setState(state: unknown): void;
  /** Releases workers or files (called by the owner, not by the loop). */
  close?(): Promise<void>;
}

/**
 * The data package's `createLoader` as the loop's resumable `BatchSource`: `setState` reopens
 * the loader at the saved (seed, epoch, position), which reproduces the exact batches.
 */
export class LoaderBatches implements BatchSource {
  private loader: Loader;

  constructor(private readonly options: Omit<CreateLoaderOptions, 'state'>) {
    this.loader = createLoader(options);
  }

  async next(): Promise<Batch> {
    const batch = await this.loader.next();
    if (batch === null) throw new Error('the data loader ran out of batches (epochs exhausted)');
    return { images: batch.images, labels: batch.labels };
  }

  getState(): LoaderState {
    return this.loader.state();
  }

  setState(state: unknown): void {
    void this.loader.close();
    this.loader = createLoader({ ...this.options, state: state as LoaderState });
  }

  close(): Promise<void> {
    return this.loader.close();
  }
}
