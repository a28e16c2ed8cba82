import { generateSyntheticFace, mixSeed } from '@facepar/celebamask-data';
import type { Sample } from './sample-batches.js';

/** `count` synthetic faces in memory (the data package's generator), ids `synth_<seed>_<i>`. */
export function syntheticSamples(options: { count: number; size: number; seed: number }): Sample[] {
  const { count, size, seed } = options;
  return Array.from({ length: count }, (_, i) => {
    const face = generateSyntheticFace({ seed: mixSeed(seed, i), size });
    return {
      id: `synth_${seed}_${String(i).padStart(4, '0')}`,
      image: face.image,
      labels: face.labels,
      width: face.width,
      height: face.height,
    };
  });
}
