// Side-effect module (listed in package.json "sideEffects"); src/index.ts imports it first.
// tfjs-layers' Node build registers every tfjs-core gradient (tfjs-core's Node build registers
// none), and the cpu backend is always available as the fallback.
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { registerFaceparGradients } from './gradients/register-gradients.js';

registerFaceparGradients();
