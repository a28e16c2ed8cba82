// Forward + backward time of each loss at the training size [2,64,64,19] on cpu and wasm
// (one thread), median of 5 after 1 warm-up. Build first: `pnpm exec tsc -b packages/losses`.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import {
  REPORT_CLASS_WEIGHTS,
  diceLoss,
  focalLoss,
  lovaszSoftmaxLoss,
  weightedCrossEntropy,
} from '@facepar/losses';
import { timeIt, writeBenchResult } from '../../../scripts/bench-lib.mjs';

const [N, H, W, C] = [2, 64, 64, 19];
const classWeights = [...REPORT_CLASS_WEIGHTS];

const cases = {
  'weightedCrossEntropy (mmseg)': (x, y) => weightedCrossEntropy(x, y, { classWeights }),
  'weightedCrossEntropy + resize 16->64': (x, y) =>
    weightedCrossEntropy(x, y, { classWeights, resizeLogitsTo: 'labels' }),
  diceLoss: (x, y) => diceLoss(x, y, { classWeights }),
  focalLoss: (x, y) => focalLoss(x, y, { classWeights }),
  lovaszSoftmaxLoss: (x, y) => lovaszSoftmaxLoss(x, y),
};

const rows = [];
for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  await tf.ready();
  const labels = tf.tidy(() =>
    tf.cast(tf.mul(tf.randomUniform([N, H, W], 0, C, 'float32', 1), 1), 'int32'),
  );
  for (const [name, loss] of Object.entries(cases)) {
    const size = name.includes('resize') ? [N, 16, 16, C] : [N, H, W, C];
    const logits = tf.randomNormal(size, 0, 1, 'float32', 2);
    const step = () => {
      const { value, grad } = tf.valueAndGrad((x) => loss(x, labels))(logits);
      grad.dataSync();
      tf.dispose([value, grad]);
    };
    const ms = await timeIt(step, { warmup: 1, reps: 5 });
    rows.push({
      case: `${name}, ${backend}, [${size}]`,
      value: Number(ms.toFixed(1)),
      unit: 'ms/step',
      note: 'forward + backward wrt logits',
    });
    logits.dispose();
  }
  labels.dispose();
}
writeBenchResult({ pkg: 'losses', name: 'losses', rows });
