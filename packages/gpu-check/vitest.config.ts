import { packageProject } from '../../vitest.shared';

export default packageProject('@facepar/gpu-check');
