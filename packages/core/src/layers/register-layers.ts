// Side-effect module (listed in package.json "sideEffects"): registers facepar's layers with
// tfjs serialization as `facepar>ClassName`, so `tf.loadLayersModel` can rebuild them.
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d } from './batch-norm2d.js';
import { Conv2d } from './conv2d.js';
import { DepthwiseConv2d } from './depthwise-conv2d.js';
import { Dropout2d } from './dropout2d.js';
import { GlobalAvgPool2d } from './global-avg-pool2d.js';
import { MaxPool2d } from './max-pool2d.js';
import { ResizeBilinear } from './resize-bilinear.js';

/** Package name under which the layers are registered. */
export const FACEPAR_SERIALIZATION_PACKAGE = 'facepar';

export const FACEPAR_LAYER_CLASSES = [
  Conv2d,
  DepthwiseConv2d,
  BatchNorm2d,
  MaxPool2d,
  ResizeBilinear,
  GlobalAvgPool2d,
  Dropout2d,
] as const;

for (const cls of FACEPAR_LAYER_CLASSES) {
  tf.serialization.registerClass(cls, FACEPAR_SERIALIZATION_PACKAGE);
}
