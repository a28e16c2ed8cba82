// Side-effect module (listed in package.json "sideEffects"); src/index.ts imports it first.
// tfjs-layers' Node build registers every tfjs-core gradient (tfjs-core's Node build registers
// none), and the cpu backend is always available as the fallback.
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { registerFaceparGradients } from './gradients/register-gradients.js';

registerFaceparGradients();
silenceCpuBanner();

/**
 * tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in Node.js ..." on the
 * first tensor of every instance; facepar picks its backends itself (`initBackend`), so each cpu
 * instance is created with the banner already shown, whoever creates it and when.
 */
function silenceCpuBanner(): void {
  type Cpu = { firstUse?: boolean };
  const engine = tf.engine() as unknown as {
    registry: Record<string, Cpu>;
    registryFactory: Record<string, { priority: number }>;
  };
  const existing = engine.registry.cpu;
  if (existing !== undefined) existing.firstUse = false;
  const factory = tf.findBackendFactory('cpu');
  if (existing !== undefined || factory == null) return;
  const priority = engine.registryFactory.cpu?.priority ?? 1;
  tf.removeBackend('cpu');
  // synchronous like the original factory, so tfjs can still start cpu without tf.ready()
  const greeted = () => {
    const backend = factory() as tf.KernelBackend & Cpu;
    backend.firstUse = false;
    return backend;
  };
  tf.registerBackend('cpu', greeted, priority);
}
