export { expectNoTensorLeak, countTensors } from './leak.js';
export { sharedDataDir, sharedFixturesDir, describeWithSharedData } from './shared-data.js';
export { expectCleanOutcome, fuzzRng } from './fuzz.js';
export type { FuzzBounds, FuzzOutcome } from './fuzz.js';
